"""A build's `manifest.json`: what an artefact (search index, trained recommenders) was built
from, written beside it and read back by the build step, the serving process and `shopbot doctor`.

A leaf (standard library only), so the libraries' manifests derive from it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

MANIFEST_FILE = "manifest.json"

M = TypeVar("M", bound="Manifest")


@dataclass
class Manifest:
    """Base of a build's manifest: subclasses (dataclasses) add the fields they record."""

    @classmethod
    def read(cls: type[M], folder: Path) -> M | None:
        """The manifest in `folder`, or None when nothing was built there yet."""
        path = folder / MANIFEST_FILE
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def write(self, folder: Path) -> None:
        """Write it as indented UTF-8 JSON beside the artefact."""
        (folder / MANIFEST_FILE).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2),
                                            encoding="utf-8")
