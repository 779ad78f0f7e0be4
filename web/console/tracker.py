"""Read-only access to Rasa's SQL tracker store (table `events`): conversation list and transcripts.

Rasa 3.6's SQLTrackerStore writes one row per event: `sender_id` (indexed), `type_name`,
`timestamp` (float epoch), `intent_name` (user events), `action_name` (the event's `name`:
the action of an `action` event, the slot of a `slot` event), `data` (the event as JSON).
The console only reads it, with SQLAlchemy Core and bound parameters. The list is one GROUP BY
over the table (conditional aggregates, the total as a window count), so filtering and
paging thousands of conversations costs one scan; a transcript reads one sender's rows through
Rasa's `sender_id` index. The JSON test that needs the event body (a slot's value) is compiled
per dialect: SQLite's JSON1 functions, PostgreSQL's json operators.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (Boolean, Column, Engine, Float, Integer, MetaData, String, Table, Text, and_,
                        case, func, inspect, or_, select)
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from store.db import engine_for

FALLBACK_INTENT = "nlu_fallback"
CORE_FALLBACK_ACTION = "action_default_fallback"
HANDOFF_SLOT = "handoff_requested"
TRANSCRIPT_LIMIT = 5000  # events per transcript request (a poll asks again from its cursor)

_metadata = MetaData()
events = Table("events", _metadata,
               Column("id", Integer, primary_key=True),
               Column("sender_id", String(255), nullable=False, index=True),
               Column("type_name", String(255), nullable=False), Column("timestamp", Float),
               Column("intent_name", String(255)), Column("action_name", String(255)),
               Column("data", Text))


# ---------------------------------------------------------------- JSON in SQL, per dialect


class slot_value_true(FunctionElement):
    """SQL: the `slot` event in this `data` column sets its slot to JSON `true`."""
    type = Boolean()
    inherit_cache = True


class day_number(FunctionElement):
    """SQL: whole days since the epoch of (timestamp + offset seconds); timestamps are positive.
    Pass the offset with `literal_column` so SELECT and GROUP BY render the same expression."""
    type = Integer()
    inherit_cache = True


def _args(element: FunctionElement, compiler, kw) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(slot_value_true, "sqlite")
def _slot_true_sqlite(element, compiler, **kw):
    return f"(json_type({_args(element, compiler, kw)[0]}, '$.value') = 'true')"


@compiles(slot_value_true, "postgresql")
def _slot_true_pg(element, compiler, **kw):
    return f"((CAST({_args(element, compiler, kw)[0]} AS JSONB) -> 'value') = 'true'::jsonb)"


@compiles(slot_value_true)
def _slot_true_default(element, compiler, **kw):
    # Rasa writes json.dumps(event) with the default separators.
    return f"""({_args(element, compiler, kw)[0]} LIKE '%"value": true%')"""


@compiles(day_number, "sqlite")
def _day_sqlite(element, compiler, **kw):
    ts, offset = _args(element, compiler, kw)
    return f"CAST(({ts} + {offset}) / 86400 AS INTEGER)"


@compiles(day_number)
def _day_default(element, compiler, **kw):
    ts, offset = _args(element, compiler, kw)
    return f"CAST(FLOOR(({ts} + {offset}) / 86400) AS INTEGER)"


# ---------------------------------------------------------------- engine


def tracker_engine(url: str) -> Engine | None:
    """The tracker store's engine (the data layer's, one per URL: SQLite without a pool, so every
    read sees Rasa's latest commit; others pre-pinged), or None while Rasa has no table yet."""
    engine = engine_for(url)
    try:
        return engine if inspect(engine).has_table("events") else None
    except OperationalError:
        return None


# ---------------------------------------------------------------- the list


@dataclass
class Filters:
    """What the conversation list shows: flags, activity overlapping [since, until), sender substring."""
    handoff: bool = False  # handoff_requested was ever true, or an agent has it now
    fallback: bool = False  # at least one fallback
    since: float | None = None
    until: float | None = None
    user: str = ""  # sender id substring, any case
    offset: int = 0
    limit: int = 50


@dataclass
class Summary:
    """One row of the conversation list."""
    sender_id: str
    first_at: float
    last_at: float
    user_turns: int
    fallbacks: int
    last_text: str = ""
    handoff_requested: bool = False  # the slot was set true at some point
    needs_agent: bool = False  # ... and still is, and no agent has taken over
    paused: bool = False  # an agent has it (the latest pause/resume event is a pause)


def _is(kind: str):
    return events.c.type_name == kind


def is_fallback():
    """A fallback turn: the NLU fallback intent, or Rasa's core fallback action."""
    return or_(and_(_is("user"), events.c.intent_name == FALLBACK_INTENT),
               and_(_is("action"), events.c.action_name == CORE_FALLBACK_ACTION))


def handoff_flagged():
    """A `slot` event that sets `handoff_requested` to true (the shopper wants a human)."""
    return and_(_is("slot"), events.c.action_name == HANDOFF_SLOT, slot_value_true(events.c.data))


def _state_columns() -> dict[str, Any]:
    """Per-sender aggregates (last event ids) from which handoff and pause state follow."""
    handoff = and_(_is("slot"), events.c.action_name == HANDOFF_SLOT)
    value_true = slot_value_true(events.c.data)
    last = lambda cond, then=None: func.max(case((cond, then if then is not None else events.c.id)))
    return {
        "handoff_true_id": last(handoff, case((value_true, events.c.id))),
        "handoff_false_id": last(handoff, case((value_true, None), else_=events.c.id)),
        "restart_id": last(_is("restart")),
        "pause_id": last(_is("pause")),
        "resume_id": last(_is("resume")),
    }


def _state(row: Any) -> tuple[bool, bool, bool]:
    """(handoff ever requested, needs an agent now, paused now) from `_state_columns` values."""
    true_id, paused = row.handoff_true_id, (row.pause_id or 0) > (row.resume_id or 0)
    requested_now = true_id is not None and true_id > max(row.handoff_false_id or 0, row.restart_id or 0)
    return true_id is not None, requested_now and not paused, paused


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def event_data(raw: str | None) -> dict:
    """An event row's `data` column as a dict ({} when it is not a JSON object)."""
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def list_conversations(url: str, filters: Filters) -> tuple[list[Summary], int]:
    """A page of conversations, latest activity first, and how many match the filters."""
    engine = tracker_engine(url)
    if engine is None:
        return [], 0
    fallbacks = func.sum(case((is_fallback(), 1), else_=0))
    last_at = func.max(events.c.timestamp)
    state = _state_columns()
    query = (select(events.c.sender_id, func.min(events.c.timestamp).label("first_at"),
                    last_at.label("last_at"),
                    func.sum(case((_is("user"), 1), else_=0)).label("user_turns"),
                    fallbacks.label("fallbacks"),
                    func.max(case((_is("user"), events.c.id))).label("last_user_id"),
                    *(col.label(name) for name, col in state.items()),
                    func.count().over().label("total"))
             .group_by(events.c.sender_id))
    if filters.user:
        pattern = f"%{_like_escape(filters.user.lower())}%"  # case-insensitive on every dialect
        query = query.where(func.lower(events.c.sender_id).like(pattern, escape="\\"))
    if filters.since is not None:
        query = query.having(last_at >= filters.since)
    if filters.until is not None:
        query = query.having(func.min(events.c.timestamp) < filters.until)
    if filters.fallback:
        query = query.having(fallbacks > 0)
    if filters.handoff:
        query = query.having(or_(state["handoff_true_id"].is_not(None),
                                 func.coalesce(state["pause_id"], 0) > func.coalesce(state["resume_id"], 0)))
    query = query.order_by(last_at.desc(), events.c.sender_id).offset(filters.offset).limit(filters.limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        last_ids = [r.last_user_id for r in rows if r.last_user_id is not None]
        texts = dict(conn.execute(select(events.c.id, events.c.data).where(events.c.id.in_(last_ids))).all()) \
            if last_ids else {}
        total = rows[0].total if rows else 0
        if not rows and filters.offset:  # a page past the end still reports the total
            total = conn.execute(select(func.count()).select_from(
                query.limit(None).offset(None).order_by(None).subquery())).scalar_one()
    return [Summary(r.sender_id, float(r.first_at or 0.0), float(r.last_at or 0.0), int(r.user_turns or 0),
                    int(r.fallbacks or 0), str(event_data(texts.get(r.last_user_id)).get("text") or ""),
                    *_state(r)) for r in rows], int(total)


# ---------------------------------------------------------------- a transcript


@dataclass
class Turn:
    """One transcript entry as the console shows it."""
    id: int
    kind: str  # user | bot | action | slot | pause | resume | restart | form
    timestamp: float
    text: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Transcript:
    """A conversation's events from a cursor on, and its state now."""
    sender_id: str
    turns: list[Turn]
    cursor: int  # the last event id read: poll with after=cursor
    last_timestamp: float
    exists: bool = False
    handoff_requested: bool = False
    needs_agent: bool = False
    paused: bool = False


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _entity(e: dict) -> dict[str, Any]:
    out = {k: e.get(k) for k in ("entity", "value", "start", "end", "extractor", "role", "group") if e.get(k) is not None}
    if _number(e.get("confidence_entity")) is not None:
        out["confidence"] = _number(e.get("confidence_entity"))
    return out


def _card(p: dict) -> dict[str, Any]:
    return {"id": p.get("id"), "title": str(p.get("title") or ""), "price": _number(p.get("price"))}


def summarise_custom(custom: Any) -> dict[str, Any]:
    """A custom payload in a few fields: its type, and for product lists the cards' titles and prices."""
    if not isinstance(custom, dict):
        return {"type": "custom"}
    kind = str(custom.get("type") or "custom")
    out: dict[str, Any] = {"type": kind}
    if isinstance(custom.get("products"), list):
        out["products"] = [_card(p) for p in custom["products"] if isinstance(p, dict)]
    if kind == "comparison" and isinstance(custom.get("rows"), list):
        out["rows"] = [str(r.get("label") or "") for r in custom["rows"] if isinstance(r, dict)]
    if kind == "handoff":
        out.update(state=custom.get("state"), agent=custom.get("agent"))
    return out


def to_turn(event_id: int, kind: str, data: dict) -> Turn | None:
    """The console's view of one Rasa event (None for events it does not show)."""
    ts = _number(data.get("timestamp")) or 0.0
    if kind == "user":
        parse = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
        intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
        ranking = [{"name": r.get("name"), "confidence": _number(r.get("confidence"))}
                   for r in (parse.get("intent_ranking") or [])[:3] if isinstance(r, dict)]
        entities = [_entity(e) for e in parse.get("entities") or [] if isinstance(e, dict)]
        return Turn(event_id, "user", ts, str(data.get("text") or ""),
                    {"intent": intent.get("name"), "confidence": _number(intent.get("confidence")),
                     "entities": entities, "ranking": ranking, "channel": data.get("input_channel")})
    if kind == "bot":
        payload = data.get("data") if isinstance(data.get("data"), dict) else {}
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        buttons = [{"title": str(b.get("title") or ""), "payload": str(b.get("payload") or "")}
                   for b in payload.get("buttons") or [] if isinstance(b, dict)]
        details: dict[str, Any] = {"agent": metadata.get("agent"), "buttons": buttons,
                                   "image": payload.get("image") or None}
        if payload.get("custom") is not None:
            details["custom"] = summarise_custom(payload["custom"])
        return Turn(event_id, "bot", ts, str(data.get("text") or ""), details)
    if kind == "action":
        name = data.get("name")
        if name == "action_listen":
            return None
        return Turn(event_id, "action", ts, str(name or ""),
                    {"policy": data.get("policy"), "confidence": _number(data.get("confidence"))})
    if kind == "slot":
        return Turn(event_id, "slot", ts, str(data.get("name") or ""), {"value": data.get("value")})
    if kind == "active_loop":
        return Turn(event_id, "form", ts, str(data.get("name") or ""), {"active": data.get("name") is not None})
    if kind in ("pause", "resume", "restart"):
        return Turn(event_id, kind, ts)
    return None


def transcript(url: str, sender_id: str, since: float | None = None, after: int | None = None) -> Transcript:
    """One conversation's shown events, oldest first: all, or those after a timestamp / event id."""
    engine = tracker_engine(url)
    if engine is None:
        return Transcript(sender_id, [], after or 0, since or 0.0)
    mine = events.c.sender_id == sender_id
    query = select(events.c.id, events.c.type_name, events.c.data).where(mine)
    if since is not None:
        query = query.where(events.c.timestamp > since)
    if after is not None:
        query = query.where(events.c.id > after)
    state_query = select(func.count().label("n"), *(c.label(n) for n, c in _state_columns().items())).where(mine)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(events.c.id).limit(TRANSCRIPT_LIMIT)).all()
        state = conn.execute(state_query).one()
    turns = [t for r in rows if (t := to_turn(r.id, r.type_name, event_data(r.data))) is not None]
    cursor = rows[-1].id if rows else (after or 0)
    last_ts = max((t.timestamp for t in turns), default=since or 0.0)
    return Transcript(sender_id, turns, cursor, last_ts, state.n > 0, *_state(state))


def conversation_state(url: str, sender_id: str) -> tuple[bool, bool, bool]:
    """(handoff ever requested, needs an agent now, paused now) of one conversation."""
    engine = tracker_engine(url)
    if engine is None:
        return False, False, False
    with engine.connect() as conn:
        row = conn.execute(select(*(c.label(n) for n, c in _state_columns().items()))
                           .where(events.c.sender_id == sender_id)).one()
    return _state(row)


def is_paused(url: str, sender_id: str) -> bool:
    """Whether an agent has this conversation now (its latest pause/resume event is a pause)."""
    return conversation_state(url, sender_id)[2]
