"""Read-only access to Rasa's SQL tracker store (table `events`): summaries and transcripts.

Rasa writes one row per event (sender_id, type_name, timestamp, intent_name, action_name,
data = the event's JSON). The console only reads it, with SQLAlchemy Core and bound parameters.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import (Column, Engine, Float, Integer, MetaData, String, Table, Text, and_,
                        case, create_engine, func, inspect, select)
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

FALLBACK_INTENT = "nlu_fallback"
HANDOFF_SLOT = "handoff_requested"

_metadata = MetaData()
events = Table("events", _metadata,
               Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
               Column("type_name", String(255)), Column("timestamp", Float),
               Column("intent_name", String(255)), Column("action_name", String(255)),
               Column("data", Text))


@lru_cache
def _engine(url: str) -> Engine:
    """Read-only use; SQLite without a pool, so every read sees Rasa's latest commit."""
    if url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool)
    return create_engine(url, pool_pre_ping=True)


def tracker_engine(url: str) -> Engine | None:
    """The tracker store's engine, or None while Rasa has not created its table yet."""
    engine = _engine(url)
    try:
        return engine if inspect(engine).has_table("events") else None
    except OperationalError:
        return None


@dataclass
class Summary:
    """One row of the conversation list."""
    sender_id: str
    first_at: float
    last_at: float
    user_turns: int
    fallbacks: int
    last_text: str = ""
    handoff_requested: bool = False
    paused: bool = False


@dataclass
class Filters:
    handoff: bool = False
    fallback: bool = False
    since: float | None = None
    until: float | None = None
    user: str = ""
    offset: int = 0
    limit: int = 50


@dataclass
class Turn:
    """One transcript entry as the console shows it."""
    kind: str  # user | bot | action | slot | pause | resume
    timestamp: float
    text: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _data(raw: str | None) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _state_flags(engine: Engine, senders: Iterable[str] | None = None) -> dict[str, tuple[bool, bool]]:
    """(handoff requested now, paused now) per sender, from the latest slot/pause/resume events."""
    query = (select(events.c.sender_id, events.c.type_name, events.c.data)
             .where(events.c.type_name.in_(["slot", "pause", "resume"]))
             .order_by(events.c.id))
    if senders is not None:
        query = query.where(events.c.sender_id.in_(list(senders)))
    flags: dict[str, list[bool]] = {}
    with engine.connect() as conn:
        for sender, kind, raw in conn.execute(query):
            state = flags.setdefault(sender, [False, False])
            if kind == "slot":
                data = _data(raw)
                if data.get("name") == HANDOFF_SLOT:
                    state[0] = data.get("value") is True
            else:
                state[1] = kind == "pause"
    return {sender: (h, p) for sender, (h, p) in flags.items()}


def list_conversations(url: str, filters: Filters) -> tuple[list[Summary], int]:
    """A page of conversations, newest activity first, and how many match the filters."""
    engine = tracker_engine(url)
    if engine is None:
        return [], 0
    is_user = events.c.type_name == "user"
    fallback = and_(is_user, events.c.intent_name == FALLBACK_INTENT)
    query = (select(events.c.sender_id, func.min(events.c.timestamp).label("first_at"),
                    func.max(events.c.timestamp).label("last_at"),
                    func.sum(case((is_user, 1), else_=0)).label("user_turns"),
                    func.sum(case((fallback, 1), else_=0)).label("fallbacks"))
             .group_by(events.c.sender_id))
    if filters.user:
        escaped = filters.user.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(events.c.sender_id.like(f"%{escaped}%", escape="\\"))
    if filters.since is not None:
        query = query.having(func.max(events.c.timestamp) >= filters.since)
    if filters.until is not None:
        query = query.having(func.min(events.c.timestamp) < filters.until)
    if filters.fallback:
        query = query.having(func.sum(case((fallback, 1), else_=0)) > 0)
    if filters.handoff:
        flagged = [s for s, (h, p) in _state_flags(engine).items() if h or p]
        query = query.where(events.c.sender_id.in_(flagged))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.order_by(func.max(events.c.timestamp).desc())
                            .offset(filters.offset).limit(filters.limit)).all()
        senders = [r.sender_id for r in rows]
        last_texts: dict[str, str] = {}
        if senders:
            latest = (select(func.max(events.c.id)).where(is_user, events.c.sender_id.in_(senders))
                      .group_by(events.c.sender_id))
            for sender, raw in conn.execute(select(events.c.sender_id, events.c.data)
                                            .where(events.c.id.in_(latest))):
                last_texts[sender] = str(_data(raw).get("text") or "")
    flags = _state_flags(engine, senders) if senders else {}
    summaries = [Summary(r.sender_id, r.first_at or 0.0, r.last_at or 0.0, int(r.user_turns or 0),
                         int(r.fallbacks or 0), last_texts.get(r.sender_id, ""),
                         *flags.get(r.sender_id, (False, False))) for r in rows]
    return summaries, int(total)


def _products_summary(custom: dict) -> list[dict]:
    return [{"id": p.get("id"), "title": p.get("title"), "price": p.get("price")}
            for p in custom.get("products") or [] if isinstance(p, dict)]


def to_turn(kind: str, data: dict) -> Turn | None:
    """The console's view of one Rasa event (None for events it does not show)."""
    ts = float(data.get("timestamp") or 0.0)
    if kind == "user":
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") or {}
        ranking = [{"name": r.get("name"), "confidence": r.get("confidence")}
                   for r in (parse.get("intent_ranking") or [])[:3]]
        entities = [{k: e.get(k) for k in ("entity", "value", "start", "end", "extractor",
                                           "confidence_entity") if k in e}
                    for e in parse.get("entities") or []]
        return Turn("user", ts, str(data.get("text") or ""),
                    {"intent": intent.get("name"), "confidence": intent.get("confidence"),
                     "entities": entities, "ranking": ranking,
                     "channel": data.get("input_channel")})
    if kind == "bot":
        payload = data.get("data") or {}
        custom = payload.get("custom") if isinstance(payload.get("custom"), dict) else None
        details: dict[str, Any] = {"agent": (data.get("metadata") or {}).get("agent"),
                                   "buttons": [b.get("title") for b in payload.get("buttons") or []
                                               if isinstance(b, dict)]}
        if custom:
            details["custom_type"] = custom.get("type")
            if custom.get("type") in ("products", "comparison"):
                details["products"] = _products_summary(custom)
        return Turn("bot", ts, str(data.get("text") or ""), details)
    if kind == "action":
        name = data.get("name")
        if name == "action_listen":
            return None
        return Turn("action", ts, str(name or ""),
                    {"policy": data.get("policy"), "confidence": data.get("confidence")})
    if kind == "slot":
        return Turn("slot", ts, str(data.get("name") or ""), {"value": data.get("value")})
    if kind in ("pause", "resume"):
        return Turn(kind, ts)
    return None


def transcript(url: str, sender_id: str, since: float | None = None) -> list[Turn]:
    """Every event of one conversation the console shows, oldest first."""
    query = select(events.c.type_name, events.c.data).where(events.c.sender_id == sender_id)
    if since is not None:
        query = query.where(events.c.timestamp > since)
    engine = tracker_engine(url)
    if engine is None:
        return []
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(events.c.id)).all()
    return [turn for kind, raw in rows if (turn := to_turn(kind, _data(raw))) is not None]


def is_paused(url: str, sender_id: str) -> bool:
    engine = tracker_engine(url)
    return engine is not None and _state_flags(engine, [sender_id]).get(sender_id, (False, False))[1]
