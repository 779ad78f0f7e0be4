"""Popularity for cold start: all-time (confidence-weighted) or trending (recent events
weigh more, half-life 7 days). Per-category lists mask the same scores."""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from recommender.base import Recommender
from recommender.data import Interactions

MODES = ("global", "trending")


class Popularity(Recommender):
    """The same list for everyone: what most shoppers engaged with (or engage with now)."""

    name = "popularity"

    def __init__(self, mode: str = "global") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self.items: list[str] = []
        self.counts = np.zeros(0)
        self.trend = np.zeros(0)

    def params(self) -> dict[str, Any]:
        return {"mode": self.mode}

    def fit(self, data: Interactions) -> "Popularity":
        self.items = list(data.items)
        # Explicit ratings: how many people rated it; implicit: summed confidence.
        matrix = data.matrix
        self.counts = (np.diff(matrix.tocsc().indptr).astype(np.float64) if data.explicit
                       else np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel())
        self.trend = np.asarray(data.trend, dtype=np.float64) if len(data.trend) else self.counts.copy()
        return self

    def arrays(self) -> dict[str, Any]:
        return {"counts": self.counts, "trend": self.trend}

    def restore(self, arrays: dict[str, Any]) -> None:
        self.counts, self.trend = arrays["counts"], arrays["trend"]

    def score(self, history: sparse.csr_matrix | None = None, user: int | None = None) -> np.ndarray:
        return (self.trend if self.mode == "trending" else self.counts).copy()
