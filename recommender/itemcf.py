"""Item-based CF: item–item cosine on confidence-weighted implicit feedback, top-k neighbours.

score(u, i) = Σ_j r(u, j) · sim(j, i) over the items j the user touched.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from recommender.base import Recommender
from recommender.data import Interactions


class ItemCF(Recommender):
    """Keeps each item's `neighbours` most similar items; `similar(item)` answers "看了又看"."""

    name = "itemcf"

    def __init__(self, neighbours: int = 100) -> None:
        self.neighbours = neighbours
        self.items: list[str] = []
        self.similarity = sparse.csr_matrix((0, 0), dtype=np.float32)

    def params(self) -> dict[str, Any]:
        return {"neighbours": self.neighbours}

    def fit(self, data: Interactions) -> "ItemCF":
        self.items = list(data.items)
        matrix = data.matrix.tocsc().astype(np.float32)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0))).ravel()
        norms[norms == 0] = 1.0
        normalised = matrix @ sparse.diags(1.0 / norms).astype(np.float32)
        sim = (normalised.T @ normalised).tocsr()
        sim.setdiag(0)
        sim.eliminate_zeros()
        self.similarity = self._top_k(sim)
        self._positions = None
        return self

    def _top_k(self, sim: sparse.csr_matrix) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for r in range(sim.shape[0]):
            start, end = sim.indptr[r], sim.indptr[r + 1]
            data, indices = sim.data[start:end], sim.indices[start:end]
            keep = np.lexsort((indices, -data))[: self.neighbours]
            rows.append(np.full(len(keep), r))
            cols.append(indices[keep])
            vals.append(data[keep])
        if not rows:
            return sparse.csr_matrix(sim.shape, dtype=np.float32)
        return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                 shape=sim.shape, dtype=np.float32)

    def arrays(self) -> dict[str, Any]:
        return {"similarity": self.similarity}

    def restore(self, arrays: dict[str, Any]) -> None:
        self.similarity = arrays["similarity"].tocsr()

    def score(self, history: sparse.csr_matrix, user: int | None = None) -> np.ndarray:
        return np.asarray((history @ self.similarity).todense(), dtype=np.float64).ravel()

    def contributions(self, history: sparse.csr_matrix, item: int) -> dict[int, float]:
        """How much each history item adds to `item`'s score (for "因为你看过 X")."""
        column = self.similarity[:, item].toarray().ravel()
        return {int(j): float(w * column[j]) for j, w in zip(history.indices, history.data) if column[j] > 0}

    def similar(self, item: str, k: int = 5) -> list[tuple[str, float]]:
        """Items most often engaged with by the same shoppers, best first."""
        if item not in self.items:
            return []
        row = self.similarity.getrow(self.items.index(item))
        order = np.lexsort((row.indices, -row.data))[:k]
        return [(self.items[row.indices[j]], float(row.data[j])) for j in order]
