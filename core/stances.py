"""Stances of shopper text, the `label<TAB>text` files that teach and test them, and the test for
text that says nothing at all: stdlib only, so the Rasa server's NLU components and `shopbot eval
sentiment` read text the same way."""
from __future__ import annotations

import re
from pathlib import Path

STANCES = ("negative", "neutral", "positive")
# Letters or digits of any script, or a pictograph (emoji): a message with none of them ("。。。",
# "，，，", "@#￥%……&") says nothing an intent or a feeling could be read from.
_CONTENT = re.compile(r"[^\W_]|[\U0001F300-\U0001FAFF\u2600-\u27BF]")


def says_something(text: str) -> bool:
    """False for punctuation and symbols alone: such a message gets "please say it again"."""
    return bool(_CONTENT.search(text or ""))


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
