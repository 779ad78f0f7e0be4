"""Stances of shopper text and the `label<TAB>text` files that teach and test them: stdlib only,
so the Rasa server's sentiment component and `shopbot eval sentiment` read the files the same way."""
from __future__ import annotations

from pathlib import Path

STANCES = ("negative", "neutral", "positive")


def read_labelled(path: Path) -> list[tuple[str, str]]:
    """(stance, text) pairs from a `label<TAB>text` file (blank lines skipped); an unknown label or
    an empty text is an error naming the line."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label, _, text = line.partition("\t")
        if label not in STANCES or not text.strip():
            raise ValueError(f"{path}:{number}: expected '{'|'.join(STANCES)}<TAB>text'")
        pairs.append((label, text.strip()))
    return pairs
