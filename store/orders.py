"""Orders: look one up (only its owner may), list a shopper's recent ones, place a new one
from the cart."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone

from sqlalchemy import delete, select

from store.db import session_scope
from store.models import CartItem, Order, OrderItem, Product

ORDER_ID = re.compile(r"DD\d{18}", re.IGNORECASE)


def find_order_id(text: str) -> str | None:
    """The first order number in a message ("DD" + 18 digits), upper-cased."""
    match = ORDER_ID.search(text or "")
    return match.group(0).upper() if match else None


def order_for(url: str, user_id: str, order_id: str) -> Order | None:
    """The order if it exists and belongs to this shopper (others' orders are not disclosed)."""
    with session_scope(url) as session:
        order = session.get(Order, order_id.upper())
        return order if order is not None and order.user_id == user_id else None


def recent_orders(url: str, user_id: str, limit: int = 3) -> list[Order]:
    with session_scope(url) as session:
        return list(session.scalars(select(Order).where(Order.user_id == user_id)
                                    .order_by(Order.created_at.desc()).limit(limit)))


def product_titles(url: str, ids: list[str]) -> dict[str, str]:
    with session_scope(url) as session:
        return {p.id: p.title for p in session.scalars(select(Product).where(Product.id.in_(ids)))}


def place_order(url: str, user_id: str, lines: list, total: float, discount: float) -> Order:
    """Turn the cart into a 待付款 order in one transaction and empty the cart."""
    now = datetime.now(timezone.utc)
    order_id = "DD" + now.strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10_000):04d}"
    with session_scope(url) as session:
        order = Order(id=order_id, user_id=user_id, status="待付款", created_at=now, total=total,
                      discount=discount, address="", carrier="")
        order.items = [OrderItem(product_id=line.product.id, quantity=line.quantity, price=line.product.price)
                       for line in lines]
        session.add(order)
        session.execute(delete(CartItem).where(CartItem.user_id == user_id))
    return order
