"""The personal ranking shoppers get: β·taste + γ·trend over every item, where taste is the mean
of normalised ALS (fold-in of the shopper's history), item-CF, brand affinity and — when a
sequential model is trained and the shopper's steps are known — its next-item scores, weighted
SEQUENCE_WEIGHT.

One ranker for serving ("有什么适合我的", `Personaliser.recommend`) and for the `blend` row of
`shopbot eval recommender`, so the evaluation measures exactly what shoppers are shown.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recommender.als import ALS
from recommender.base import Recommender, normalise
from recommender.data import Interactions, Steps
from recommender.itemcf import ItemCF
from recommender.popularity import Popularity
from recommender.sequential import SASRec


# The sequential part of taste against each of ALS, item-CF and brand affinity: on the shipped shop
# (leave-last-out NDCG@10) 0 → 0.078, 1 → 0.101, 3 → 0.138, 9 → 0.178; 3 keeps the shopper's brands
# and long-term taste visible beside what they did last.
SEQUENCE_WEIGHT = 3.0


@dataclass(frozen=True)
class Weights:
    """Blend weights (settings: SHOPBOT_BLEND_SEMANTIC / _CF / _POPULARITY)."""

    semantic: float = 0.6
    cf: float = 0.3
    popularity: float = 0.1


class Blend(Recommender):
    """Ranks every item for a shopper's history from fitted ALS, item-CF and popularity models."""

    name = "blend"

    def __init__(self, als: ALS, itemcf: ItemCF, popularity: Popularity,
                 brand_of: Mapping[str, str], weights: Weights = Weights(),
                 sequential: SASRec | None = None, sequence_weight: float = SEQUENCE_WEIGHT) -> None:
        self.als, self.itemcf, self.popularity, self.sequential = als, itemcf, popularity, sequential
        self.sequence_weight = sequence_weight  # the sequential part against each of the other three
        self.brand_of, self.weights = brand_of, weights
        self._align(list(popularity.items))

    def _align(self, items: list[str]) -> None:
        self.items = items
        self.brands = np.array([self.brand_of.get(i) or "" for i in items], dtype=object)

    def fit(self, data: Interactions) -> "Blend":
        """The models come fitted on `data`; only its item order is taken."""
        self._align(list(data.items))
        return self

    def trend(self) -> np.ndarray:
        """What shoppers engage with now (time-decayed), or all-time counts when there is no trend."""
        return self.popularity.trend if self.popularity.trend.any() else self.popularity.counts

    def brand_affinity(self, row: sparse.csr_matrix) -> np.ndarray:
        """Share of the shopper's engagement that went to each item's brand, scaled so the
        favourite brand is 1: loyalty carries across categories (华为 earbuds → 华为 phones)."""
        totals: Counter[str] = Counter()
        for col, weight in zip(row.indices, row.data):
            totals[self.brands[col]] += float(weight)
        totals.pop("", None)
        if not totals:
            return np.zeros(len(self.items))
        top = max(totals.values())
        return np.array([totals.get(b, 0.0) / top for b in self.brands])

    def taste(self, row: sparse.csr_matrix, steps: Steps | None = None) -> np.ndarray:
        """The shopper's taste per item: mean of normalised ALS, item-CF, brand affinity and, given
        the steps in time order, the sequential model's next-item scores weighted SEQUENCE_WEIGHT
        (zeros for no history)."""
        if not row.nnz:
            return np.zeros(len(self.items))
        taste = normalise(self.als.score(row)) + normalise(self.itemcf.score(row)) + self.brand_affinity(row)
        if self.sequential is None or steps is None or not len(steps) or not self.sequence_weight:
            return taste / 3.0
        next_items = normalise(self.sequential.score_steps(row, steps))
        return (taste + self.sequence_weight * next_items) / (3.0 + self.sequence_weight)

    def score_steps(self, history: sparse.csr_matrix, steps: Steps | None, user: int | None = None) -> np.ndarray:
        """β·taste + γ·normalised trend; `user` is ignored: ALS folds the history in, as when serving."""
        return self.weights.cf * self.taste(history, steps) + self.weights.popularity * normalise(self.trend())

    def score(self, history: sparse.csr_matrix, user: int | None = None) -> np.ndarray:
        """The ranking without the history's order (no sequential part)."""
        return self.score_steps(history, None, user)

    def arrays(self) -> dict:
        return {}

    def restore(self, arrays: dict) -> None:
        pass
