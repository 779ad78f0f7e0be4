"""User-based CF, the classic neighbourhood formula:

    r̂(u,i) = Σ_{v∈N_u(i)} sim(u,v)·r(v,i) / Σ_{v∈N_u(i)} |sim(u,v)|

N_u(i) = the k users most similar to u among those who rated i; sim is cosine or Pearson
(over co-rated items, each user's mean taken over all their ratings).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from recommender.base import Recommender
from recommender.data import Interactions

SIMILARITIES = ("cosine", "pearson")


class UserCF(Recommender):
    """`predict` is the formula; `score` ranks by it, damped by how many neighbours support it."""

    name = "usercf"

    def __init__(self, k: int = 50, similarity: str = "cosine", shrink: float = 10.0,
                 candidates: int = 400) -> None:
        if similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {SIMILARITIES}")
        self.k, self.similarity, self.shrink, self.candidates = k, similarity, shrink, candidates
        self.items: list[str] = []
        self.matrix = sparse.csr_matrix((0, 0), dtype=np.float32)

    def params(self) -> dict[str, Any]:
        return {"k": self.k, "similarity": self.similarity, "shrink": self.shrink,
                "candidates": self.candidates}

    def fit(self, data: Interactions) -> "UserCF":
        self.items = list(data.items)
        self.restore({"matrix": data.matrix})
        return self

    def arrays(self) -> dict[str, Any]:
        return {"matrix": self.matrix}

    def restore(self, arrays: dict[str, Any]) -> None:
        self.matrix = arrays["matrix"].tocsr().astype(np.float64)
        counts = np.diff(self.matrix.indptr)
        sums = np.asarray(self.matrix.sum(axis=1)).ravel()
        self.means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        self.norms = np.sqrt(np.asarray(self.matrix.multiply(self.matrix).sum(axis=1)).ravel())
        self.pattern = self.matrix.copy()
        self.pattern.data[:] = 1.0
        centred = self.matrix.copy()
        centred.data -= np.repeat(self.means, counts)
        self.centred = centred
        self.centred_sq = centred.multiply(centred).tocsr()

    def similarities(self, history: sparse.csr_matrix, user: int | None = None) -> np.ndarray:
        """sim(u, v) for every training user v (0 for u itself)."""
        h = history.astype(np.float64)
        if self.similarity == "cosine":
            norm = np.sqrt(h.multiply(h).sum())
            dots = np.asarray((self.matrix @ h.T).todense()).ravel()
            denom = self.norms * norm
        else:
            mean = h.data.mean() if h.nnz else 0.0
            hc = h.copy()
            hc.data -= mean
            mask = h.copy()
            mask.data[:] = 1.0
            dots = np.asarray((self.centred @ hc.T).todense()).ravel()
            own = np.asarray((self.pattern @ hc.multiply(hc).T).todense()).ravel()
            theirs = np.asarray((self.centred_sq @ mask.T).todense()).ravel()
            denom = np.sqrt(own * theirs)
        sim = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 1e-12)
        if user is not None and 0 <= user < len(sim):
            sim[user] = 0.0
        return sim

    def _neighbourhood(self, history: sparse.csr_matrix, user: int | None):
        sim = self.similarities(history, user)
        nonzero = np.flatnonzero(sim)
        if self.candidates and len(nonzero) > self.candidates:
            nonzero = nonzero[np.argpartition(-sim[nonzero], self.candidates - 1)[: self.candidates]]
        order = nonzero[np.lexsort((nonzero, -sim[nonzero]))]  # most similar first, ties by id
        # Sparse all the way: rows of `neighbours` are in similarity order, so within each item's
        # column the first k stored entries are its k most similar raters.
        neighbours = self.matrix[order].tocsc()
        neighbours.eliminate_zeros()
        neighbours.sort_indices()
        per_item = np.diff(neighbours.indptr)
        rank = np.arange(neighbours.nnz) - np.repeat(neighbours.indptr[:-1], per_item)
        chosen = rank < self.k
        items = np.repeat(np.arange(neighbours.shape[1]), per_item)[chosen]
        weights = sim[order][neighbours.indices[chosen]]
        n = neighbours.shape[1]
        numerator = np.bincount(items, weights=weights * neighbours.data[chosen], minlength=n)
        denominator = np.bincount(items, weights=np.abs(weights), minlength=n)
        return numerator, denominator, np.bincount(items, minlength=n).astype(np.float64)

    def predict(self, history: sparse.csr_matrix, user: int | None = None) -> np.ndarray:
        """r̂(u, i) for every item by the formula above (0 where no neighbour rated i)."""
        numerator, denominator, _ = self._neighbourhood(history, user)
        return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)

    def score(self, history: sparse.csr_matrix, user: int | None = None) -> np.ndarray:
        """r̂ · n/(n + shrink): one enthusiastic neighbour is weaker evidence than ten."""
        numerator, denominator, support = self._neighbourhood(history, user)
        predicted = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
        return predicted * support / (support + self.shrink)
