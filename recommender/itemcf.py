"""Item-based collaborative filtering: item–item cosine on event-weighted implicit feedback."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

# Confidence per event type: a purchase says more than a view.
EVENT_WEIGHTS = {"view": 1.0, "click": 2.0, "add_to_cart": 3.0, "purchase": 5.0}


@dataclass
class CFManifest:
    algorithm: str
    users: int
    items: int
    interactions: int
    fingerprint: str
    built_at: float


class ItemCF:
    """Fit on (user, item, event) triples; `similar(item)` gives the k nearest items."""

    def __init__(self, neighbours: int = 20) -> None:
        self.neighbours = neighbours
        self.items: list[str] = []
        self.similarity: sparse.csr_matrix | None = None

    def fit(self, rows: list[tuple[str, str, str]]) -> "ItemCF":
        users = sorted({u for u, _, _ in rows})
        self.items = sorted({i for _, i, _ in rows})
        u_index = {u: n for n, u in enumerate(users)}
        i_index = {i: n for n, i in enumerate(self.items)}
        data = [EVENT_WEIGHTS.get(e, 1.0) for _, _, e in rows]
        matrix = sparse.csr_matrix(
            (data, ([u_index[u] for u, _, _ in rows], [i_index[i] for _, i, _ in rows])),
            shape=(len(users), len(self.items)), dtype=np.float32)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0))).ravel()
        norms[norms == 0] = 1.0
        normalised = matrix @ sparse.diags(1.0 / norms)
        sim = (normalised.T @ normalised).tocsr()
        sim.setdiag(0)
        sim.eliminate_zeros()
        self.similarity = self._top_k(sim)
        return self

    def _top_k(self, sim: sparse.csr_matrix) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for r in range(sim.shape[0]):
            start, end = sim.indptr[r], sim.indptr[r + 1]
            order = np.argsort(-sim.data[start:end])[: self.neighbours]
            rows.extend([r] * len(order))
            cols.extend(sim.indices[start:end][order])
            vals.extend(sim.data[start:end][order])
        return sparse.csr_matrix((vals, (rows, cols)), shape=sim.shape, dtype=np.float32)

    def similar(self, item: str, k: int = 5) -> list[tuple[str, float]]:
        """Items most often engaged with by the same shoppers, best first."""
        if self.similarity is None or item not in self.items:
            return []
        row = self.similarity.getrow(self.items.index(item))
        order = np.argsort(-row.data)[:k]
        return [(self.items[row.indices[j]], float(row.data[j])) for j in order]

    def save(self, folder: Path, manifest: CFManifest) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        sparse.save_npz(folder / "item_similarity.npz", self.similarity)
        (folder / "items.json").write_text(json.dumps(self.items), encoding="utf-8")
        (folder / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "ItemCF":
        model = cls()
        model.similarity = sparse.load_npz(folder / "item_similarity.npz").tocsr()
        model.items = json.loads((folder / "items.json").read_text(encoding="utf-8"))
        return model


def read_manifest(folder: Path) -> CFManifest | None:
    path = folder / "manifest.json"
    return CFManifest(**json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def train(rows: list[tuple[str, str, str]], folder: Path, fingerprint: str) -> CFManifest:
    model = ItemCF().fit(rows)
    manifest = CFManifest(algorithm="item-cf-cosine", users=len({u for u, _, _ in rows}),
                          items=len(model.items), interactions=len(rows),
                          fingerprint=fingerprint, built_at=time.time())
    model.save(folder, manifest)
    return manifest
