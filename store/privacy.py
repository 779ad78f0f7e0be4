"""A shopper's data rights: export everything held about them, or forget them.

What `forget_user` does with each table (the shop database unless said otherwise):

    users               the profile: deleted
    interactions        every dataset (shop history, chat events, chat_shown impressions,
                        imported ratings): deleted
    cart_items          deleted
    annotations         staff corrections of the shopper's messages (their verbatim words):
                        deleted, and their examples removed from the exported NLU YAML files
    orders              kept for the shop's accounts: user id replaced by a random alias (one per
                        forget, shared by all their orders), address cleared; status, totals,
                        coupon, carrier and tracking number stay
    order_items         kept as they are (product, quantity, price: nothing personal)
    logistics_events    kept with time and status; description and location cleared (they name
                        the delivery district and who signed for the parcel)
    events              Rasa's tracker store (its own database): the conversation, deleted
    products, categories, promotions, build_stamps, staff_users, staff_sessions, alembic_version:
                        nothing about shoppers, untouched
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from store.db import engine_for, migrate, session_scope
from store.models import Annotation, CartItem, Interaction, LogisticsEvent, Order, User

ALIAS_PREFIX = "forgotten-"  # "anon-" is taken: server-issued anonymous shopper ids use it


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _row(obj: Any) -> dict:
    """A model row as a JSON-ready dict of its columns."""
    return {c.name: _plain(getattr(obj, c.name)) for c in obj.__table__.columns}


# ---------------------------------------------------------------- Rasa's tracker store


def _tracker_engine(tracker_url: str | None) -> Engine | None:
    """The tracker store's engine, or None when there is none yet (no URL, no SQLite file, no
    `events` table). An unreachable server raises: forgetting must not silently skip it."""
    if not tracker_url:
        return None
    url = make_url(tracker_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return None
    engine = engine_for(tracker_url)
    return engine if inspect(engine).has_table("events") else None


def conversations(tracker_url: str | None, user_id: str) -> list[dict]:
    """The shopper's Rasa events, read from the SQL tracker store's `events` table."""
    engine = _tracker_engine(tracker_url)
    if engine is None:
        return []
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT type_name, timestamp, data FROM events "
                                 "WHERE sender_id = :sender ORDER BY id"), {"sender": user_id})
        return [{"type": r.type_name, "timestamp": r.timestamp, "data": json.loads(r.data or "{}")}
                for r in rows]


def _forget_conversations(tracker_url: str | None, user_id: str) -> int:
    """Delete the shopper's tracker events; returns how many."""
    engine = _tracker_engine(tracker_url)
    if engine is None:
        return 0
    with engine.begin() as conn:
        return conn.execute(text("DELETE FROM events WHERE sender_id = :sender"),
                            {"sender": user_id}).rowcount


# ---------------------------------------------------------------- export


def export_user(url: str, user_id: str, tracker_url: str | None = None) -> dict:
    """Everything `forget_user` deletes or redacts, as plain JSON-ready data."""
    migrate(url)
    with session_scope(url) as session:
        user = session.get(User, user_id)
        events = session.scalars(select(Interaction).where(Interaction.user_id == user_id)
                                 .order_by(Interaction.timestamp, Interaction.id))
        orders = session.scalars(select(Order).where(Order.user_id == user_id).order_by(Order.created_at))
        cart = session.scalars(select(CartItem).where(CartItem.user_id == user_id).order_by(CartItem.id))
        notes = session.scalars(select(Annotation).where(Annotation.sender_id == user_id)
                                .order_by(Annotation.id))
        return {
            "user_id": user_id,
            "profile": _row(user) if user else None,
            "interactions": [_row(e) for e in events],
            "orders": [{**_row(o), "items": [_row(i) for i in o.items],
                        "logistics": [_row(e) for e in o.logistics]} for o in orders],
            "cart": [_row(c) for c in cart],
            "annotations": [_row(a) for a in notes],
            "conversations": conversations(tracker_url, user_id),
        }


# ---------------------------------------------------------------- orders


def new_alias() -> str:
    """A random stand-in for a forgotten shopper on their kept orders: nothing to recompute it from."""
    return ALIAS_PREFIX + secrets.token_hex(8)


def _anonymise_orders(session: Session, user_id: str) -> tuple[int, int]:
    """Give the shopper's orders one fresh alias and clear their personal fields;
    returns (orders, logistics events) changed."""
    theirs = select(Order.id).where(Order.user_id == user_id)
    logistics = session.execute(update(LogisticsEvent).where(LogisticsEvent.order_id.in_(theirs))
                                .values(description="", location="")).rowcount
    orders = session.execute(update(Order).where(Order.user_id == user_id)
                             .values(user_id=new_alias(), address="")).rowcount
    return orders, logistics


# ---------------------------------------------------------------- annotations

# Removes a forgotten shopper's annotations from exported training files (the caller knows
# where they are and how they are written: web/console/nlu_forget.py); returns examples removed.
ExportScrubber = Callable[[Session, Sequence[Annotation]], int]


def _forget_annotations(session: Session, user_id: str, scrub: ExportScrubber | None) -> tuple[int, int]:
    """Delete the shopper's annotations and their exported examples; returns (annotations, examples).
    The files are scrubbed before the deletion commits, so a failure leaves both to retry."""
    theirs = session.scalars(select(Annotation).where(Annotation.sender_id == user_id)).all()
    examples = scrub(session, theirs) if scrub and theirs else 0
    deleted = session.execute(delete(Annotation).where(Annotation.sender_id == user_id)).rowcount
    return deleted, examples


# ---------------------------------------------------------------- forget


def forget_user(url: str, user_id: str, tracker_url: str | None = None,
                scrub_exports: ExportScrubber | None = None) -> dict[str, int]:
    """Delete or anonymise everything about `user_id` (see the module docstring); returns counts
    per kind. `scrub_exports` removes their annotations from exported training files."""
    migrate(url)
    with session_scope(url) as session:
        annotations, examples = _forget_annotations(session, user_id, scrub_exports)
        orders, logistics = _anonymise_orders(session, user_id)
        counts = {
            "interactions": session.execute(delete(Interaction).where(Interaction.user_id == user_id)).rowcount,
            "cart_items": session.execute(delete(CartItem).where(CartItem.user_id == user_id)).rowcount,
            "annotations": annotations,
            "nlu_examples": examples,
            "orders_anonymised": orders,
            "logistics_redacted": logistics,
            "profile": session.execute(delete(User).where(User.id == user_id)).rowcount,
        }
    counts["conversation_events"] = _forget_conversations(tracker_url, user_id)
    return counts
