"""The intents and entities Rasa knows, read from domain.yml (what staff may annotate with)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml


@lru_cache(maxsize=4)
def _read(path: Path, mtime: float) -> tuple[list[str], list[str]]:
    domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = lambda items: sorted(next(iter(i)) if isinstance(i, dict) else str(i) for i in items or [])
    return names(domain.get("intents")), names(domain.get("entities"))


def intents_and_entities(path: Path) -> tuple[list[str], list[str]]:
    """(intents, entities) of the domain file, re-read when it changes."""
    return _read(path, path.stat().st_mtime)
