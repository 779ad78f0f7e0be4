"""CPU time per graph component per turn, for one or more trained models side by side.

Runs in the Rasa environment: every node of the served graph (tokenizer, featurizers,
classifiers, extractors, policies) is timed while the model handles scripted shopper
turns in memory (no action server: custom actions fail fast, which costs the same for
every model), so README can say what each component costs a turn.

Usage: .venv-rasa/bin/python -m bench.nlu_cost MODEL.tar.gz [OTHER.tar.gz ...]
"""
from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from collections import defaultdict

TURNS = 3  # conversations of bench.load's script per model, after one warm-up conversation


def timed_nodes() -> dict[str, list[float]]:
    """Wrap GraphNode.__call__ so each node's run time is recorded under its component name."""
    from rasa.engine.graph import GraphNode

    times: dict[str, list[float]] = defaultdict(list)
    original = GraphNode.__call__

    def call(self, *inputs):
        started = time.perf_counter()
        try:
            return original(self, *inputs)
        finally:
            times[self._component_class.__name__].append(time.perf_counter() - started)

    GraphNode.__call__ = call
    return times


async def measure(path: str, times: dict[str, list[float]]) -> tuple[dict[str, float], int]:
    from rasa.core.agent import load_agent

    from bench.script import SCRIPT

    agent = await load_agent(model_path=path)
    for conversation in range(TURNS + 1):
        if conversation == 1:
            times.clear()
        sender = f"cost-{uuid.uuid4().hex[:8]}"
        for text in SCRIPT:
            await agent.handle_text(text, sender_id=sender)
    turns = TURNS * len(SCRIPT)
    return {name: sum(values) * 1000 / turns for name, values in times.items()}, turns


def main() -> None:
    logging.disable(logging.WARNING)
    paths = sys.argv[1:]
    if not paths:
        raise SystemExit(__doc__)
    times = timed_nodes()
    results = {}
    for path in paths:
        results[path], turns = asyncio.run(measure(path, times))
    names = sorted({n for r in results.values() for n in r}, key=lambda n: -max(r.get(n, 0) for r in results.values()))
    print(f"ms of CPU per turn ({turns} turns of bench.load's script, in memory)")
    print(f"{'component':<34}" + "".join(f"{p.rsplit('/', 1)[-1][:26]:>28}" for p in paths))
    for name in names:
        if max(r.get(name, 0) for r in results.values()) >= 0.05:
            print(f"{name:<34}" + "".join(f"{r.get(name, 0):>28.2f}" for r in results.values()))
    print(f"{'total':<34}" + "".join(f"{sum(r.values()):>28.2f}" for r in results.values()))


if __name__ == "__main__":
    main()
