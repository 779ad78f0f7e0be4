"""A shopper's data rights: export everything held about them, or forget them.

Forgetting deletes their profile, events, cart and Rasa conversations; orders are kept for
the shop's accounts but anonymised (user id replaced, address cleared), so aggregates such
as sales counts stay true.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import delete, inspect, select, text, update

from store.db import engine_for, migrate, session_scope
from store.models import CartItem, Interaction, Order, User


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _row(obj) -> dict:
    return {c.name: _plain(getattr(obj, c.name)) for c in obj.__table__.columns}


def _has_events_table(tracker_url: str | None) -> bool:
    return bool(tracker_url) and inspect(engine_for(tracker_url)).has_table("events")


def conversations(tracker_url: str | None, user_id: str) -> list[dict]:
    """The shopper's Rasa events, read from the SQL tracker store's `events` table."""
    if not _has_events_table(tracker_url):
        return []
    with engine_for(tracker_url).connect() as conn:
        rows = conn.execute(text("SELECT type_name, timestamp, data FROM events "
                                 "WHERE sender_id = :sender ORDER BY id"), {"sender": user_id})
        return [{"type": r.type_name, "timestamp": r.timestamp, "data": json.loads(r.data or "{}")}
                for r in rows]


def export_user(url: str, user_id: str, tracker_url: str | None = None) -> dict:
    migrate(url)
    with session_scope(url) as session:
        user = session.get(User, user_id)
        events = session.scalars(select(Interaction).where(Interaction.user_id == user_id)
                                 .order_by(Interaction.timestamp))
        orders = session.scalars(select(Order).where(Order.user_id == user_id).order_by(Order.created_at))
        cart = session.scalars(select(CartItem).where(CartItem.user_id == user_id))
        return {
            "user_id": user_id,
            "profile": _row(user) if user else None,
            "interactions": [_row(e) for e in events],
            "orders": [{**_row(o), "items": [_row(i) for i in o.items],
                        "logistics": [_row(e) for e in o.logistics]} for o in orders],
            "cart": [_row(c) for c in cart],
            "conversations": conversations(tracker_url, user_id),
        }


def forget_user(url: str, user_id: str, tracker_url: str | None = None) -> dict[str, int]:
    """Delete or anonymise everything about `user_id`; returns counts per kind."""
    migrate(url)
    alias = "anon-" + hashlib.sha256(user_id.encode()).hexdigest()[:12]
    with session_scope(url) as session:
        counts = {
            "interactions": session.execute(delete(Interaction).where(Interaction.user_id == user_id)).rowcount,
            "cart_items": session.execute(delete(CartItem).where(CartItem.user_id == user_id)).rowcount,
            "orders_anonymised": session.execute(update(Order).where(Order.user_id == user_id)
                                                 .values(user_id=alias, address="")).rowcount,
            "profile": session.execute(delete(User).where(User.id == user_id)).rowcount,
        }
    counts["conversation_events"] = 0
    if _has_events_table(tracker_url):
        with engine_for(tracker_url).begin() as conn:
            counts["conversation_events"] = conn.execute(
                text("DELETE FROM events WHERE sender_id = :sender"), {"sender": user_id}).rowcount
    return counts
