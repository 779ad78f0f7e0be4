"""N concurrent shoppers × 20 scripted turns over Rasa's REST channel: p50/p95/p99 turn
latency and errors, and in the same run the floor — a turn with no custom action ("你好" →
utter_greet) at the same concurrency. Target: 0 errors, p95 ≤ 1.5 × floor p95 + 100 ms.

Usage: .venv/bin/python -m bench.load [SHOPPERS=50] [--url=http://127.0.0.1:5005[,http://…:5006]]
Without --url it starts its own Rasa + action server (like the tests) and stops them after.
Several URLs (the production profile's Rasa instances): each shopper's turns alternate between them.
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.script import FLOOR, SCRIPT


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def shopper(client: httpx.AsyncClient, urls: list[str], script: list[str], latencies: list[float],
                  errors: list[str]) -> None:
    sender = f"load-{uuid.uuid4().hex[:10]}"
    for turn, text in enumerate(script):
        url = urls[turn % len(urls)]
        started = time.perf_counter()
        try:
            reply = await client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
            if reply.status_code != 200 or not isinstance(reply.json(), list):
                errors.append(f"{reply.status_code} for {text}")
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__} for {text}")
        latencies.append(time.perf_counter() - started)


async def run(urls: list[str], shoppers: int, script: list[str], token: str) -> tuple[list[float], list[str], float]:
    """Rasa's REST channel is internal: the bench calls it as the web relay does, with the Rasa token."""
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=shoppers, max_keepalive_connections=shoppers)
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=limits, headers={"Authorization": f"Bearer {token}"}) as client:
        await asyncio.gather(*(shopper(client, urls, script, latencies, errors) for _ in range(shoppers)))
    return latencies, errors, time.perf_counter() - started


def report(name: str, latencies: list[float], errors: list[str], wall: float) -> float:
    p95 = percentile(latencies, 0.95)
    print(f"{name:>8}: {len(latencies)} turns in {wall:.1f}s ({len(latencies) / wall:.1f} turns/s), "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, errors {len(errors)}"
          + (f" (first: {errors[0]})" if errors else ""))
    return p95


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--url")]
    shoppers = int(args[0]) if args else 50
    url = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--url=")), None)
    stack = None
    from core.settings import get_settings

    if url is None:
        from core.build import build_all
        from tests.conftest import Stack

        settings = get_settings()
        build_all(settings, log=lambda _: None)
        stack = Stack(settings, Path(tempfile.mkdtemp(prefix="daogou-load-")))
        stack.start_actions()
        stack.start_rasa()
        url = stack.settings.rasa_url
    token = stack.settings.api_token() if stack else get_settings().api_token()
    urls = url.split(",")
    try:
        asyncio.run(run(urls, 2, ["你好", "我想买手机"], token))  # warm-up
        floor = report("floor", *asyncio.run(run(urls, shoppers, FLOOR, token)))
        p95 = report("shopping", *asyncio.run(run(urls, shoppers, SCRIPT, token)))
        target = 1.5 * floor + 0.1
        print(f"target p95 ≤ 1.5 × {floor * 1000:.0f} + 100 = {target * 1000:.0f} ms: "
              f"{'met' if p95 <= target else 'NOT met'} ({shoppers} shoppers × {len(SCRIPT)} turns)")
    finally:
        if stack:
            stack.stop_all()


if __name__ == "__main__":
    main()
