"""Catalog import/export: categories and products, validated row by row.

Every bad row is reported with its line number and reason; the good rows are upserted in
one transaction, so a failure leaves the database as it was.
"""
from __future__ import annotations

import csv
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable
from typing import TextIO

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.db import migrate, session_scope
from store.models import Category, Product
from store.rows import read_rows
from store.upsert import upsert


class CategoryRow(BaseModel):
    department: str = Field(min_length=1, max_length=32)
    category: str = Field(min_length=1, max_length=64)
    aliases: list[str] = Field(default_factory=list)


class ProductRow(BaseModel):
    """One catalog row as a shop would supply it."""

    id: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=300)
    brand: str = Field(min_length=1, max_length=64)
    department: str = ""
    category: str = Field(min_length=1, max_length=64)
    price: float = Field(gt=0)
    list_price: float | None = Field(default=None, gt=0)
    color: str = ""
    attributes: dict = Field(default_factory=dict)
    gender: str = ""
    age_group: str = ""
    tags: list[str] = Field(default_factory=list)
    description: str = ""
    stock: int = Field(default=0, ge=0)
    sales: int = Field(default=0, ge=0)
    rating: float = Field(default=0.0, ge=0, le=5)
    reviews: int = Field(default=0, ge=0)
    image: str = ""

    @field_validator("attributes", "tags", mode="before")
    @classmethod
    def _parse_cell(cls, value):
        """CSV cells carry JSON, or a |-separated tag list."""
        if isinstance(value, str):
            value = value.strip()
            if value[:1] in ("[", "{"):
                return json.loads(value)
            return [tag for tag in value.split("|") if tag]
        return value

    @model_validator(mode="after")
    def _defaults(self) -> "ProductRow":
        self.list_price = max(self.list_price or self.price, self.price)
        self.image = self.image or f"/images/{self.id}.svg"
        return self


@dataclass
class LoadReport:
    """What an import did (or would do, on a dry run)."""

    loaded: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False


def file_fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def describe(exc: Exception) -> str:
    """A one-line reason for a rejected row."""
    if isinstance(exc, ValidationError):
        parts = []
        for e in exc.errors():
            where = ".".join(map(str, e["loc"])) or "row"
            parts.append(f"缺少字段 {where}" if e["type"] == "missing" else f"{where}: {e['msg']}")
        return "; ".join(parts)
    return str(exc)


def import_categories(url: str, path: Path) -> LoadReport:
    migrate(url)
    rows, errors = [], []
    for number, raw in read_rows(path):
        try:
            if isinstance(raw, str):
                raise ValueError(raw)
            row = CategoryRow.model_validate(raw)
        except (ValidationError, ValueError) as exc:
            errors.append((number, describe(exc)))
            continue
        rows.append({"name": row.category, "department": row.department, "aliases": row.aliases})
    with session_scope(url) as session:
        upsert(session, Category, rows)
    return LoadReport(loaded=len(rows), errors=errors)


def validate_products(path: Path, categories: dict[str, str]) -> tuple[list[dict], list[tuple[int, str]]]:
    """Good rows as column dicts, and (line, reason) for the bad ones."""
    good: list[dict] = []
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, raw in read_rows(path):
        try:
            if isinstance(raw, str):
                raise ValueError(raw)
            row = ProductRow.model_validate(raw)
            if row.category not in categories:
                raise ValueError(f"未知类目“{row.category}”（先导入类目表）")
            if row.id in seen:
                raise ValueError(f"商品编号 {row.id} 在文件里重复")
        except (ValidationError, ValueError) as exc:
            errors.append((number, describe(exc)))
            continue
        seen.add(row.id)
        data = row.model_dump()
        data["department"] = data["department"] or categories[row.category]
        good.append(data)
    return good, errors


def import_products(url: str, path: Path, dry_run: bool = False, replace: bool = False) -> LoadReport:
    """Upsert the file's valid products in one transaction.

    With `replace`, products missing from the file are deleted (the catalog is the file).
    """
    migrate(url)
    with session_scope(url) as session:
        categories = dict(session.execute(select(Category.name, Category.department)).all())
        rows, errors = validate_products(path, categories)
        if dry_run:
            session.rollback()
            return LoadReport(loaded=len(rows), errors=errors, dry_run=True)
        if replace:
            session.execute(delete(Product).where(Product.id.not_in([r["id"] for r in rows])))
        upsert(session, Product, rows)
    return LoadReport(loaded=len(rows), errors=errors)


EXPORT_FIELDS = [c.name for c in Product.__table__.columns]


def export_products(url: str, out: TextIO = sys.stdout, fmt: str = "jsonl") -> int:
    """Write every product as JSONL or CSV (JSON in the attributes/tags cells); re-importable."""
    migrate(url)
    count = 0
    with session_scope(url) as session:
        products = session.scalars(select(Product).order_by(Product.id))
        writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS) if fmt == "csv" else None
        if writer:
            writer.writeheader()
        for p in products:
            row = {name: getattr(p, name) for name in EXPORT_FIELDS}
            if writer:
                row.update(attributes=json.dumps(p.attributes, ensure_ascii=False),
                           tags=json.dumps(p.tags, ensure_ascii=False))
                writer.writerow(row)
            else:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def all_products(session: Session) -> list[Product]:
    """Every product, by id."""
    return list(session.scalars(select(Product).order_by(Product.id)))


def products_by_id(session: Session, ids: Iterable[str]) -> dict[str, Product]:
    """The catalog's current facts (price, stock, attributes) for these products; unknown ids are left out."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))}


def category_aliases(session: Session) -> dict[str, list[str]]:
    """Category name → what shoppers call it, as the shop configured it."""
    return {c.name: list(c.aliases) for c in session.scalars(select(Category))}
