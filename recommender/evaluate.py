"""Offline evaluation, top-k ranking metrics per model, side by side, in two protocols:

- leave-last-out: each user's last item is the test item, ranked from their training events;
- sessions: each user's last session is held out, and every item of it is predicted from the
  session's items before it alone (an anonymous shopper after one, two, … clicks);
- complements ("这个配什么"): after a user's last purchase or cart add, the first item they bought
  from another category within 14 days, ranked the way `Personaliser.complements` ranks.

Each prediction has exactly one relevant item, so P@k = hit/k, R@k = hit, NDCG@k =
1/log2(rank+1) and AP@k = 1/rank when the item is ranked within k. Every model is asked
through `score_steps`, with the events in time order.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import sparse

from recommender.base import Recommender, top_k
from recommender.blend import Blend, Weights
from recommender.complements import Complements
from recommender.data import (EVENT_WEIGHTS, Event, Interactions, Steps, hold_out_complements, hold_out_sessions,
                             leave_last_out, to_steps)


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


SESSION_WEIGHT = EVENT_WEIGHTS["click"]  # a session item's confidence, as the Personaliser counts a click


def rank_metrics(ranked: list[int], relevant: int, k: int) -> tuple[float, float, float, float, float]:
    """(precision, recall, f1, ndcg, ap) of one ranked list against one relevant item."""
    if relevant not in ranked[:k]:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    rank = ranked.index(relevant) + 1
    precision, recall = 1.0 / k, 1.0
    return precision, recall, 2 * precision * recall / (precision + recall), 1.0 / math.log2(rank + 1), 1.0 / rank


Factories = dict[str, Callable[[dict[str, Recommender]], Recommender]]


def evaluate(events: Iterable[Event], factories: Factories, k: int = 10, min_items: int = 3) -> dict[str, Metrics]:
    """Fit each model on the training part of a leave-last-out split and score its top-k.

    `factories` are called in order with the models fitted so far (so a blend can reuse them).
    """
    split = leave_last_out(events, min_items)
    data = Interactions.from_events(split.train)
    cases = [(data.matrix[u], data.steps_of(u), u, data.item_index.get(i, -1))
             for u, i in ((data.user_index[u], i) for u, i in split.held_out.items() if u in data.user_index)]
    return _score_all(data, factories, cases, k)


def evaluate_sessions(events: Iterable[Event], factories: Factories, k: int = 10,
                      max_prefix: int = 5) -> dict[str, Metrics]:
    """Held-out last sessions, predicted from their first items only: after the session's first
    n steps (n = 1 … max_prefix), the next new item is the one relevant item; what the session
    already touched is excluded. `users` in the result counts predictions."""
    split = hold_out_sessions(events)
    data = Interactions.from_events(split.train)
    cases = []
    for session in split.sessions.values():
        steps = to_steps(session, data.item_index)
        for n in range(1, min(len(steps), max_prefix + 1)):
            relevant = int(steps.items[n])
            if relevant in steps.items[:n]:
                continue
            cols = np.unique(steps.items[:n])
            row = sparse.csr_matrix((np.full(len(cols), SESSION_WEIGHT, dtype=np.float32),
                                     (np.zeros(len(cols), dtype=np.int64), cols)), shape=(1, len(data.items)))
            cases.append((row, Steps(steps.items[:n], steps.kinds[:n]), None, relevant))
    return _score_all(data, factories, cases, k)


def evaluate_complements(events: Iterable[Event], category_of: Mapping[str, str], brand_of: Mapping[str, str],
                         k: int = 4, weights: Weights = Weights(),
                         sequential: Mapping[str, Any] | None = None) -> dict[str, Metrics]:
    """"这个配什么" on held-out pairs (`hold_out_complements`): the association rules pick the
    categories, and inside them each row orders items its own way — popularity (as served before),
    the blend without the sequential model, and the served blend after the shopper's steps. Items
    the shopper bought are left out, as served. `users` counts pairs."""
    from recommender.sequential import SASRec
    from recommender.train import new_model

    events = list(events)
    split = hold_out_complements(events, category_of)
    data = Interactions.from_events(split.train)
    rules = Complements().fit(split.train, category_of)
    fitted = {name: new_model(name).fit(data) for name in ("popularity", "als", "itemcf")}
    started = time.perf_counter()
    fitted["sequential"] = SASRec(**(sequential or {})).fit(data)
    fit_seconds = round(time.perf_counter() - started, 2)
    rows: dict[str, Callable[[sparse.csr_matrix, Steps], np.ndarray]] = {
        "popularity": fitted["popularity"].score_steps,
        "blend without sequential": Blend(fitted["als"], fitted["itemcf"], fitted["popularity"], brand_of,
                                          weights).score_steps,
        "blend (served)": Blend(fitted["als"], fitted["itemcf"], fitted["popularity"], brand_of, weights,
                                fitted["sequential"]).score_steps}
    bought: dict[str, set[str]] = {}
    for e in split.train:
        if e.event == "purchase":
            bought.setdefault(e.user, set()).add(e.item)
    categorised = {i: category_of[i] for i in data.items if i in category_of}
    results: dict[str, Metrics] = {}
    for name, preference in rows.items():
        totals, shown = np.zeros(5), set()
        for user, (item, relevant) in split.pairs.items():
            u = data.user_index[user]
            scores = preference(data.matrix[u], data.steps_of(u))
            ranked = [i for i, _ in rules.for_category(category_of[item], categorised,
                                                       lambda i: float(scores[data.item_index[i]]), k=k,
                                                       exclude=bought.get(user, set()))]
            shown.update(ranked)
            totals += rank_metrics(ranked, relevant, k)
        mean = totals / max(len(split.pairs), 1)
        results[name] = Metrics(*map(float, mean), coverage=len(shown) / max(len(data.items), 1),
                                users=len(split.pairs), fit_seconds=fit_seconds if "served" in name else 0.0)
    return results


def _score_all(data: Interactions, factories: Factories,
               cases: list[tuple[sparse.csr_matrix, Steps, int | None, int]], k: int) -> dict[str, Metrics]:
    """Fit every model on `data`, rank every (history, steps, user, relevant) case, average."""
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
        for history, steps, user, relevant in cases:
            ranked = [i for i, _ in top_k(model.score_steps(history, steps, user), history.indices, k)]
            shown.update(ranked)
            totals += rank_metrics(ranked, relevant, k)
        mean = totals / max(len(cases), 1)
        results[name] = Metrics(*map(float, mean), coverage=len(shown) / max(len(data.items), 1),
                                users=len(cases), fit_seconds=round(fit_seconds, 2))
    return results


def standard_models(explicit: bool = False, engine: str = "local", master: str = "local[*]",
                    weights: Weights = Weights(), brand_of: Mapping[str, str] | None = None,
                    sequential: Mapping[str, Any] | None = None) -> Factories:
    """The side-by-side line-up: every trained model (+ explicit MF on ratings), then the blend
    shoppers get, built from the fitted ALS, item-CF, popularity and sequential model with the
    items' brands. `sequential` overrides the sequential model's settings (e.g. longer training
    for MovieLens)."""
    from recommender.mf import ExplicitMF
    from recommender.sequential import SASRec
    from recommender.train import MODELS, new_model

    models: dict[str, Callable] = {name: (lambda fitted, name=name: new_model(name, engine, master))
                                   for name in MODELS}
    if sequential:
        models["sequential"] = lambda fitted: SASRec(**sequential)
    if explicit:
        models["mf"] = lambda fitted: ExplicitMF()
    models["blend"] = lambda fitted: Blend(fitted["als"], fitted["itemcf"], fitted["popularity"],
                                           brand_of or {}, weights, fitted.get("sequential"))
    return models
