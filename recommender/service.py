"""Serving face of the recommender: personal lists, cold start, session-aware lists,
complementary items and the blend with search relevance — each item with a Chinese reason.

final = α·semantic + β·CF + γ·popularity on normalised scores, where CF is the shopper's taste
(`recommender.blend`: the mean of normalised ALS fold-in, item-CF, brand affinity and — weighted
3 — the sequential model's next-item scores after their steps in time order); without a query the
personal list is `Blend.score_steps`, the very ranker `shopbot eval recommender` measures.

The visit going on now (events less than 30 minutes apart, the last one recent, plus clicks
passed in) is what "刚看过" means: its items are not offered again, and an item the sequential
model ranks high after it says "根据你刚看过的 X", X the visit's item closest to it.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from recommender.als import ALS
from recommender.base import normalise, top_k
from recommender.blend import Blend, Weights
from recommender.complements import Complements
from recommender.data import EVENT_WEIGHTS, SESSION_GAP, Event, Steps, last_visit_start, to_steps
from recommender.itemcf import ItemCF
from recommender.popularity import Popularity
from recommender.sequential import SASRec

SESSION_WEIGHT = EVENT_WEIGHTS["click"]
COMPLEMENTS_SHOWN = 4  # "这个配什么" cards the chat shows (and `eval recommender --complements` scores)
NEXT_ITEMS = 20  # an item among the sequential model's top this many after the visit is "because of the visit"


@dataclass
class Recommendation:
    item: str
    score: float
    reason: str
    source: str  # cf | similar | session | popularity | trending | complement


def short_title(title: str, limit: int = 16) -> str:
    """"华为 Mate 60 Pro 12GB+512GB 雅丹黑 …" → "华为 Mate 60 Pro" (brand + line words)."""
    words = title.split()
    text = ""
    for word in words:
        if text and (len(text) + len(word) + 1 > limit or any(ch.isdigit() for ch in word) and "GB" in word):
            break
        text = f"{text} {word}".strip()
    return text or title[:limit]


class Personaliser:
    """Loads the trained models once; reads each shopper's history fresh through `history_of`."""

    def __init__(self, folder: Path, products: dict[str, Any],
                 history_of: Callable[[str], list[Event]], weights: Weights = Weights(),
                 now: Callable[[], float] = time.time) -> None:
        self.popularity = Popularity.load(folder)
        self.items = self.popularity.items
        self.index = {item: n for n, item in enumerate(self.items)}
        self.itemcf = ItemCF.load(folder)
        self.als = ALS.load(folder)
        self.complement_rules = Complements.load(folder)
        # Models trained before the sequential one existed still serve, without it.
        self.sequential = SASRec.load(folder) if (folder / f"{SASRec.name}.json").exists() else None
        self.products = products
        self.history_of = history_of
        self.weights = weights
        self.now = now
        self.category = np.array([getattr(products.get(i), "category", "") for i in self.items])
        self.blend = Blend(self.als, self.itemcf, self.popularity,
                           {i: getattr(p, "brand", "") for i, p in products.items()}, weights, self.sequential)
        self.available = np.array([getattr(products.get(i), "stock", 0) > 0 for i in self.items])
        self.in_stock_category = {i: c for i, c, ok in zip(self.items, self.category, self.available) if c and ok}

    # -- histories ---------------------------------------------------------------------------
    def history(self, user_id: str | None, session_items: Sequence[str] = ()) -> tuple[sparse.csr_matrix, list[Event]]:
        """The shopper's stored events plus this session's clicks, as a 1 × items row."""
        events = list(self.history_of(user_id)) if user_id else []
        weights: dict[int, float] = {}
        for e in events:
            if e.item in self.index:
                weights[self.index[e.item]] = weights.get(self.index[e.item], 0.0) + e.weight
        for item in session_items:
            if item in self.index:
                weights[self.index[item]] = weights.get(self.index[item], 0.0) + SESSION_WEIGHT
        cols = sorted(weights)
        row = sparse.csr_matrix(([weights[c] for c in cols], ([0] * len(cols), cols)),
                                shape=(1, len(self.items)), dtype=np.float32)
        return row, events

    def steps(self, events: list[Event], session_items: Sequence[str] = ()) -> Steps:
        """The shopper's steps in time order: stored events, then the clicks passed in."""
        return to_steps([*events, *(Event("", i, "click", 0.0) for i in session_items)], self.index)

    def visit(self, events: list[Event], session_items: Sequence[str] = ()) -> list[str]:
        """Items of the visit going on now, in order: the stored events' last run less than
        SESSION_GAP apart when its last event is that recent, then the clicks passed in."""
        recent: list[str] = []
        if events and self.now() - events[-1].timestamp < SESSION_GAP:
            recent = [e.item for e in events[last_visit_start(events):]]
        return [i for i in dict.fromkeys([*recent, *session_items]) if i in self.index]

    # -- explanations ------------------------------------------------------------------------
    def _next_after_visit(self, steps: Steps, visit: list[str], exclude: Iterable[int]) -> set[int]:
        """What the sequential model ranks highest after these steps, when a visit is going on."""
        if self.sequential is None or not visit or not len(steps):
            return set()
        return {i for i, _ in top_k(self.sequential.score_steps(None, steps), list(exclude), NEXT_ITEMS)}

    def _visit_reason(self, position: int, visit: list[str]) -> str:
        """"根据你刚看过的 X": X is the visit's item whose learnt vector is closest to this one."""
        positions = np.array([self.index[i] for i in visit])
        closest = visit[int(np.argmax(self.sequential.similarity(position, positions)))]
        return f"根据你刚看过的 {short_title(getattr(self.products.get(closest), 'title', closest))}"

    def _reason(self, position: int, row: sparse.csr_matrix, events: list[Event],
                session_items: Sequence[str]) -> tuple[str, str]:
        contributions = self.itemcf.contributions(row, position)
        if contributions:
            source = self.items[max(contributions, key=contributions.get)]
            title = short_title(getattr(self.products.get(source), "title", source))
            bought = any(e.item == source and e.event == "purchase" for e in events)
            verb = "买过" if bought else ("刚看过" if source in session_items else "最近看过")
            return f"因为你{verb} {title}", "similar"
        brands = Counter(getattr(self.products.get(e.item), "brand", "") for e in events)
        brand = getattr(self.products.get(self.items[position]), "brand", "")
        if brand and brands[brand] >= 2 and brands.most_common(1)[0][0] == brand:
            return f"你常逛的 {brand}", "cf"
        return "和你口味相近的顾客也买了", "cf"

    # -- lists -------------------------------------------------------------------------------
    def recommend(self, user_id: str | None, k: int = 5, category: str | None = None,
                  session_items: Sequence[str] = ()) -> list[Recommendation]:
        """"有什么适合我的": personal when there is any history, trending otherwise."""
        row, events = self.history(user_id, session_items)
        steps, visit = self.steps(events, session_items), self.visit(events, session_items)
        mask = self.available & ((self.category == category) if category else True)
        purchased = [self.index[e.item] for e in events if e.event == "purchase" and e.item in self.index]
        exclude = (np.flatnonzero(~mask).tolist() + purchased + list(row.indices if not events else ())
                   + [self.index[i] for i in visit])  # not what they are looking at right now
        trending = self.blend.trend()
        if not row.nnz:
            label = f"{category}热销榜" if category else "本周热销"
            return [Recommendation(self.items[i], round(s, 4), label, "trending")
                    for i, s in top_k(trending, exclude, k)]
        after_visit = self._next_after_visit(steps, visit, exclude)
        results = []
        for i, s in top_k(self.blend.score_steps(row, steps), exclude, k):
            if i in after_visit:
                reason, source = self._visit_reason(i, visit), "session"
            else:
                reason, source = self._reason(i, row, events, session_items)
            results.append(Recommendation(self.items[i], round(s, 4), reason, source))
        return results

    def complements(self, item_id: str, k: int = COMPLEMENTS_SHOWN, user_id: str | None = None,
                    session_items: Sequence[str] = ()) -> list[Recommendation]:
        """"这个配什么": items from the categories bought with this one's (never its own), in stock and
        not bought before; inside each, the served blend's order after the shopper's steps with this
        item as the newest (held-out pairs: NDCG@4 0.037 by popularity → 0.044, README). A product
        newer than the models still gets its category's complements."""
        looked = [*session_items, item_id]
        row, events = self.history(user_id, looked)
        scores = self.blend.score_steps(row, self.steps(events, looked))
        bought = {e.item for e in events if e.event == "purchase"}
        source = getattr(self.products.get(item_id), "category", "")
        picks = self.complement_rules.for_category(source, self.in_stock_category,
                                                   lambda i: float(scores[self.index[i]]), k=k, exclude=bought)
        return [Recommendation(i, rule.confidence, f"买{source}的顾客常搭配{rule.consequent}", "complement")
                for i, rule in picks]

    def rerank(self, candidates: Iterable[tuple[str, float]], user_id: str | None,
               session_items: Sequence[str] = ()) -> list[Recommendation]:
        """Blend search candidates (id, semantic score) with CF and popularity; filters stay the searcher's."""
        candidates = [(i, s) for i, s in candidates]
        if not candidates:
            return []
        row, events = self.history(user_id, session_items)
        steps, visit = self.steps(events, session_items), self.visit(events, session_items)
        positions = [self.index.get(i, -1) for i, _ in candidates]
        # Relevance relative to the best candidate: equally relevant items stay near 1, so the
        # shopper's taste decides among them (min–max would stretch tiny relevance gaps to 0…1).
        raw = np.array([s for _, s in candidates], dtype=np.float64)
        semantic = raw / raw.max() if raw.max() > 0 else np.zeros(len(raw))
        cf_all = self.blend.taste(row, steps if visit else None)  # what they do now steers the search
        cf = normalise(np.array([cf_all[p] if p >= 0 else 0.0 for p in positions])) if row.nnz else np.zeros(len(positions))
        counts = self.popularity.counts
        pop = normalise(np.array([np.log1p(counts[p]) if p >= 0 else 0.0 for p in positions]))
        final = self.weights.semantic * semantic + self.weights.cf * cf + self.weights.popularity * pop
        order = sorted(range(len(candidates)), key=lambda n: (-final[n], n))
        after_visit = self._next_after_visit(steps, visit, [self.index[i] for i in visit])
        results = []
        for n in order:
            reason, source = "", "search"
            if row.nnz and positions[n] >= 0 and cf[n] >= 0.5 and self.weights.cf > 0:
                if positions[n] in after_visit:
                    reason, source = self._visit_reason(positions[n], visit), "session"
                else:
                    reason, source = self._reason(positions[n], row, events, session_items)
            elif pop[n] >= 0.9 and self.weights.popularity > 0:
                reason, source = "热销好物", "popularity"
            results.append(Recommendation(candidates[n][0], round(float(final[n]), 4), reason, source))
        return results

    def personalise(self, results: list, user_id: str | None, k: int,
                    session_items: Sequence[str] = ()) -> list:
        """Reorder search results (objects with `id`, `score`, `signals`, `reason`) by the blend;
        only what the searcher returned can come back, so its hard filters hold."""
        by_id = {r.id: r for r in results}
        ranked = self.rerank([(r.id, r.score) for r in results], user_id, session_items)[:k]
        out = []
        for rec in ranked:
            result = by_id[rec.item]
            result.signals = {**result.signals, "blend": rec.score}
            result.reason = rec.reason
            out.append(result)
        return out
