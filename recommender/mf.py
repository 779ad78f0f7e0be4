"""Explicit-rating matrix factorisation, R ≈ μ + PᵀQ, by alternating ridge regressions over the
observed ratings only (for rating data such as MovieLens)."""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from recommender.base import Recommender
from recommender.data import Interactions


class ExplicitMF(Recommender):
    """Predicts ratings; `score` ranks unseen items by predicted rating."""

    name = "mf"

    def __init__(self, factors: int = 20, regularization: float = 0.1, iterations: int = 15,
                 seed: int = 7) -> None:
        self.factors, self.regularization, self.iterations, self.seed = factors, regularization, iterations, seed
        self.items: list[str] = []
        self.mean = 0.0
        self.p = np.zeros((0, factors))
        self.q = np.zeros((0, factors))

    def params(self) -> dict[str, Any]:
        return {"factors": self.factors, "regularization": self.regularization,
                "iterations": self.iterations, "seed": self.seed}

    def fit(self, data: Interactions) -> "ExplicitMF":
        self.items = list(data.items)
        by_user = data.matrix.tocsr().astype(np.float64)
        self.mean = float(by_user.data.mean()) if by_user.nnz else 0.0
        by_item = by_user.T.tocsr()
        rng = np.random.default_rng(self.seed)
        self.p = rng.normal(0, 0.1, (by_user.shape[0], self.factors))
        self.q = rng.normal(0, 0.1, (by_user.shape[1], self.factors))
        for _ in range(self.iterations):
            self.p = self._solve(by_user, self.q)
            self.q = self._solve(by_item, self.p)
        return self

    def _solve(self, ratings: sparse.csr_matrix, fixed: np.ndarray) -> np.ndarray:
        """One ridge regression per row over that row's observed entries."""
        out = np.zeros((ratings.shape[0], self.factors))
        ridge = self.regularization * np.eye(self.factors)
        for r in range(ratings.shape[0]):
            start, end = ratings.indptr[r], ratings.indptr[r + 1]
            if start == end:
                continue
            f = fixed[ratings.indices[start:end]]
            out[r] = np.linalg.solve(f.T @ f + ridge * (end - start), f.T @ (ratings.data[start:end] - self.mean))
        return out

    def arrays(self) -> dict[str, Any]:
        return {"p": self.p, "q": self.q, "mean": np.array([self.mean])}

    def restore(self, arrays: dict[str, Any]) -> None:
        self.p, self.q, self.mean = arrays["p"], arrays["q"], float(arrays["mean"][0])

    def score(self, history: sparse.csr_matrix, user: int | None = None) -> np.ndarray:
        if user is not None:
            vector = self.p[user]
        else:
            vector = self._solve(history.astype(np.float64), self.q)[0]
        return self.mean + self.q @ vector
