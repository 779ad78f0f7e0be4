"""The chat conversion funnel, one definition for the staff console and the event consumer:
per shopper × product, shown → engaged → added → ordered.

- shown: the product was on a card the assistant sent, in a `products` list or a `comparison`
  (both put the product, its picture and price in front of the shopper);
- engaged: the shopper clicked its card or asked for its details (`click` rows with dataset
  `chat`, written by `POST /api/events` and by the detail action);
- added: it went into the cart in chat (`add_to_cart` rows, written by the cart action);
- ordered: it is a line of an order the shopper placed.

A pair reaches a step when it did that step or a later one (a typed 「把第二个加入购物车」 engages
with a product without any click), and only pairs that were shown count at all, so every step
holds a subset of the pairs of the step before: no rate exceeds 100 %.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from core.cards import COMPARISON, PRODUCTS
from store.db import session_scope
from store.models import Interaction, Order, OrderItem

Pair = tuple[str, str]  # (shopper, product id)

STEPS = ("shown", "engaged", "added", "ordered")
LABELS = {"shown": "推荐曝光", "engaged": "点击或问详情", "added": "加入购物车", "ordered": "下单"}
SHOWN_CARDS = (PRODUCTS, COMPARISON)  # payload types whose cards count as shown
CHAT_DATASET = "chat"  # interactions recorded from the chat (widget clicks, details, the cart action)
STEP_EVENTS = {"click": "engaged", "add_to_cart": "added"}  # chat interaction rows → their step
_CHUNK = 500  # shoppers per IN (...) list


@dataclass
class FunnelStep:
    key: str
    label: str
    count: int  # shopper × product pairs that reached this step
    rate: float | None  # count / the previous step's count (None for the first step or after 0)


def shown_products(event: dict[str, Any]) -> list[str]:
    """Product ids on the cards of a Rasa `bot` event (the tracker's or the broker's JSON); []
    for every other event."""
    if event.get("event") != "bot":
        return []
    custom = (event.get("data") or {}).get("custom") or {}
    if not isinstance(custom, dict) or custom.get("type") not in SHOWN_CARDS:
        return []
    return [str(p["id"]) for p in custom.get("products") or [] if isinstance(p, dict) and p.get("id")]


def shown_pairs(senders_and_events: Iterable[tuple[str, dict[str, Any]]]) -> set[Pair]:
    """Every (shopper, product) shown in these (sender id, Rasa event) pairs."""
    return {(sender, item) for sender, event in senders_and_events for item in shown_products(event)}


def shop_pairs(shop_url: str, shoppers: Iterable[str], since: float, until: float) -> dict[str, set[Pair]]:
    """The pairs that were engaged, added and ordered in [since, until), for these shoppers."""
    did: dict[str, set[Pair]] = {step: set() for step in STEPS[1:]}
    ids = sorted(set(shoppers))
    if not ids:
        return did
    start, end = (datetime.fromtimestamp(t, timezone.utc) for t in (since, until))
    with session_scope(shop_url) as session:
        for chunk in (ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
            for user, item, event in session.execute(
                    select(Interaction.user_id, Interaction.item_id, Interaction.event).distinct()
                    .where(Interaction.user_id.in_(chunk), Interaction.dataset == CHAT_DATASET,
                           Interaction.event.in_(list(STEP_EVENTS)),
                           Interaction.timestamp >= start, Interaction.timestamp < end)):
                did[STEP_EVENTS[event]].add((user, item))
            did["ordered"].update((user, item) for user, item in session.execute(
                select(Order.user_id, OrderItem.product_id).distinct().join(OrderItem, OrderItem.order_id == Order.id)
                .where(Order.user_id.in_(chunk), Order.created_at >= start, Order.created_at < end)))
    return did


def funnel(shown: set[Pair], did: dict[str, set[Pair]]) -> list[FunnelStep]:
    """The steps: a shown pair reaches a step when it did that step or any later one."""
    reached, later = {STEPS[0]: shown}, set()
    for step in reversed(STEPS[1:]):
        later |= did.get(step, set())
        reached[step] = shown & later
    steps, previous = [], None
    for step in STEPS:
        count = len(reached[step])
        steps.append(FunnelStep(step, LABELS[step], count, count / previous if previous else None))
        previous = count
    return steps
