"""Analytics over a date range: conversations per day, intents, fallback and handoff rates,
and the chat conversion funnel (impressions → clicks → add-to-cart → orders)."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select

from bot.console.tracker import FALLBACK_INTENT, HANDOFF_SLOT, events, tracker_engine
from store.db import session_scope
from store.models import Interaction, Order

FUNNEL_STEPS = ("impressions", "clicks", "add_to_cart", "orders")
FUNNEL_LABELS = {"impressions": "推荐曝光", "clicks": "点击", "add_to_cart": "加入购物车",
                 "orders": "下单"}


@dataclass
class Report:
    since: float
    until: float
    conversations: int = 0
    user_turns: int = 0
    fallbacks: int = 0
    handoffs: int = 0
    daily: dict[str, int] = field(default_factory=dict)  # YYYY-MM-DD → conversations
    intents: list[tuple[str, int]] = field(default_factory=list)
    funnel: dict[str, int] = field(default_factory=dict)

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.user_turns if self.user_turns else 0.0

    @property
    def handoff_rate(self) -> float:
        return self.handoffs / self.conversations if self.conversations else 0.0


def _products_shown(raw: str | None) -> int:
    try:
        custom = ((json.loads(raw or "{}").get("data") or {}).get("custom") or {})
    except (ValueError, AttributeError):
        return 0
    products = custom.get("products") if custom.get("type") == "products" else None
    return len(products) if isinstance(products, list) else 0


def build_report(tracker_url: str, shop_url: str, since: float, until: float, tz: timezone) -> Report:
    """Everything the analytics page shows, for events with since ≤ timestamp < until."""
    report = Report(since, until, funnel=dict.fromkeys(FUNNEL_STEPS, 0))
    engine = tracker_engine(tracker_url)
    if engine is None:
        return report
    in_range = (events.c.timestamp >= since) & (events.c.timestamp < until)
    days: dict[str, set[str]] = {}
    intents: Counter[str] = Counter()
    senders: set[str] = set()
    handoff_senders: set[str] = set()
    with engine.connect() as conn:
        for sender, ts, intent in conn.execute(
                select(events.c.sender_id, events.c.timestamp, events.c.intent_name)
                .where(in_range, events.c.type_name == "user")):
            senders.add(sender)
            day = datetime.fromtimestamp(ts, tz).date().isoformat()
            days.setdefault(day, set()).add(sender)
            intents[intent or "(无)"] += 1
        for sender, raw in conn.execute(
                select(events.c.sender_id, events.c.data)
                .where(in_range, events.c.type_name == "slot",
                       events.c.data.like(f"%{HANDOFF_SLOT}%"))):
            data = json.loads(raw or "{}")
            if data.get("name") == HANDOFF_SLOT and data.get("value") is True:
                handoff_senders.add(sender)
        impressions = sum(_products_shown(raw) for (raw,) in conn.execute(
            select(events.c.data).where(in_range, events.c.type_name == "bot",
                                        events.c.data.like('%"products"%'))))
    report.conversations = len(senders)
    report.user_turns = sum(intents.values())
    report.fallbacks = intents.get(FALLBACK_INTENT, 0)
    report.handoffs = len(handoff_senders & senders)
    report.daily = {day: len(s) for day, s in sorted(days.items())}
    report.intents = intents.most_common()
    report.funnel = {"impressions": impressions, **_shop_funnel(shop_url, senders, since, until)}
    return report


def _shop_funnel(shop_url: str, senders: set[str], since: float, until: float) -> dict[str, int]:
    """Clicks, add-to-cart events and orders of the shoppers who chatted in the range."""
    counts = {"clicks": 0, "add_to_cart": 0, "orders": 0}
    if not senders:
        return counts
    start = datetime.fromtimestamp(since, timezone.utc)
    end = datetime.fromtimestamp(until, timezone.utc)
    ids = sorted(senders)
    with session_scope(shop_url) as session:
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            for event, n in session.execute(
                    select(Interaction.event, func.count())
                    .where(Interaction.user_id.in_(chunk), Interaction.event.in_(["click", "add_to_cart"]),
                           Interaction.timestamp >= start, Interaction.timestamp < end)
                    .group_by(Interaction.event)):
                counts["clicks" if event == "click" else "add_to_cart"] += n
            counts["orders"] += session.scalar(
                select(func.count()).select_from(Order)
                .where(Order.user_id.in_(chunk), Order.created_at >= start, Order.created_at < end)) or 0
    return counts


def csv_rows(report: Report, kind: str) -> list[list[object]]:
    """Rows (header first) of one CSV export: daily, intents, funnel or summary."""
    if kind == "daily":
        return [["date", "conversations"], *([d, n] for d, n in report.daily.items())]
    if kind == "intents":
        return [["intent", "user_turns"], *([i, n] for i, n in report.intents)]
    if kind == "funnel":
        return [["step", "label", "count"], *([s, FUNNEL_LABELS[s], report.funnel[s]] for s in FUNNEL_STEPS)]
    return [["metric", "value"], ["conversations", report.conversations],
            ["user_turns", report.user_turns], ["fallbacks", report.fallbacks],
            ["fallback_rate", round(report.fallback_rate, 4)], ["handoffs", report.handoffs],
            ["handoff_rate", round(report.handoff_rate, 4)],
            *([s, report.funnel[s]] for s in FUNNEL_STEPS)]


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas in exported text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
