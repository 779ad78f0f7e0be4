"""Offline evaluation: temporal leave-last-out, top-k ranking metrics per model, side by side.

Each evaluated user has exactly one relevant item (their last), so P@k = hit/k, R@k = hit,
NDCG@k = 1/log2(rank+1) and AP@k = 1/rank when the item is ranked within k.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass

import numpy as np

from recommender.base import Recommender, top_k
from recommender.blend import Blend, Weights
from recommender.data import Event, Interactions, leave_last_out


@dataclass
class Metrics:
    precision: float
    recall: float
    f1: float
    ndcg: float
    map: float
    coverage: float
    users: int
    fit_seconds: float

    def as_dict(self) -> dict:
        return {key: round(value, 4) if isinstance(value, float) else value for key, value in asdict(self).items()}


def rank_metrics(ranked: list[int], relevant: int, k: int) -> tuple[float, float, float, float, float]:
    """(precision, recall, f1, ndcg, ap) of one ranked list against one relevant item."""
    if relevant not in ranked[:k]:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    rank = ranked.index(relevant) + 1
    precision, recall = 1.0 / k, 1.0
    return precision, recall, 2 * precision * recall / (precision + recall), 1.0 / math.log2(rank + 1), 1.0 / rank


def evaluate(events: Iterable[Event], factories: dict[str, Callable[[dict[str, Recommender]], Recommender]],
             k: int = 10, min_items: int = 3) -> dict[str, Metrics]:
    """Fit each model on the training part of a leave-last-out split and score its top-k.

    `factories` are called in order with the models fitted so far (so a blend can reuse them).
    """
    split = leave_last_out(events, min_items)
    data = Interactions.from_events(split.train)
    users = [(data.user_index[u], data.item_index.get(i, -1)) for u, i in split.held_out.items()
             if u in data.user_index]
    fitted: dict[str, Recommender] = {}
    results: dict[str, Metrics] = {}
    for name, factory in factories.items():
        started = time.perf_counter()
        model = factory(fitted)
        model.fit(data)
        fit_seconds = time.perf_counter() - started
        fitted[name] = model
        totals = np.zeros(5)
        shown: set[int] = set()
        for user, relevant in users:
            history = data.matrix[user]
            ranked = [i for i, _ in top_k(model.score(history, user), history.indices, k)]
            shown.update(ranked)
            totals += rank_metrics(ranked, relevant, k)
        mean = totals / max(len(users), 1)
        results[name] = Metrics(*map(float, mean), coverage=len(shown) / max(len(data.items), 1),
                                users=len(users), fit_seconds=round(fit_seconds, 2))
    return results


def standard_models(explicit: bool = False, engine: str = "local", master: str = "local[*]",
                    weights: Weights = Weights(), brand_of: Mapping[str, str] | None = None
                    ) -> dict[str, Callable[[dict[str, Recommender]], Recommender]]:
    """The side-by-side line-up: every trained model (+ explicit MF on ratings), then the blend
    shoppers get, built from the fitted ALS, item-CF and popularity with the items' brands."""
    from recommender.mf import ExplicitMF
    from recommender.train import MODELS, new_model

    models: dict[str, Callable] = {name: (lambda fitted, name=name: new_model(name, engine, master))
                                   for name in MODELS}
    if explicit:
        models["mf"] = lambda fitted: ExplicitMF()
    models["blend"] = lambda fitted: Blend(fitted["als"], fitted["itemcf"], fitted["popularity"],
                                           brand_of or {}, weights)
    return models
