"""Analytics over a date range: conversations per day, intents, fallback and handoff rates, and
the chat conversion funnel (shown → engaged → added → ordered, per shopper × product, as
`core.funnel` defines it).

The conversation numbers are aggregated in SQL over the tracker store (Rasa's `events`). The
funnel's shown pairs are read from the cards of the range's `bot` events with the same
`core.funnel.shown_products` the event consumer uses; the later steps come from the shop
database (`core.funnel.shop_pairs`). The two may be different databases, so the shoppers are
carried from one to the other. Library functions only; routes are in analytics_routes.py.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, distinct, func, literal_column, select

from core.funnel import FunnelStep, Pair, funnel, shop_pairs, shown_pairs
from web.console.tracker import day_number, event_data, events, handoff_flagged, is_fallback, tracker_engine

CSV_KINDS = ("summary", "daily", "intents", "funnel")
NO_INTENT = "(无)"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class DayCount:
    """One day (shop time) of the range."""
    day: str  # YYYY-MM-DD
    conversations: int = 0  # distinct senders with a message that day
    user_turns: int = 0


@dataclass
class IntentCount:
    intent: str
    count: int
    share: float  # of all shopper messages in the range


@dataclass
class Report:
    """Everything the analytics page shows for since ≤ timestamp < until."""
    since: float
    until: float
    conversations: int = 0  # senders with at least one shopper message in the range
    user_turns: int = 0
    fallbacks: int = 0  # nlu_fallback messages + core fallbacks (action_default_fallback)
    handoffs: int = 0  # of those conversations, how many had handoff_requested set true in the range
    daily: list[DayCount] = field(default_factory=list)
    intents: list[IntentCount] = field(default_factory=list)
    funnel: list[FunnelStep] = field(default_factory=list)

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.user_turns if self.user_turns else 0.0

    @property
    def handoff_rate(self) -> float:
        return self.handoffs / self.conversations if self.conversations else 0.0

    def step(self, key: str) -> int:
        """The count of one funnel step by key."""
        return next((s.count for s in self.funnel if s.key == key), 0)


@dataclass
class TrackerNumbers:
    """What the tracker store says about a range (the funnel's first step included)."""
    conversations: int = 0
    user_turns: int = 0
    fallbacks: int = 0
    handoffs: int = 0
    shown: set[Pair] = field(default_factory=set)  # (shopper, product) on the range's cards
    daily: dict[str, tuple[int, int]] = field(default_factory=dict)  # day → (conversations, turns)
    intents: list[tuple[str, int]] = field(default_factory=list)


def _offset(tz: timezone) -> int:
    return int(tz.utcoffset(None).total_seconds())


def tracker_numbers(tracker_url: str, since: float, until: float, tz: timezone) -> TrackerNumbers:
    """Conversations, turns, fallbacks, handoffs, shown products, days and intents of [since, until)."""
    out = TrackerNumbers()
    engine = tracker_engine(tracker_url)
    if engine is None:
        return out
    in_range = and_(events.c.timestamp >= since, events.c.timestamp < until)
    user = and_(in_range, events.c.type_name == "user")
    day = day_number(events.c.timestamp, literal_column(str(_offset(tz))))
    chatted = select(events.c.sender_id).where(user).distinct().scalar_subquery()
    with engine.connect() as conn:
        out.conversations, out.user_turns = conn.execute(
            select(func.count(distinct(events.c.sender_id)), func.count()).where(user)).one()
        out.fallbacks = conn.execute(select(func.count()).where(in_range, is_fallback())).scalar_one()
        out.handoffs = conn.execute(
            select(func.count(distinct(events.c.sender_id)))
            .where(in_range, handoff_flagged(), events.c.sender_id.in_(chatted))).scalar_one()
        cards = conn.execution_options(stream_results=True).execute(
            select(events.c.sender_id, events.c.data)
            .where(in_range, events.c.type_name == "bot", events.c.data.like('%"products"%')))
        out.shown = shown_pairs((sender, event_data(data)) for sender, data in cards)
        for number, senders, turns in conn.execute(
                select(day, func.count(distinct(events.c.sender_id)), func.count())
                .where(user).group_by(day)):
            out.daily[date.fromordinal(date(1970, 1, 1).toordinal() + int(number)).isoformat()] = (senders, turns)
        out.intents = [(intent or NO_INTENT, n) for intent, n in conn.execute(
            select(events.c.intent_name, func.count().label("n")).where(user)
            .group_by(events.c.intent_name).order_by(func.count().desc(), events.c.intent_name))]
    return out


def build_report(tracker_url: str, shop_url: str, since: float, until: float, tz: timezone) -> Report:
    """The whole report for [since, until); days are whole days on the clock `tz`."""
    numbers = tracker_numbers(tracker_url, since, until, tz)
    report = Report(since, until, numbers.conversations, numbers.user_turns, numbers.fallbacks,
                    numbers.handoffs)
    first = datetime.fromtimestamp(since, tz).date()
    last = datetime.fromtimestamp(max(since, until - 1e-6), tz).date()
    report.daily = [DayCount(d.isoformat(), *numbers.daily.get(d.isoformat(), (0, 0)))
                    for d in (first + timedelta(days=n) for n in range((last - first).days + 1))]
    report.intents = [IntentCount(i, n, n / numbers.user_turns if numbers.user_turns else 0.0)
                      for i, n in numbers.intents]
    shoppers = {sender for sender, _ in numbers.shown}
    report.funnel = funnel(numbers.shown, shop_pairs(shop_url, shoppers, since, until))
    return report


# ---------------------------------------------------------------- CSV


def _pct(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.4f}"


def csv_rows(report: Report, kind: str) -> list[list[object]]:
    """Rows (header first) of one CSV export: summary, daily, intents or funnel."""
    if kind == "daily":
        return [["date", "conversations", "user_turns"],
                *([d.day, d.conversations, d.user_turns] for d in report.daily)]
    if kind == "intents":
        return [["intent", "user_turns", "share"], *([i.intent, i.count, _pct(i.share)] for i in report.intents)]
    if kind == "funnel":
        return [["step", "label", "count", "rate_from_previous"],
                *([s.key, s.label, s.count, _pct(s.rate)] for s in report.funnel)]
    if kind != "summary":
        raise ValueError(f"unknown CSV kind {kind!r}")
    return [["metric", "value"], ["conversations", report.conversations],
            ["user_turns", report.user_turns], ["fallbacks", report.fallbacks],
            ["fallback_rate", _pct(report.fallback_rate)], ["handoffs", report.handoffs],
            ["handoff_rate", _pct(report.handoff_rate)], *([s.key, s.count] for s in report.funnel)]


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas in exported text (CSV injection): prefix them with '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[list[object]]) -> str:
    """CSV text (UTF-8 BOM first, so Excel reads the Chinese) with every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return "\ufeff" + buffer.getvalue()
