"""Import shoppers' interactions: the shop's event format or MovieLens-style ratings.

Rows stream from disk in batches, so a million-row file imports in flat memory; bad rows
are reported by line and the good ones land in one transaction.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from core.clock import aware
from store.catalog import LoadReport
from store.db import migrate, session_scope
from store.models import Interaction, Product
from store.rows import header_of, read_rows

EVENTS = ("view", "click", "add_to_cart", "purchase", "rating")
MOVIELENS_HEADER = ["userId", "movieId", "rating", "timestamp"]
BATCH = 5000


def detect_format(path: Path) -> str:
    """`movielens` for userId,movieId,rating,timestamp files, else `shop`."""
    return "movielens" if header_of(path)[:4] == MOVIELENS_HEADER else "shop"


def _parse_time(value: str) -> datetime:
    value = value.strip()
    if value.isdigit():
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    stamp = datetime.fromisoformat(value)
    return aware(stamp)


def _rating(value: str | None, low: float, high: float) -> float:
    rating = float(value)
    if not low <= rating <= high:
        raise ValueError(f"评分 {value} 不在 {low:g}–{high:g} 之间")
    return rating


def _shop_row(raw: dict, products: set[str]) -> dict:
    missing = [k for k in ("user_id", "product_id", "event", "timestamp") if not raw.get(k)]
    if missing:
        raise ValueError("缺少字段 " + ", ".join(missing))
    if raw["event"] not in EVENTS:
        raise ValueError(f"未知事件类型“{raw['event']}”（应为 {'/'.join(EVENTS)}）")
    if raw["product_id"] not in products:
        raise ValueError(f"未知商品 {raw['product_id']}")
    rating = None
    if raw["event"] == "rating":
        if not raw.get("rating"):
            raise ValueError("rating 事件缺少评分")
        rating = _rating(raw["rating"], 1, 5)
    return {"user_id": raw["user_id"], "item_id": raw["product_id"], "event": raw["event"],
            "rating": rating, "timestamp": _parse_time(raw["timestamp"])}


def _movielens_row(raw: dict) -> dict:
    missing = [k for k in MOVIELENS_HEADER if not raw.get(k)]
    if missing:
        raise ValueError("缺少字段 " + ", ".join(missing))
    return {"user_id": raw["userId"], "item_id": raw["movieId"], "event": "rating",
            "rating": _rating(raw["rating"], 0.5, 5), "timestamp": _parse_time(raw["timestamp"])}


def import_interactions(url: str, path: Path, dataset: str | None = None, dry_run: bool = False,
                        replace: bool = False) -> LoadReport:
    """Stream `path` into the interactions table under `dataset` (default by format)."""
    migrate(url)
    fmt = detect_format(path)
    dataset = dataset or ("movielens" if fmt == "movielens" else "shop")
    report = LoadReport(dry_run=dry_run)
    with session_scope(url) as session:
        products = set(session.scalars(select(Product.id))) if fmt == "shop" else set()
        if replace and not dry_run:
            session.execute(delete(Interaction).where(Interaction.dataset == dataset))
        batch: list[dict] = []
        for number, raw in read_rows(path):
            try:
                if isinstance(raw, str):
                    raise ValueError(raw)
                row = _shop_row(raw, products) if fmt == "shop" else _movielens_row(raw)
            except (ValueError, TypeError) as exc:
                report.errors.append((number, str(exc)))
                continue
            row["dataset"] = dataset
            batch.append(row)
            report.loaded += 1
            if len(batch) >= BATCH:
                if not dry_run:
                    session.execute(insert(Interaction), batch)
                batch = []
        if batch and not dry_run:
            session.execute(insert(Interaction), batch)
        if dry_run:
            session.rollback()
    return report


SHOPPER_DATASETS = ("shop", "chat")  # the shipped history and what shoppers did in chat since


def interaction_rows(session: Session, datasets: tuple[str, ...] = SHOPPER_DATASETS, user_id: str | None = None
                     ) -> list[tuple[str, str, str, float | None, datetime]]:
    """(user, item, event, rating, timestamp) for training or one user's history, oldest first."""
    query = (select(Interaction.user_id, Interaction.item_id, Interaction.event, Interaction.rating,
                    Interaction.timestamp)
             .where(Interaction.dataset.in_(datasets)).order_by(Interaction.timestamp, Interaction.id))
    if user_id is not None:
        query = query.where(Interaction.user_id == user_id)
    return [tuple(r) for r in session.execute(query)]


def record_event(session: Session, user_id: str, item_id: str, event: str, rating: float | None = None,
                 dataset: str = "chat") -> None:
    """Write back one thing a shopper did in chat (click, add-to-cart, purchase) for the recommender,
    in the caller's transaction (with the cart line or order it belongs to); kept apart from the
    shipped history so re-importing that never loses it."""
    if event not in EVENTS:
        raise ValueError(f"未知事件类型“{event}”（应为 {'/'.join(EVENTS)}）")
    if session.get(Product, item_id) is None:
        raise LookupError(f"未知商品 {item_id}")
    session.add(Interaction(dataset=dataset, user_id=user_id, item_id=item_id, event=event,
                            rating=rating, timestamp=datetime.now(timezone.utc)))


SHOWN_DATASET = "chat_shown"  # products the assistant showed in chat; not a preference, so not CF input


def record_shown(session: Session, user_id: str, item_ids: list[str], at: datetime) -> int:
    """Write one 'impression' per product shown to a shopper at `at`; known products only, and a
    repeat delivery of the same message (at-least-once brokers) writes nothing twice."""
    known = set(session.scalars(select(Product.id).where(Product.id.in_(item_ids))))
    seen = set(session.scalars(
        select(Interaction.item_id).where(Interaction.dataset == SHOWN_DATASET,
                                          Interaction.user_id == user_id, Interaction.timestamp == at)))
    rows = [{"dataset": SHOWN_DATASET, "user_id": user_id, "item_id": item, "event": "impression",
             "rating": None, "timestamp": at}
            for item in dict.fromkeys(item_ids) if item in known and item not in seen]
    if rows:
        session.execute(insert(Interaction), rows)
    return len(rows)
