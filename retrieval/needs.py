"""Needs without a category word → the category that serves them ("家里的猫挑嘴" → 猫粮).

The cues come from a reviewed table (`retrieval/needs.yml`), kept to the categories the shop
sells. Every cue found in a message scores its length for its category; the best category
wins, so a specific need ("沙发上全是猫毛" → 吸尘器) beats a broad subject ("猫" → 猫粮).
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml

TABLE = Path(__file__).with_name("needs.yml")


@lru_cache(maxsize=4)
def read_table(path: Path = TABLE) -> dict[str, tuple[str, ...]]:
    """category → cue words, as reviewed."""
    table = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(category): tuple(str(cue) for cue in cues or ()) for category, cues in table.items()}


def need_cues(categories: Iterable[str], table: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """cue → category for the categories this shop sells (a cue claimed twice keeps its first)."""
    sold = set(categories)
    cues: dict[str, str] = {}
    for category, words in (read_table() if table is None else table).items():
        if category in sold:
            for word in words:
                cues.setdefault(word.lower(), category)
    return cues


def match_need(text: str, cues: dict[str, str]) -> tuple[str, str] | None:
    """(category, its longest cue) for the need the text describes, or None."""
    lowered = text.lower()
    scores: dict[str, int] = {}
    best_cue: dict[str, str] = {}
    for cue, category in cues.items():
        if cue in lowered:
            scores[category] = scores.get(category, 0) + len(cue)
            if len(cue) > len(best_cue.get(category, "")):
                best_cue[category] = cue
    if not scores:
        return None
    category = max(scores, key=lambda c: (scores[c], len(best_cue[c])))
    return category, best_cue[category]
