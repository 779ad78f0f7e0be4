"""Load the shop's users, orders (with items and logistics), carts and promotions."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import delete

from store.catalog import LoadReport, describe
from store.db import migrate, session_scope
from store.models import CartItem, LogisticsEvent, Order, OrderItem, Promotion, User
from store.rows import read_rows
from store.upsert import upsert

ORDER_STATUSES = ("待付款", "已付款", "已发货", "运输中", "已签收", "已取消")


class UserRow(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    name: str = ""
    gender: str = ""
    age: int | None = Field(default=None, ge=0, le=120)
    city: str = ""
    registered_at: datetime | None = None


class ItemRow(BaseModel):
    product_id: str
    quantity: int = Field(ge=1)
    price: float = Field(ge=0)


class LogisticsRow(BaseModel):
    time: datetime
    status: str
    description: str
    location: str = ""


class OrderRow(BaseModel):
    id: str = Field(min_length=1, max_length=32)
    user_id: str = Field(min_length=1)
    status: str
    created_at: datetime
    items: list[ItemRow] = Field(min_length=1)
    total: float = Field(ge=0)
    discount: float = Field(default=0, ge=0)
    coupon: str | None = None
    address: str = ""
    carrier: str = ""
    tracking_no: str | None = None
    logistics: list[LogisticsRow] = Field(default_factory=list)

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value not in ORDER_STATUSES:
            raise ValueError(f"未知订单状态“{value}”")
        return value


class CartLine(BaseModel):
    product_id: str
    quantity: int = Field(default=1, ge=1)
    added_at: datetime


class CartRow(BaseModel):
    user_id: str = Field(min_length=1)
    items: list[CartLine]


class PromotionRow(BaseModel):
    id: str = Field(min_length=1, max_length=32)
    name: str
    type: str
    threshold: float = Field(default=0, ge=0)
    amount: float = Field(default=0, ge=0)
    discount_rate: float = Field(default=1.0, gt=0, le=1)
    category: str | None = None
    brand: str | None = None
    code: str | None = None
    starts_at: datetime
    ends_at: datetime
    description: str = ""


def _valid(path: Path, model: type[BaseModel], report: LoadReport) -> list:
    rows = []
    for number, raw in read_rows(path):
        try:
            if isinstance(raw, str):
                raise ValueError(raw)
            rows.append(model.model_validate(raw))
        except (ValidationError, ValueError) as exc:
            report.errors.append((number, describe(exc)))
    report.loaded = len(rows)
    return rows


def _import_flat(url: str, path: Path, row_model: type[BaseModel], table) -> LoadReport:
    """Validate rows of a one-table file and upsert the good ones in one transaction."""
    migrate(url)
    report = LoadReport()
    rows = [r.model_dump() for r in _valid(path, row_model, report)]
    with session_scope(url) as session:
        upsert(session, table, rows)
    return report


def import_users(url: str, path: Path) -> LoadReport:
    return _import_flat(url, path, UserRow, User)


def import_promotions(url: str, path: Path) -> LoadReport:
    return _import_flat(url, path, PromotionRow, Promotion)


def import_orders(url: str, path: Path) -> LoadReport:
    """Orders replace any stored order with the same id (items and logistics included)."""
    migrate(url)
    report = LoadReport()
    rows = _valid(path, OrderRow, report)
    with session_scope(url) as session:
        ids = [r.id for r in rows]
        for start in range(0, len(ids), 500):
            session.execute(delete(Order).where(Order.id.in_(ids[start:start + 500])))
        for r in rows:
            order = Order(**r.model_dump(exclude={"items", "logistics"}))
            order.items = [OrderItem(**i.model_dump()) for i in r.items]
            order.logistics = [LogisticsEvent(**e.model_dump()) for e in r.logistics]
            session.add(order)
    return report


def import_carts(url: str, path: Path) -> LoadReport:
    """Each row is a shopper's whole cart; it replaces what is stored for them."""
    migrate(url)
    report = LoadReport()
    rows = _valid(path, CartRow, report)
    with session_scope(url) as session:
        for cart in rows:
            session.execute(delete(CartItem).where(CartItem.user_id == cart.user_id))
            session.add_all(CartItem(user_id=cart.user_id, **line.model_dump()) for line in cart.items)
    return report
