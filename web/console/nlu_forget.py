"""Taking a forgotten shopper's annotations out of the exported NLU training files
(`shopbot nlu export-annotations`), for `store.privacy.forget_user`'s `scrub_exports`.

The export only ever adds to a file (merge-safe: hand-written examples and other blocks stay),
so re-running it would keep the forgotten lines; they are removed here instead, and another
shopper's exported annotation with the same words is put back.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.console.teach import marked_up, nlu_yaml, plain_text, read_nlu
from store.models import Annotation


def _example_text(text: str, entities: list | None) -> str:
    """The text of the example line `export_annotations` writes for an annotation (markup removed)."""
    return plain_text(marked_up(text, entities or []))


def _exported_latest(rows: Iterable[Annotation], texts: set[str]) -> dict[str, tuple[str, str]]:
    """For each text in `texts`: (intent, example) of the latest exported annotation of it, as the
    export wrote it; used to put back another shopper's line with the same words."""
    latest: dict[str, tuple[str, str]] = {}
    for a in rows:
        plain = _example_text(a.text, a.entities)
        if a.exported_at is not None and plain in texts:
            latest[plain] = (a.intent, marked_up(a.text, a.entities or []))
    return latest


def _write_atomically(path: Path, content: str) -> None:
    """Replace the file in one step, so a crash never leaves half a training file."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    partial.write_text(content, encoding="utf-8")
    os.replace(partial, path)


def scrub_nlu_file(path: Path, texts: set[str], keep: dict[str, tuple[str, str]]) -> int:
    """Remove every example of `texts` from an exported NLU file, then put back the `keep` lines
    (other shoppers' annotations of the same words); returns the examples removed for good."""
    if not texts or not path.exists():
        return 0
    nlu = read_nlu(path)
    gone = [line for lines in nlu.examples.values() for line in lines if plain_text(line) in texts]
    if not gone:
        return 0
    for lines in nlu.examples.values():
        lines[:] = [line for line in lines if plain_text(line) not in texts]
    gone_texts = {plain_text(line) for line in gone}
    restored = sum(nlu.place(intent, example) for plain, (intent, example) in keep.items()
                   if plain in gone_texts)
    _write_atomically(path, nlu_yaml(nlu))
    return len(gone) - restored


def export_scrubber(nlu_files: Sequence[Path]):
    """`scrub_exports` for forget_user: remove these annotations from every file in `nlu_files`."""
    def scrub(session: Session, theirs: Sequence[Annotation]) -> int:
        ids = {a.id for a in theirs}
        texts = {_example_text(a.text, a.entities) for a in theirs} - {""}
        others = [a for a in session.scalars(select(Annotation).order_by(Annotation.id)) if a.id not in ids]
        keep = _exported_latest(others, texts)
        return sum(scrub_nlu_file(Path(path), texts, keep) for path in nlu_files)

    return scrub
