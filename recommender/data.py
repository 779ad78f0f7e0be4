"""Interaction data for the recommenders: events → a users × items matrix, and the
temporal leave-last-out split used by offline evaluation.

Implicit shop events become confidences (a purchase says more than a view) summed per
(user, item); explicit ratings (MovieLens, shop `rating` events) keep the latest rating.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy import sparse

from core.clock import aware

# Confidence per event type: view < click < add-to-cart < purchase.
EVENT_WEIGHTS = {"view": 1.0, "click": 2.0, "add_to_cart": 3.0, "purchase": 5.0}


@dataclass(frozen=True)
class Event:
    """One thing a user did to an item; `value` is a rating for `rating` events."""

    user: str
    item: str
    event: str
    timestamp: float
    value: float | None = None

    @property
    def weight(self) -> float:
        if self.event == "rating":
            return float(self.value or 0.0)
        return EVENT_WEIGHTS.get(self.event, 1.0)


@dataclass
class Interactions:
    """Users × items matrix (CSR, float32) with the id maps that make rows and columns names."""

    users: list[str]
    items: list[str]
    matrix: sparse.csr_matrix
    explicit: bool = False
    trend: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per item, time-decayed confidence
    user_index: dict[str, int] = field(init=False)
    item_index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.user_index = {u: n for n, u in enumerate(self.users)}
        self.item_index = {i: n for n, i in enumerate(self.items)}

    @classmethod
    def from_events(cls, events: Iterable[Event], items: Iterable[str] | None = None,
                    half_life_days: float = 7.0, users: list[str] | None = None) -> "Interactions":
        """Sum implicit confidences per (user, item); explicit data (all `rating` events) keeps the
        latest. `trend` weighs each event by 2^(-age / half-life), age counted from the newest event.
        `users` fixes the order of known users (new ones follow, sorted) so stored factors stay aligned."""
        events = sorted(events, key=lambda e: e.timestamp)
        newest = events[-1].timestamp if events else 0.0
        explicit = bool(events) and all(e.event == "rating" for e in events)
        known = list(users or ())
        users = known + sorted({e.user for e in events} - set(known))
        item_list = sorted(set(items or ()) | {e.item for e in events})
        u_index = {u: n for n, u in enumerate(users)}
        i_index = {i: n for n, i in enumerate(item_list)}
        cells: dict[tuple[int, int], float] = {}
        trend = np.zeros(len(item_list))
        for e in events:
            key = (u_index[e.user], i_index[e.item])
            cells[key] = e.weight if explicit else cells.get(key, 0.0) + e.weight
            trend[key[1]] += max(e.weight, 1.0) * 2.0 ** (-(newest - e.timestamp) / (half_life_days * 86400))
        rows = np.fromiter((k[0] for k in cells), dtype=np.int64, count=len(cells))
        cols = np.fromiter((k[1] for k in cells), dtype=np.int64, count=len(cells))
        vals = np.fromiter(cells.values(), dtype=np.float32, count=len(cells))
        matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(users), len(item_list)), dtype=np.float32)
        return cls(users, item_list, matrix, explicit, trend)

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def row(self, user: str) -> sparse.csr_matrix:
        """The user's interactions (1 × items); all zeros for an unknown user."""
        if user in self.user_index:
            return self.matrix[self.user_index[user]]
        return sparse.csr_matrix((1, len(self.items)), dtype=np.float32)

    def history_row(self, item_weights: dict[str, float]) -> sparse.csr_matrix:
        """A 1 × items row from {item id: confidence}, ignoring items the model never saw."""
        known = [(self.item_index[i], w) for i, w in item_weights.items() if i in self.item_index]
        cols = [c for c, _ in known]
        return sparse.csr_matrix(([w for _, w in known], ([0] * len(cols), cols)),
                                 shape=(1, len(self.items)), dtype=np.float32)


@dataclass
class Split:
    """Training events and, per evaluated user, the one item they touched last."""

    train: list[Event]
    held_out: dict[str, str]


def leave_last_out(events: Iterable[Event], min_items: int = 3) -> Split:
    """Temporal leave-last-out: each user's most recent item is the test item.

    All of that user's events on the test item leave the training set (a view before the
    purchase would otherwise give the answer away). Users with fewer than `min_items`
    distinct items stay entirely in training and are not evaluated.
    """
    by_user: dict[str, list[Event]] = {}
    for e in events:
        by_user.setdefault(e.user, []).append(e)
    train: list[Event] = []
    held_out: dict[str, str] = {}
    for user, evs in by_user.items():
        evs.sort(key=lambda e: e.timestamp)
        if len({e.item for e in evs}) < min_items:
            train.extend(evs)
            continue
        last = evs[-1].item
        held_out[user] = last
        train.extend(e for e in evs if e.item != last)
    return Split(train, held_out)


def _timestamp(value: str) -> float:
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value).timestamp()


def read_ratings_file(path: Path) -> Iterator[Event]:
    """MovieLens ratings in any of its layouts: `userId,movieId,rating,timestamp` CSV (header
    optional), ml-100k `u.data` (tabs) or ml-1m `ratings.dat` (`::`). Bad lines raise with
    their number."""
    with open(path, encoding="utf-8", newline="") as handle:
        first = handle.readline()
        sep = "::" if "::" in first else ("\t" if "\t" in first else ",")
        if not _looks_numeric(first.split(sep)[0]):
            start = 2  # skip the header line
        else:
            handle.seek(0)
            start = 1
        lines = (line.replace("::", "\t") for line in handle) if sep == "::" else handle
        reader = csv.reader(lines, delimiter="\t" if sep in ("\t", "::") else ",")
        for number, parts in enumerate(reader, start=start):
            if not parts or not "".join(parts).strip():
                continue
            try:
                user, item, rating, stamp = (p.strip() for p in parts[:4])
                yield Event(user, item, "rating", _timestamp(stamp), float(rating))
            except ValueError as exc:
                raise ValueError(f"{path.name} 第 {number} 行格式不对（应为 userId,movieId,rating,timestamp）: {exc}") from exc


def _looks_numeric(text: str) -> bool:
    try:
        float(text.strip())
        return True
    except ValueError:
        return False


def events_from_rows(rows: Iterable[tuple]) -> list[Event]:
    """Events from (user, item, event, rating, timestamp) rows as the store returns them."""
    events = []
    for user, item, event, rating, stamp in rows:
        if isinstance(stamp, datetime):
            stamp = aware(stamp).timestamp()
        events.append(Event(user, item, event, float(stamp), rating))
    return events
