"""Does a turn cost more the longer the conversation is? Long shopping conversations over Rasa's
REST channel: per-turn latency at turns 2, 10, 20, 40 and 80 (p50 over the conversations), the
tracker the action server receives (events, JSON bytes) and the events stored for the shopper.
Target (issue "Lean serving"): turn 40 costs ≤ 1.2 × turn 2.

Usage: .venv/bin/python -m bench.tracker_cost [CONVERSATIONS=10] [--turns=80] [--store=project|rasa|both]
                                              [--py-spy=/tmp/pyspy/bin/py-spy] [--no-build] [--window=N]

It starts its own action server and Rasa (like bench/load.py without --url) on a private copy of
the shop database. `--store=project` serves with endpoints.yml as shipped, `--store=rasa` with
Rasa's stock SQLTrackerStore (the same SQLite settings otherwise), `both` runs the two one after
the other against the same model and action server and says whether Rasa ran the same actions
with both. `--window=N` serves the project's store with window_turns N. Conversations run one
at a time, so a turn's latency is its own cost, not queueing.

Every turn of a conversation is a realistic shopping message (those of bench/script.py): search,
refine, detail, compare, cart add/view/remove, repeated. The measured turns 2, 10, 20, 40, 80 are all
the same message ("我想买蓝牙耳机", a new search) right after the same greeting, so they differ
only in how much came before.
"rasa ms" is the REST round trip minus the time the action server took for that turn (Rasa's own
work); the action server's calls go through a small recording proxy in this process, which is
how the payload sizes are known. `--no-build` serves the model and artefacts as they are
(SHOPBOT_MODELS_DIR picks the model), e.g. while someone else is changing the training data.

Single turns are noisy on a shared machine, so each table is followed by every turn's p50
averaged over three whole shopping cycles (turns 3-15, 28-40, 68-80).

`--py-spy=PATH` runs one more conversation per store and records Rasa with py-spy during its
turns 2-40 and 41-80: busy milliseconds per turn in NLU, the tracker store, the policies, the
action call (py-spy's sampling slows Rasa down, so compare the columns, not with the tables;
raw stacks are left in the work directory).
"""
from __future__ import annotations

import http.client
import json
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx

MEASURED = (2, 10, 20, 40, 80)
PROBE = "我想买蓝牙耳机"
CYCLE = [PROBE, "要黑色的", "再便宜点", "第二个详细介绍一下", "第二个加入购物车", "看看购物车",
         "我想买手机", "三千以内的", "要华为的", "第一个和第二个哪个好", "第一个加入购物车", "看看购物车",
         "删掉第一个"]


def script(turns: int) -> list[str]:
    """Turn 1 greets; then the shopping cycle, with the probe search at every measured turn and
    a greeting before it (as before turn 2), so each probe follows the same message."""
    said = ["你好"]
    for turn in range(2, turns + 1):
        if turn in MEASURED:
            said.append(PROBE)
        elif turn + 1 in MEASURED:
            said.append("你好")
        else:
            said.append(CYCLE[(turn - 2) % len(CYCLE)])
    return said


class ActionProxy:
    """Forwards Rasa's action calls to the action server, recording per sender what was sent."""

    def __init__(self, upstream: str) -> None:
        target = urlsplit(upstream)
        self.host, self.port = target.hostname, target.port
        self.calls: dict[str, list[dict]] = defaultdict(list)
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                started = time.perf_counter()
                upstream = http.client.HTTPConnection(proxy.host, proxy.port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream.request("POST", self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                seconds = time.perf_counter() - started
                upstream.close()
                try:
                    sent = json.loads(body)
                    record = {"action": sent.get("next_action"), "bytes": len(body), "seconds": seconds,
                              "events": len(sent.get("tracker", {}).get("events") or [])}
                    with proxy.lock:
                        proxy.calls[sent.get("sender_id", "")].append(record)
                except ValueError:
                    pass
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, sender: str) -> list[dict]:
        with self.lock:
            return self.calls.pop(sender, [])

    def close(self) -> None:
        self.server.shutdown()


def endpoints_for(root: Path, workdir: Path, store: str, window: str | None) -> Path | None:
    """endpoints.yml with Rasa's own SQLTrackerStore ("rasa"), or with another window_turns."""
    text = (root / "endpoints.yml").read_text()
    if store == "rasa":
        head, _, _ = text.partition("tracker_store:")
        text = head + "tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: ${SHOPBOT_TRACKER_DB}\n"
    elif window:
        text = re.sub(r"window_turns: *\d+", f"window_turns: {int(window)}", text)
    else:
        return None
    path = workdir / f"endpoints-{store}.yml"
    path.write_text(text)
    return path


def start_rasa(stack, endpoints: Path | None, name: str):
    from core.processes import rasa_command, wait_until_up
    from tests.conftest import RASA_LOAD_TIMEOUT

    argv = rasa_command(stack.settings)
    if endpoints is not None:
        argv[argv.index("--endpoints") + 1] = str(endpoints)
    proc = stack._spawn(name, argv)
    stack.rasas[0] = proc
    wait_until_up(f"{stack.url()}/", RASA_LOAD_TIMEOUT, proc)
    return proc


def stored_events(tracker_db: Path, sender: str) -> int:
    with sqlite3.connect(tracker_db) as conn:
        return conn.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def stored_actions(tracker_db: Path, sender: str) -> list[str]:
    """Every action Rasa ran in the conversation, in order: what its policies predicted."""
    with sqlite3.connect(tracker_db) as conn:
        return [name for (name,) in conn.execute(
            "SELECT action_name FROM events WHERE sender_id = ? AND type_name = 'action' ORDER BY id", (sender,))]


def converse(client: httpx.Client, url: str, proxy: ActionProxy, tracker_db: Path, turns: int,
             measured: tuple[int, ...] = MEASURED, on_turn=None, run: dict | None = None) -> dict[int, dict]:
    """One conversation; for each measured turn: ms, rasa ms, payload events/bytes, stored events
    (`run` collects every turn's ms and the actions Rasa ran)."""
    sender = f"cost-{uuid.uuid4().hex[:10]}"
    seen: dict[int, dict] = {}
    for turn, text in enumerate(script(turns), 1):
        if on_turn:
            on_turn(turn)
        proxy.take(sender)
        started = time.perf_counter()
        reply = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
        seconds = time.perf_counter() - started
        reply.raise_for_status()
        if not reply.json():
            raise RuntimeError(f"turn {turn} ({text}) was answered with nothing")
        calls = proxy.take(sender)
        if run is not None:
            run.setdefault("ms", []).append(round(seconds * 1000, 1))
        if turn in measured:
            last = calls[-1] if calls else {"events": 0, "bytes": 0}
            seen[turn] = {"ms": seconds * 1000, "rasa_ms": (seconds - sum(c["seconds"] for c in calls)) * 1000,
                          "events": last["events"], "bytes": last["bytes"],
                          "stored": stored_events(tracker_db, sender)}
    if run is not None:
        run["actions"] = stored_actions(tracker_db, sender)
    return seen


def measure(stack, proxy: ActionProxy, conversations: int, turns: int, label: str,
            runs: list[dict]) -> dict[int, dict]:
    """p50 per measured turn over `conversations` conversations (after a warm-up)."""
    headers = {"Authorization": f"Bearer {stack.settings.api_token()}"}
    per_turn: dict[int, list[dict]] = defaultdict(list)
    with httpx.Client(timeout=120, headers=headers) as client:
        converse(client, stack.url(), proxy, stack.settings.tracker_db, 14, measured=())  # warm-up
        for n in range(conversations):
            started = time.perf_counter()
            runs.append({})
            for turn, values in converse(client, stack.url(), proxy, stack.settings.tracker_db, turns,
                                         run=runs[-1]).items():
                per_turn[turn].append(values)
            print(f"  {label}: conversation {n + 1}/{conversations} ({turns} turns) in "
                  f"{time.perf_counter() - started:.0f}s", file=sys.stderr)
    return {turn: {key: statistics.median(v[key] for v in values) for key in values[0]}
            for turn, values in per_turn.items() if turn <= turns}


SPANS_OF_ALL = ((3, 15), (28, 40), (68, 80))  # a whole shopping cycle each


def all_turns(runs: list[dict]) -> str:
    """Every turn, not only the probes: the mean of each turn's p50 over whole cycles."""
    turns = min(len(r["ms"]) for r in runs)
    p50 = [statistics.median(r["ms"][t] for r in runs) for t in range(turns)]
    means = [statistics.mean(p50[a - 1:b]) for a, b in SPANS_OF_ALL if b <= turns]
    if not means:
        return ""
    return ("every turn (mean of the p50s), turns " + " / ".join(f"{a}-{b}" for a, b in SPANS_OF_ALL[:len(means)])
            + ": " + " / ".join(f"{m:.0f}" for m in means) + " ms"
            + (f" (last / first = {means[-1] / means[0]:.2f})" if len(means) > 1 else ""))


def table(label: str, result: dict[int, dict], runs: list[dict]) -> None:
    print(f"\n{label}")
    print("| turn | p50 ms | rasa p50 ms | events sent | payload bytes | events stored |")
    print("|---|---|---|---|---|---|")
    for turn in sorted(result):
        r = result[turn]
        print(f"| {turn} | {r['ms']:.0f} | {r['rasa_ms']:.0f} | {r['events']:.0f} | {r['bytes']:,.0f} | "
              f"{r['stored']:.0f} |")
    base = result.get(2)
    if base and 40 in result:
        ratio = result[40]["ms"] / base["ms"]
        print(f"turn 40 / turn 2 = {ratio:.2f} (rasa only {result[40]['rasa_ms'] / base['rasa_ms']:.2f}); "
              f"target ≤ 1.2: {'met' if ratio <= 1.2 else 'NOT met'}"
              + (f"; turn 80 / turn 2 = {result[80]['ms'] / base['ms']:.2f}" if 80 in result else ""))
    if runs:
        print(all_turns(runs))


# Where a turn's time goes, by what Rasa is doing (inclusive: a frame and everything it calls).
FRAMES = {
    "NLU (parse_message)": "parse_message (rasa/core/processor.py",
    "tracker store load": "retrieve (rasa/core/tracker_store.py",
    "  of it: rows → events → tracker": ("from_dict (rasa/shared/core/trackers.py",
                                         "_tracker (rasa_plugins/stores/tracker_store.py"),
    "tracker store save": "save (rasa/core/tracker_store.py",
    "policies (predict next action)": "_predict_next_with_tracker (rasa/core/processor.py",
    "  of it: past_states": "past_states (rasa/shared/core/trackers.py",
    "tracker copies per action": "copy (rasa/shared/core/trackers.py",
    "action call: tracker → JSON": "_action_call_format (rasa/core/actions/action.py",
    "action call: jsonschema on the reply": "_validate_action_result (rasa/core/actions/action.py",
    "whole turn (handle_message)": "handle_message (rasa/core/agent.py",
}
SPANS = (("early", 2, 40), ("late", 41, 80))
RATE = 250  # py-spy samples per second


def profile(stack, proxy: ActionProxy, py_spy: str, workdir: Path, label: str) -> dict[str, dict[str, float]]:
    """py-spy on Rasa during turns 2-40 and 41-80 of one more conversation: busy ms per turn
    in each frame, per span (empty if py-spy recorded nothing)."""
    pid = stack.rasas[0].pid
    recordings: dict[str, tuple[subprocess.Popen, Path]] = {}

    def on_turn(turn: int) -> None:
        for name, first, last in SPANS:
            if turn == first:
                out = workdir / f"py-spy-{label}-{name}.txt"
                recordings[name] = (subprocess.Popen([py_spy, "record", "-p", str(pid), "-r", str(RATE), "-f", "raw",
                                                      "-o", str(out), "--nonblocking"],
                                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out)
                time.sleep(1)  # py-spy attaches
            if turn == last + 1 and name in recordings:
                recordings[name][0].send_signal(2)
                recordings[name][0].wait(timeout=60)

    headers = {"Authorization": f"Bearer {stack.settings.api_token()}"}
    with httpx.Client(timeout=120, headers=headers) as client:
        converse(client, stack.url(), proxy, stack.settings.tracker_db, SPANS[-1][2] + 1, measured=(),
                 on_turn=on_turn)
    busy = {name: frame_ms(recordings[name][1], last - first + 1)
            for name, first, last in SPANS if name in recordings}
    return busy if len(busy) == len(SPANS) and all(busy.values()) else {}


def profile_table(profiles: dict[str, dict[str, dict[str, float]]], workdir: Path) -> None:
    if not profiles or not all(profiles.values()):
        print("\npy-spy recorded nothing (permissions? run as the owner of the Rasa process)")
        return
    print(f"\npy-spy on Rasa ({RATE} Hz, busy samples only; raw stacks in {workdir}/py-spy-*.txt): "
          "busy ms per turn")
    spans = [(store, span) for store in profiles for span, _, _ in SPANS]
    print("| Rasa busy in | " + " | ".join(f"{store} turns {first}-{last}" for store in profiles
                                           for _, first, last in SPANS) + " |")
    print("|---|" + "---|" * len(spans))
    for label, frame in FRAMES.items():
        frames = frame if isinstance(frame, tuple) else (frame,)
        print(f"| {label} | " + " | ".join(f"{sum(profiles[store][span].get(f, 0) for f in frames):.1f}"
                                         for store, span in spans) + " |")


def frame_ms(path: Path, turns: int) -> dict[str, float]:
    """Busy milliseconds per turn of every frame ("function (file"), inclusive, from py-spy's raw
    (collapsed) output: one line per distinct stack, ending in its sample count."""
    totals: dict[str, int] = defaultdict(int)
    if not path.exists():
        return {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            for frame in set(f.rsplit(":", 1)[0] for f in stack.split(";")):
                totals[frame] += int(count)
    return {frame: n * 1000 / RATE / turns for frame, n in totals.items()}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    options = dict((a[2:] + "=").split("=")[:2] for a in sys.argv[1:] if a.startswith("--"))
    conversations = int(args[0]) if args else 10
    turns = int(options.get("turns", 80))
    stores = {"project": ["project"], "rasa": ["rasa"], "both": ["rasa", "project"]}[options.get("store", "project")]

    from core.build import build_all
    from core.settings import get_settings
    from tests.conftest import Stack

    settings = get_settings()
    if "no-build" not in options:
        build_all(settings, log=lambda _: None)
    workdir = Path(tempfile.mkdtemp(prefix="daogou-tracker-cost-"))
    shutil.copy(settings.var / "shop.db", workdir / "shop.db")  # carts and clicks stay out of var/shop.db
    stack = Stack(settings, workdir, database_url=f"sqlite:///{workdir / 'shop.db'}")
    proxy = ActionProxy(stack.settings.action_url)
    stack.env["SHOPBOT_ACTION_URL"] = proxy.url
    print(f"model: {sorted(settings.path(settings.models_dir).glob('*.tar.gz'))[-1].name}; work dir {workdir}",
          file=sys.stderr)
    results, runs, profiles = {}, {}, {}
    try:
        stack.start_actions()
        for store in stores:
            endpoints = endpoints_for(settings.root, workdir, store, options.get("window"))
            start_rasa(stack, endpoints, f"rasa-{store}")
            results[store] = measure(stack, proxy, conversations, turns, store, runs.setdefault(store, []))
            if "py-spy" in options:
                profiles[store] = profile(stack, proxy, options["py-spy"], workdir, store)
            stack.stop_rasa()
    finally:
        stack.stop_all()
        proxy.close()
    names = {"rasa": "Rasa's SQLTrackerStore (type: SQL)", "project": "endpoints.yml as shipped"}
    for store, result in results.items():
        table(f"{names[store]}: p50 of {conversations} conversations, one at a time", result, runs[store])
    if "py-spy" in options:
        profile_table(profiles, workdir)
    if len(runs) == 2:  # the same script: did the lean tracker change what the policies predicted?
        same = sum(a["actions"] == b["actions"] for a, b in zip(runs["rasa"], runs["project"]))
        print(f"\nactions Rasa ran: identical with both stores in {same} of {conversations} conversations")
    (workdir / "results.json").write_text(json.dumps({"p50": results, "runs": runs}, indent=1, ensure_ascii=False))
    print(f"every turn's latency and actions: {workdir / 'results.json'}")


if __name__ == "__main__":
    main()
