"""The shopper's cart, persisted per shopper (the chat sender id) in the database.

Every function works inside the caller's session and never commits: the caller's
`store.db.session_scope` is the unit of work (e.g. a cart line and its add_to_cart event)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import CartItem, Product

MAX_QUANTITY = 99


@dataclass
class CartLine:
    product: Product
    quantity: int

    @property
    def amount(self) -> float:
        return round(self.product.price * self.quantity, 2)


def cart_lines(session: Session, user_id: str) -> list[CartLine]:
    """What is in the cart, oldest addition first."""
    rows = session.execute(select(CartItem, Product).join(Product, Product.id == CartItem.product_id)
                           .where(CartItem.user_id == user_id).order_by(CartItem.added_at, CartItem.id))
    return [CartLine(product, item.quantity) for item, product in rows]


def add_to_cart(session: Session, user_id: str, product_id: str, quantity: int = 1) -> CartLine:
    """Add (or increase) a line; quantity is capped at 99 per product. Raises LookupError
    for unknown products and ValueError when the product is out of stock."""
    quantity = max(1, int(quantity))
    product = session.get(Product, product_id)
    if product is None:
        raise LookupError(product_id)
    if product.stock <= 0:
        raise ValueError("out of stock")
    item = session.scalar(select(CartItem).where(CartItem.user_id == user_id,
                                                 CartItem.product_id == product_id))
    if item is None:
        item = CartItem(user_id=user_id, product_id=product_id, quantity=0,
                        added_at=datetime.now(timezone.utc))
        session.add(item)
    item.quantity = min(MAX_QUANTITY, item.quantity + quantity, max(product.stock, 1))
    return CartLine(product, item.quantity)


def remove_from_cart(session: Session, user_id: str, product_id: str | None = None) -> int:
    """Remove one product's line, or everything when `product_id` is None; returns lines removed."""
    query = delete(CartItem).where(CartItem.user_id == user_id)
    if product_id is not None:
        query = query.where(CartItem.product_id == product_id)
    return session.execute(query).rowcount or 0
