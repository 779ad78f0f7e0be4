"""Throw hostile messages at a running stack: random Unicode, 10k characters, control
characters, SQL/HTML/template injection, emoji. Reports status codes, failures and the Rasa
server's memory before and after.

Usage: .venv/bin/python -m bench.fuzz [N=1000]   (starts its own Rasa + action server)
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

INJECTIONS = ["' OR 1=1; DROP TABLE products; --", "<script>alert(1)</script>",
              "<img src=x onerror=alert(1)>", "{{ 7*7 }}", "${7*7}", "{% raw %}", "%s%s%s%n",
              "../../../../etc/passwd", "\\u0000", "/restart", "/greet{\"a\": 1}", "[黑色](color)",
              "/nlu_fallback", "\"}]}", "{\"event\": \"pause\"}"]
EMOJI = "😀🙏🏻👨‍👩‍👧‍👦🇨🇳🛒💥"


def hostile_messages(n: int, seed: int = 7) -> list[str]:
    """n messages of every hostile kind, reproducible for a seed."""
    rng = random.Random(seed)

    def any_char() -> str:  # any code point a client can send in UTF-8 (no lone surrogates)
        code = rng.randint(0x20, 0x2FFFF)
        return chr(code) if not 0xD800 <= code <= 0xDFFF else "\ufffd"

    kinds = [
        lambda: "".join(any_char() for _ in range(rng.randint(1, 80))),
        lambda: "买" * 10_000,
        lambda: "".join(chr(rng.randint(0, 31)) for _ in range(rng.randint(1, 40))),
        lambda: rng.choice(INJECTIONS) + rng.choice(["", "我想买手机", "加入购物车"]),
        lambda: "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 30))),
        lambda: rng.choice(["我想买蓝牙耳机", "第二个加入购物车", "要黑色的"]) + rng.choice(INJECTIONS),
        lambda: "".join(rng.choice("的一是在不了有和人这中大为上个国我以要他") for _ in range(rng.randint(1, 3000))),
        lambda: " \t\n" * rng.randint(1, 50),
    ]
    return [kinds[i % len(kinds)]() for i in range(n)]


def rss_mb(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


def main() -> None:
    import httpx

    from core.build import build_all
    from core.settings import get_settings
    from tests.conftest import Stack

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    settings = get_settings()
    build_all(settings, log=lambda _: None)
    stack = Stack(settings, Path(tempfile.mkdtemp(prefix="daogou-fuzz-")))
    stack.start_actions()
    stack.start_rasa()
    try:
        statuses: dict[int, int] = {}
        silent = 0  # chat messages answered with nothing (Rasa's reply when its pipeline raised)
        stack.say("fuzz-warm", "你好")
        before = rss_mb(stack.rasas[0].pid)
        started = time.monotonic()
        internal = {"Authorization": f"Bearer {stack.settings.api_token()}"}
        with httpx.Client(timeout=120, headers=internal) as client:
            for i, message in enumerate(hostile_messages(n)):
                reply = client.post(f"{stack.settings.rasa_url}/webhooks/rest/webhook",
                                    json={"sender": f"fuzz-{i % 50}", "message": message})
                statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
                if reply.status_code == 200 and not message.startswith("/") and \
                        not any(m.get("text") for m in reply.json()):
                    silent += 1
        after = rss_mb(stack.rasas[0].pid)
        alive = stack.say("fuzz-after", "你好")
        print(f"{n} hostile messages in {time.monotonic() - started:.0f}s; status codes {statuses}; "
              f"unanswered {silent}; "
              f"Rasa + children RSS {before:.0f} MB → {after:.0f} MB; still answering: {bool(alive)}")
    finally:
        stack.stop_all()


if __name__ == "__main__":
    main()
