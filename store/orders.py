"""Orders: look one up (only its owner may), list a shopper's recent ones, place a new one
from the cart. Every function works inside the caller's session and never commits."""
from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store.cart import CartLine
from store.models import CartItem, Order, OrderItem, Product

ORDER_ID = re.compile(r"DD\d{18}", re.IGNORECASE)


class OutOfStock(ValueError):
    """A line of an order wants more than the shop has left; the caller's transaction must roll
    back. Carries plain values: the rollback expires the session's Product objects."""

    def __init__(self, product_id: str, title: str, wanted: int, left: int) -> None:
        super().__init__(f"{title} 库存只剩 {left} 件，不够 {wanted} 件")
        self.product_id, self.title, self.wanted, self.left = product_id, title, wanted, left


def find_order_id(text: str) -> str | None:
    """The first order number in a message ("DD" + 18 digits), upper-cased."""
    match = ORDER_ID.search(text or "")
    return match.group(0).upper() if match else None


def order_for(session: Session, user_id: str, order_id: str) -> Order | None:
    """The order if it exists and belongs to this shopper (others' orders are not disclosed)."""
    order = session.get(Order, order_id.upper())
    return order if order is not None and order.user_id == user_id else None


def recent_orders(session: Session, user_id: str, limit: int = 3) -> list[Order]:
    return list(session.scalars(select(Order).where(Order.user_id == user_id)
                                .order_by(Order.created_at.desc()).limit(limit)))


def product_titles(session: Session, ids: list[str]) -> dict[str, str]:
    return {p.id: p.title for p in session.scalars(select(Product).where(Product.id.in_(ids)))}


def take_stock(session: Session, product: Product, quantity: int) -> None:
    """Decrement `product`'s stock by `quantity` in one conditional UPDATE, so two checkouts
    racing for the last units cannot both win and stock never goes below 0; raises OutOfStock."""
    product_id, title = product.id, product.title
    taken = session.execute(update(Product).where(Product.id == product_id, Product.stock >= quantity)
                            .values(stock=Product.stock - quantity)
                            .execution_options(synchronize_session="fetch")).rowcount
    if not taken:
        left = session.scalar(select(Product.stock).where(Product.id == product_id)) or 0
        raise OutOfStock(product_id, title, quantity, max(left, 0))


def place_order(session: Session, user_id: str, lines: Sequence[CartLine], total: float,
                discount: float) -> Order:
    """Turn the cart into a 待付款 order: take each line's units from stock, write the order and
    its lines, empty the cart. Raises OutOfStock for a line the shop cannot fill."""
    for line in lines:
        take_stock(session, line.product, line.quantity)
    now = datetime.now(timezone.utc)
    order_id = "DD" + now.strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10_000):04d}"
    order = Order(id=order_id, user_id=user_id, status="待付款", created_at=now, total=total,
                  discount=discount, address="", carrier="")
    order.items = [OrderItem(product_id=line.product.id, quantity=line.quantity, price=line.product.price)
                   for line in lines]
    session.add(order)
    session.execute(delete(CartItem).where(CartItem.user_id == user_id))
    return order
