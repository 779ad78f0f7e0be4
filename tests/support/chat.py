"""Reading Rasa REST replies in tests: texts, product cards, comparison tables, buttons; sender
ids of a test's own on the session's shared stack; and what a conversation left in the cart."""
from __future__ import annotations

import re
import uuid

from store.cart import cart_lines
from store.db import session_scope

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def new_sender(prefix: str) -> str:
    """A sender id no other test uses: the shared stack's tracker and shop database keep every
    conversation of the session, so a test that counts or expects a fresh start needs its own."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def texts_of(messages: list[dict]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def payloads_of(messages: list[dict], kind: str) -> list[dict]:
    return [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == kind]


def products_of(messages: list[dict]) -> list[dict]:
    """The cards of the one `products` payload in a reply."""
    payloads = payloads_of(messages, "products")
    assert len(payloads) == 1, messages
    return payloads[0]["products"]


def buttons_of(messages: list[dict]) -> list[str]:
    return [b["title"] for m in messages for b in m.get("buttons") or []]


def cart_of(db_url: str, sender: str) -> list[tuple[str, int]]:
    """(product id, quantity) per line of the shopper's cart, oldest first, as committed."""
    with session_scope(db_url) as session:
        return [(line.product.id, line.quantity) for line in cart_lines(session, sender)]
