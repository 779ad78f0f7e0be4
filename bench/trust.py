"""What an oversized message costs on each channel, and what it costs a bystander. In one run,
side by side: a normal search turn alone; an 8,000-character message on the relay, Rasa's REST
channel and socket.io (each answered politely, nothing parsed); and the bystander's search
while those long messages arrive (ROUNDS rounds, p50/max). Also the socket.io flood limit.

Usage: .venv/bin/python -m bench.trust [ROUNDS=10]
Starts its own Rasa, action server and web app (like the tests) and stops them after.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

LONG = "我想买耳机" * 1600


def timed(turn) -> float:
    started = time.perf_counter()
    turn()
    return time.perf_counter() - started


def ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def main() -> None:
    from core.build import build_all
    from core.settings import get_settings
    from tests.conftest import Stack
    from tests.support.socketio_wire import SocketClient
    from tests.support.web_process import start_web

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    settings = get_settings()
    build_all(settings, log=lambda _: None)
    workdir = Path(tempfile.mkdtemp(prefix="daogou-trust-"))
    stack = Stack(settings, workdir)
    stack.start_actions()
    stack.start_rasa()
    web = start_web(stack.settings, workdir, {"SHOPBOT_RATE_LIMIT_IP": "100000/minute",
                                              "SHOPBOT_RATE_LIMIT_SENDER": "100000/minute"})
    try:
        bystander = lambda: stack.say(f"bench-bystander-{time.monotonic_ns()}", "我想买蓝牙耳机")
        bystander()  # warm-up
        socket = SocketClient.open(stack.url())

        def over_socket() -> None:
            before = len(socket.bot_texts())
            socket.emit("user_uttered", {"message": LONG})
            while len(socket.bot_texts()) == before:
                socket.collect(0.05)

        channels = {
            "relay /api/chat": lambda: httpx.post(f"{web.url}/api/chat", json={"message": LONG}, timeout=30),
            "Rasa REST": lambda: stack.say("bench-long", LONG),
            "socket.io": over_socket,
        }
        alone = [timed(bystander) for _ in range(rounds)]
        long_times: dict[str, list[float]] = {name: [] for name in channels}
        crowded = []
        for _ in range(rounds):
            threads = [threading.Thread(target=lambda n=n, f=f: long_times[n].append(timed(f)))
                       for n, f in channels.items()]
            for thread in threads:
                thread.start()
            crowded.append(timed(bystander))
            for thread in threads:
                thread.join()
        socket.close()

        flood = SocketClient.open(stack.url())
        for n in range(60):
            flood.emit("user_uttered", {"message": f"你好{n}"})
        flood.collect(15)
        limited = flood.bot_texts().count("您发消息太快啦，请稍等片刻再试～")
        flood.close()

        print(f"machine: 2 cores; {rounds} rounds; the 8,000-character message on every channel at once")
        for name, values in long_times.items():
            print(f"  {name:<16} 8,000 chars answered politely: {ms(values)}")
        print(f"  bystander search alone:           {ms(alone)}")
        print(f"  bystander search during the long: {ms(crowded)}")
        print(f"  socket.io flood: 60 messages in a burst on one connection -> {limited} refused "
              f"with 您发消息太快啦 (limit {stack.settings.rate_limit_sender} per sender)")
    finally:
        web.stop()
        stack.stop_all()


if __name__ == "__main__":
    main()
