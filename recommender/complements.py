"""Complementary items ("搭配推荐") from co-purchase association rules.

A basket is what one shopper bought (or put in the cart) within `window_days`. Rules are
mined between categories — confidence(A→B) = P(B | A), lift = confidence / P(B) — so a
phone leads to earphones and a dress to shoes, never to another phone or dress. Inside each
chosen category the caller's preference orders the items: the served blend of this shopper's
taste and steps (`Personaliser.complements`), or popularity. Measured on held-out baskets
(`shopbot eval recommender --complements`), the blend beats popularity and beats the counts of
items bought with this very one, which this model therefore no longer keeps.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from recommender.data import BASKET_EVENTS, Event, by_user_in_time


@dataclass(frozen=True)
class Rule:
    antecedent: str
    consequent: str
    support: int  # baskets holding both
    confidence: float
    lift: float


class Complements:
    """Fit on events plus each item's category; `for_category(category, …)` → complementary items."""

    name = "complements"

    def __init__(self, window_days: float = 14.0, min_support: int = 3, min_lift: float = 1.5) -> None:
        self.window_days, self.min_support, self.min_lift = window_days, min_support, min_lift
        self.rules: dict[str, list[Rule]] = {}

    def baskets(self, events: list[Event]) -> list[set[str]]:
        """Per shopper, purchases/cart adds grouped while each is within the window of the first."""
        window = self.window_days * 86400
        baskets = []
        for evs in by_user_in_time(e for e in events if e.event in BASKET_EVENTS).values():
            start, basket = None, set()
            for e in evs:
                if start is None or e.timestamp - start > window:
                    if len(basket) > 1:
                        baskets.append(basket)
                    start, basket = e.timestamp, set()
                basket.add(e.item)
            if len(basket) > 1:
                baskets.append(basket)
        return baskets

    def fit(self, events: list[Event], category_of: dict[str, str]) -> "Complements":
        baskets = [b for b in self.baskets(events) if all(i in category_of for i in b)]
        total = len(baskets)
        category_count: Counter[str] = Counter()
        category_pairs: Counter[tuple[str, str]] = Counter()
        for basket in baskets:
            categories = sorted({category_of[i] for i in basket})
            category_count.update(categories)
            category_pairs.update((a, b) for a in categories for b in categories if a != b)
        rules: dict[str, list[Rule]] = defaultdict(list)
        for (a, b), both in category_pairs.items():
            confidence = both / category_count[a]
            lift = confidence / (category_count[b] / total)
            if both >= self.min_support and lift >= self.min_lift:
                rules[a].append(Rule(a, b, both, round(confidence, 4), round(lift, 3)))
        self.rules = {a: sorted(rs, key=lambda r: (-r.confidence, -r.lift, r.consequent)) for a, rs in rules.items()}
        return self

    def categories_for(self, category: str) -> list[Rule]:
        return self.rules.get(category, [])

    def for_category(self, category: str, category_of: Mapping[str, str], preference: Callable[[str], float],
                     k: int = 5, per_category: int = 2, exclude: Collection[str] = ()) -> list[tuple[str, Rule]]:
        """Up to k items (among `category_of`'s, none in `exclude`) from the categories that
        complement `category`, best rule first, `per_category` of each, the most preferred first."""
        chosen: list[tuple[str, Rule]] = []
        for rule in self.categories_for(category):
            pool = [i for i, c in category_of.items() if c == rule.consequent and i not in exclude]
            pool.sort(key=lambda i: (-preference(i), i))
            chosen += [(i, rule) for i in pool[:per_category]]
            if len(chosen) >= k:
                break
        return chosen[:k]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        payload = {"params": {"window_days": self.window_days, "min_support": self.min_support,
                              "min_lift": self.min_lift},
                   "rules": {a: [asdict(r) for r in rs] for a, rs in self.rules.items()}}
        (folder / "complements.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Complements":
        payload = json.loads((folder / "complements.json").read_text(encoding="utf-8"))
        model = cls(**payload["params"])
        model.rules = {a: [Rule(**r) for r in rs] for a, rs in payload["rules"].items()}
        return model
