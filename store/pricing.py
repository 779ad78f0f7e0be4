"""Promotions in force and what they take off a cart: category discounts first, then the
best 满减 (full reduction) on what remains. Coupons need their code and are only shown."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import aware

from store.models import Promotion

SOON = timedelta(days=7)


@dataclass
class Quote:
    subtotal: float
    discounts: list[tuple[str, float]] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(self.subtotal - sum(amount for _, amount in self.discounts), 2)

    @property
    def discount(self) -> float:
        """All that the promotions take off, as an order stores it."""
        return round(self.subtotal - self.total, 2)


def promotions(session: Session, now: datetime | None = None, category: str | None = None,
               include_soon: bool = True) -> tuple[list[Promotion], list[Promotion]]:
    """(in force now, starting within 7 days), shop-wide ones plus those for `category`."""
    now = now or datetime.now(timezone.utc)
    rows = list(session.scalars(select(Promotion).order_by(Promotion.starts_at, Promotion.id)))
    relevant = [p for p in rows if p.category in (None, "", category) or category is None]
    active = [p for p in relevant if aware(p.starts_at) <= now <= aware(p.ends_at)]
    soon = [p for p in relevant if include_soon and now < aware(p.starts_at) <= now + SOON]
    return active, soon


def quote(lines: Sequence, active: Sequence[Promotion]) -> Quote:
    """Price `lines` (objects with .product.price/.product.category/.product.brand and .quantity);
    a 满减 for a category or brand counts only what the cart holds of it."""
    amounts = [(line.product, round(line.product.price * line.quantity, 2)) for line in lines]
    result = Quote(round(sum(a for _, a in amounts), 2))
    remaining = result.subtotal
    for promo in active:
        if promo.type != "category_discount":
            continue
        base = sum(a for p, a in amounts if p.category == promo.category
                   and (not promo.brand or p.brand == promo.brand))
        if base > 0:
            cut = round(base * (1 - promo.discount_rate), 2)
            result.discounts.append((promo.name, cut))
            remaining -= cut
    best = None
    for promo in active:
        if promo.type != "full_reduction":
            continue
        base = remaining if not (promo.category or promo.brand) else sum(
            a for p, a in amounts if (not promo.category or p.category == promo.category)
            and (not promo.brand or p.brand == promo.brand))
        if base >= promo.threshold and (best is None or promo.amount > best.amount):
            best = promo
    if best is not None:
        result.discounts.append((best.name, best.amount))
    return result
