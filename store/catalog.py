"""Load the product catalog (JSONL or CSV) into the database, reporting bad rows by line."""
from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import delete, select

from store.db import create_schema, session_scope
from store.models import Interaction, Product


class ProductRow(BaseModel):
    """One catalog row as a shop would supply it; invalid rows are rejected with a reason."""

    id: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=300)
    brand: str = Field(min_length=1, max_length=64)
    department: str = ""
    category: str = Field(min_length=1, max_length=64)
    price: float = Field(gt=0)
    list_price: float | None = None
    color: str = ""
    attributes: dict = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    description: str = ""
    stock: int = Field(default=0, ge=0)
    sales: int = Field(default=0, ge=0)
    rating: float = Field(default=0.0, ge=0, le=5)
    reviews: int = Field(default=0, ge=0)

    @field_validator("attributes", "tags", mode="before")
    @classmethod
    def _parse_json_cell(cls, value):
        """CSV cells carry JSON (or a |-separated tag list)."""
        if isinstance(value, str):
            value = value.strip()
            if value[:1] in ("[", "{"):
                return json.loads(value)
            return [tag for tag in value.split("|") if tag]
        return value


@dataclass
class LoadReport:
    """What an import did: rows loaded and, per bad line, why it was refused."""

    loaded: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def file_fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _raw_rows(path: Path):
    """Yield (line number, dict or error message) for JSONL or CSV files."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                yield reader.line_num, {k: v for k, v in row.items() if k and v not in (None, "")}
        return
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"不是合法的 JSON：{exc.msg}"
                continue
            yield number, data if isinstance(data, dict) else "每行必须是一个 JSON 对象"


def read_products(path: Path) -> tuple[list[ProductRow], list[tuple[int, str]]]:
    """Validate every row; return the good ones and (line, reason) for the bad ones."""
    good: list[ProductRow] = []
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, raw in _raw_rows(path):
        if isinstance(raw, str):
            errors.append((number, raw))
            continue
        try:
            row = ProductRow.model_validate(raw)
        except (ValidationError, ValueError) as exc:
            errors.append((number, _describe(exc)))
            continue
        if row.id in seen:
            errors.append((number, f"商品编号 {row.id} 重复"))
            continue
        seen.add(row.id)
        good.append(row)
    return good, errors


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


def load_products(url: str, path: Path, replace: bool = False) -> LoadReport:
    """Upsert the valid rows in one transaction; bad rows are reported, never half-loaded."""
    create_schema(url)
    rows, errors = read_products(path)
    with session_scope(url) as session:
        if replace:
            session.execute(delete(Interaction))
            session.execute(delete(Product))
        for row in rows:
            data = row.model_dump()
            data["list_price"] = data["list_price"] or data["price"]
            session.merge(Product(**data))
    return LoadReport(loaded=len(rows), errors=errors)


def load_interactions(url: str, path: Path) -> int:
    """Replace the interaction history with the file's rows whose product exists."""
    create_schema(url)
    with session_scope(url) as session:
        known = set(session.scalars(select(Product.id)))
        session.execute(delete(Interaction))
        count = 0
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["product_id"] not in known:
                    continue
                session.add(Interaction(user_id=row["user_id"], product_id=row["product_id"],
                                        event=row["event"],
                                        timestamp=datetime.fromisoformat(row["timestamp"])))
                count += 1
    return count


def all_products(url: str) -> list[Product]:
    with session_scope(url) as session:
        return list(session.scalars(select(Product).order_by(Product.id)))
