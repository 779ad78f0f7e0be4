"""Offline retrieval evaluation on labelled queries: nDCG@10, MRR@10 and P@5 per mode.

A query's labels describe relevance by product attributes (category, brands, price, …), so
the set stays valid when the catalog changes. Grade 2 = meets every constraint and wish,
1 = meets the hard constraints but misses a wish (tag or colour), 0 = irrelevant.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from retrieval.search import MODES, Searcher, color_matches


def grade(p, rel: dict) -> int:
    hard = (
        (not rel.get("category") or p.category == rel["category"])
        and (not rel.get("brands") or p.brand in rel["brands"])
        and p.brand not in rel.get("excluded_brands", [])
        and (rel.get("price_min") is None or p.price >= rel["price_min"])
        and (rel.get("price_max") is None or p.price <= rel["price_max"])
        and (not rel.get("gender") or p.gender in ("", rel["gender"]))
        and not any(color_matches(p.color, c) for c in rel.get("excluded_colors", []))
    )
    if not hard:
        return 0
    wishes = all(t in p.tags for t in rel.get("tags", [])) and (
        not rel.get("colors") or any(color_matches(p.color, c) for c in rel["colors"]))
    return 2 if wishes else 1


def dcg(grades: list[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


@dataclass
class ModeScores:
    ndcg: float
    mrr: float
    p5: float


def load_queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(searcher: Searcher, queries: list[dict], k: int = 10,
             modes: tuple[str, ...] = MODES) -> dict[str, ModeScores]:
    """Average metrics over the queries for each search mode."""
    products = [p for p in searcher.rows if p.stock > 0]
    totals = {m: [0.0, 0.0, 0.0] for m in modes}
    for item in queries:
        rel = item["relevant"]
        ideal = dcg(sorted((grade(p, rel) for p in products), reverse=True)[:k]) or 1.0
        parsed = searcher.parse(item["query"])
        for mode in modes:
            grades = [grade(searcher.products[r.id], rel) for r in searcher.search(parsed, k, mode=mode)]
            first = next((i for i, g in enumerate(grades) if g == 2), None)
            totals[mode][0] += dcg(grades) / ideal
            totals[mode][1] += 0.0 if first is None else 1.0 / (first + 1)
            totals[mode][2] += sum(g == 2 for g in grades[:5]) / 5
    n = max(len(queries), 1)
    return {m: ModeScores(*(round(v / n, 4) for v in t)) for m, t in totals.items()}
