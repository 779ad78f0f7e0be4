"""Serving cost of Rasa models side by side in one run: start-up, memory, unloaded turn
latency (greeting vs search) and bench.load's floor/shopping under N concurrent shoppers.

Usage: .venv/bin/python -m bench.serving [SHOPPERS=20] [--model=OLD.tar.gz ...] [--threads=1,default]
                                         [--check=cached,rasa]
Without --model it measures the newest model in models/; each --model adds a column (e.g. a
model trained with an older config.yml), and each --threads value (math threads of the Rasa
process: OMP/TensorFlow; "default" = the libraries' own choice) multiplies the columns, and so
does each --check value (how Rasa validates action replies: "cached" = rasa_plugins.channels.action_schema,
as served; "rasa" = Rasa 3.6's own jsonschema.validate, which re-checks the schema every call).
One action server serves every column in turn.
"""
from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.fuzz import rss_mb
from bench.load import percentile, run
from bench.script import FLOOR, SCRIPT

UNLOADED = 30
SEARCHES = ["我想买蓝牙耳机", "三千以内的手机", "推荐个保温杯", "想要一台空气净化器", "有没有跑步鞋"]


def unloaded_p50(url: str, token: str, texts: list[str]) -> float:
    """p50 ms of one turn from a new sender each time (nothing else running)."""
    times = []
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        for n in range(UNLOADED):
            started = time.perf_counter()
            client.post(f"{url}/webhooks/rest/webhook",
                        json={"sender": f"unloaded-{uuid.uuid4().hex[:8]}", "message": texts[n % len(texts)]})
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(stack, model: Path, threads: str, check: str, shoppers: int) -> dict[str, float]:
    from core.processes import SINGLE_THREAD_VARS
    from rasa_plugins.channels.serve import STOCK_CHECK_VAR

    folder = Path(tempfile.mkdtemp(prefix="daogou-model-"))
    shutil.copy(model, folder / model.name)
    stack.settings = stack.settings.model_copy(update={"models_dir": folder})
    for var in SINGLE_THREAD_VARS:
        stack.env.pop(var, None)
        if threads != "default":
            stack.env[var] = threads
    stack.env.pop(STOCK_CHECK_VAR, None)
    if check == "rasa":
        stack.env[STOCK_CHECK_VAR] = "1"
    started = time.monotonic()
    stack.start_rasa()
    ready = time.monotonic() - started
    url, token = stack.url(), stack.settings.api_token()
    pid = stack.rasas[0].pid
    try:
        asyncio.run(run([url], 2, ["你好", "我想买手机"], token))  # warm-up
        row = {"ready s": ready, "RSS MB (idle)": rss_mb(pid),
               "greeting p50 ms": unloaded_p50(url, token, ["你好"]),
               "search p50 ms": unloaded_p50(url, token, SEARCHES)}
        row["search / greeting"] = row["search p50 ms"] / row["greeting p50 ms"]
        for name, script in (("floor", FLOOR), ("shopping", SCRIPT)):
            latencies, errors, wall = asyncio.run(run([url], shoppers, script, token))
            row[f"{name} turns/s"] = len(latencies) / wall
            row[f"{name} p50 ms"] = statistics.median(latencies) * 1000
            row[f"{name} p95 ms"] = percentile(latencies, 0.95) * 1000
            row[f"{name} errors"] = len(errors)
        row["target p95 ms (1.5 × floor + 100)"] = 1.5 * row["floor p95 ms"] + 100
        row["RSS MB (after load)"] = rss_mb(pid)
    finally:
        stack.stop_rasa()
        stack.rasas.clear()
    return row


def main() -> None:
    from core.build import build_all
    from core.settings import get_settings
    from tests.conftest import Stack

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    shoppers = int(args[0]) if args else 20
    settings = get_settings()
    build_all(settings, log=lambda _: None)
    newest = max(settings.path(settings.models_dir).glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    models = [Path(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--model=")] + [newest]
    threads = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--threads=")), "1").split(",")
    checks = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--check=")), "cached").split(",")
    stack = Stack(settings, Path(tempfile.mkdtemp(prefix="daogou-serving-")))
    stack.start_actions()
    try:
        rows = {f"{model.name[:15]} t={n} {check}": measure(stack, model, n, check, shoppers)
                for model in models for n in threads for check in checks}
    finally:
        stack.stop_all()
    print(f"{shoppers} shoppers × {len(SCRIPT)} turns; unloaded = {UNLOADED} turns from new senders")
    print(f"{'':<36}" + "".join(f"{name[:28]:>30}" for name in rows))
    for metric in next(iter(rows.values())):
        print(f"{metric:<36}" + "".join(f"{row[metric]:>30.1f}" for row in rows.values()))


if __name__ == "__main__":
    main()
