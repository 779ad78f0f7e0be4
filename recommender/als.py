"""Matrix factorisation on implicit feedback: ALS from the `implicit` library (Hu, Koren &
Volinsky 2008). Confidence c = α·r (as `implicit` computes it) where r sums event weights (view < click < cart < purchase).

Users are folded in from their current history at scoring time, so a shopper's new chat
clicks count before the next retraining; `update_users` makes that permanent cheaply.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from recommender.base import Recommender
from recommender.data import Interactions


class ALS(Recommender):
    """Implicit-feedback ALS; `engine="spark"` trains the same model on Apache Spark."""

    name = "als"

    def __init__(self, factors: int = 32, regularization: float = 0.05, iterations: int = 15,
                 alpha: float = 1.0, seed: int = 7, engine: str = "local", master: str = "local[*]") -> None:
        self.factors, self.regularization, self.iterations = factors, regularization, iterations
        self.alpha, self.seed, self.engine, self.master = alpha, seed, engine, master
        self.items: list[str] = []
        self.user_factors = np.zeros((0, factors), dtype=np.float32)
        self.item_factors = np.zeros((0, factors), dtype=np.float32)

    def params(self) -> dict[str, Any]:
        return {"factors": self.factors, "regularization": self.regularization,
                "iterations": self.iterations, "alpha": self.alpha, "seed": self.seed,
                "engine": self.engine, "master": self.master}

    def fit(self, data: Interactions) -> "ALS":
        self.items = list(data.items)
        if self.engine == "spark":
            from recommender.spark_als import fit_spark_als

            self.user_factors, self.item_factors = fit_spark_als(data.matrix, self)
            self._items64 = self._gram = None
            return self
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # implicit parallelises itself; nested BLAS threads only slow it
            model = AlternatingLeastSquares(factors=self.factors, regularization=self.regularization,
                                            alpha=self.alpha, iterations=self.iterations,
                                            random_state=self.seed, calculate_training_loss=False)
            model.fit(data.matrix.tocsr().astype(np.float32), show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)
        self._items64 = self._gram = None
        return self

    def arrays(self) -> dict[str, Any]:
        return {"user_factors": self.user_factors, "item_factors": self.item_factors}

    def restore(self, arrays: dict[str, Any]) -> None:
        self.user_factors = arrays["user_factors"].astype(np.float32)
        self.item_factors = arrays["item_factors"].astype(np.float32)
        self._gram = None
        self._items64 = None

    def fold_in(self, history: sparse.csr_matrix) -> np.ndarray:
        """The ALS user step for one history: x = (YᵀY + Yᵀ(C−I)Y + λI)⁻¹ Yᵀ C p."""
        y = self._item_matrix()
        if getattr(self, "_gram", None) is None:
            self._gram = y.T @ y
        cols, weights = history.indices, history.data.astype(np.float64)
        if not len(cols):
            return np.zeros(self.factors)
        confidence = self.alpha * weights  # as `implicit` does: c = α·r, A += (c−1)·y yᵀ, b += c·y
        yi = y[cols]
        a = self._gram + (yi.T * (confidence - 1.0)) @ yi + self.regularization * np.eye(y.shape[1])
        return np.linalg.solve(a, yi.T @ confidence)

    def _item_matrix(self) -> np.ndarray:
        """Item factors in float64, converted once (not per request)."""
        if getattr(self, "_items64", None) is None or len(self._items64) != len(self.item_factors):
            self._items64 = self.item_factors.astype(np.float64)
            self._gram = None
        return self._items64

    def score(self, history: sparse.csr_matrix, user: int | None = None) -> np.ndarray:
        vector = self.user_factors[user] if user is not None else self.fold_in(history)
        return self._item_matrix() @ vector

    def update_users(self, rows: dict[int, sparse.csr_matrix]) -> None:
        """Incremental refit: recompute these users' factors against the current item factors."""
        needed = max(rows, default=-1) + 1
        if needed > len(self.user_factors):
            grown = np.zeros((needed, self.user_factors.shape[1]), dtype=np.float32)
            grown[: len(self.user_factors)] = self.user_factors
            self.user_factors = grown
        for user, history in rows.items():
            self.user_factors[user] = self.fold_in(history)
