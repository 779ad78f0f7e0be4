"""Interaction data for the recommenders: events → a users × items matrix plus each user's
steps in time order, and the temporal splits used by offline evaluation (leave-last-out, and
held-out sessions).

Implicit shop events become confidences (a purchase says more than a view) summed per
(user, item); explicit ratings (MovieLens, shop `rating` events) keep the latest rating.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy import sparse

from core.clock import aware

# Confidence per event type: view < click < add-to-cart < purchase.
EVENT_WEIGHTS = {"view": 1.0, "click": 2.0, "add_to_cart": 3.0, "purchase": 5.0}
# Event types as a sequence feature, weakest first; code = position + 1 (0 pads).
EVENT_KINDS = ("view", "click", "add_to_cart", "purchase", "rating")
SESSION_GAP = 30 * 60.0  # seconds of silence that end a browsing session
BASKET_EVENTS = ("purchase", "add_to_cart")  # what puts an item in a shopper's basket


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


@dataclass(frozen=True)
class Steps:
    """One user's steps, oldest first: item positions and event codes (see `to_steps`)."""

    items: np.ndarray
    kinds: np.ndarray

    def __len__(self) -> int:
        return len(self.items)

    @classmethod
    def empty(cls) -> "Steps":
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8))

    def then(self, other: "Steps") -> "Steps":
        """These steps followed by `other` (a stored history, then this session's clicks)."""
        return Steps(np.concatenate([self.items, other.items]), np.concatenate([self.kinds, other.kinds]))


def kind_code(event: str) -> int:
    return EVENT_KINDS.index(event) + 1 if event in EVENT_KINDS else 1


def to_steps(events: Iterable[Event], item_index: dict[str, int]) -> Steps:
    """Time-ordered events → steps: consecutive events on one item (view → click → cart) are one
    step carrying its strongest event; items the model does not know are skipped."""
    items: list[int] = []
    kinds: list[int] = []
    for e in events:
        position = item_index.get(e.item)
        if position is None:
            continue
        code = kind_code(e.event)
        if items and items[-1] == position:
            kinds[-1] = max(kinds[-1], code)
        else:
            items.append(position)
            kinds.append(code)
    return Steps(np.asarray(items, dtype=np.int64), np.asarray(kinds, dtype=np.int8))


@dataclass
class Interactions:
    """Users × items matrix (CSR, float32) with the id maps that make rows and columns names."""

    users: list[str]
    items: list[str]
    matrix: sparse.csr_matrix
    explicit: bool = False
    trend: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per item, time-decayed confidence
    steps: list[Steps] = field(default_factory=list)  # per user row, in time order
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
        by_user: list[list[Event]] = [[] for _ in users]
        for e in events:
            by_user[u_index[e.user]].append(e)
            key = (u_index[e.user], i_index[e.item])
            cells[key] = e.weight if explicit else cells.get(key, 0.0) + e.weight
            trend[key[1]] += max(e.weight, 1.0) * 2.0 ** (-(newest - e.timestamp) / (half_life_days * 86400))
        rows = np.fromiter((k[0] for k in cells), dtype=np.int64, count=len(cells))
        cols = np.fromiter((k[1] for k in cells), dtype=np.int64, count=len(cells))
        vals = np.fromiter(cells.values(), dtype=np.float32, count=len(cells))
        matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(users), len(item_list)), dtype=np.float32)
        return cls(users, item_list, matrix, explicit, trend, [to_steps(evs, i_index) for evs in by_user])

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def row(self, user: str) -> sparse.csr_matrix:
        """The user's interactions (1 × items); all zeros for an unknown user."""
        if user in self.user_index:
            return self.matrix[self.user_index[user]]
        return sparse.csr_matrix((1, len(self.items)), dtype=np.float32)

    def steps_of(self, user: int) -> Steps:
        """A training user's steps in time order (empty when the data carries none)."""
        return self.steps[user] if user < len(self.steps) else Steps.empty()

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


def by_user_in_time(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Each user's events, oldest first."""
    by_user: dict[str, list[Event]] = {}
    for e in events:
        by_user.setdefault(e.user, []).append(e)
    for evs in by_user.values():
        evs.sort(key=lambda e: e.timestamp)
    return by_user


def last_visit_start(events: Sequence[Event], gap: float = SESSION_GAP) -> int:
    """Index where the last visit of these time-ordered events begins: its events are less than
    `gap` seconds apart (0 when the events hold one visit, or none)."""
    start = max(len(events) - 1, 0)
    while start > 0 and events[start].timestamp - events[start - 1].timestamp < gap:
        start -= 1
    return start


def leave_last_out(events: Iterable[Event], min_items: int = 3) -> Split:
    """Temporal leave-last-out: each user's most recent item is the test item.

    All of that user's events on the test item leave the training set (a view before the
    purchase would otherwise give the answer away). Users with fewer than `min_items`
    distinct items stay entirely in training and are not evaluated.
    """
    train: list[Event] = []
    held_out: dict[str, str] = {}
    for user, evs in by_user_in_time(events).items():
        if len({e.item for e in evs}) < min_items:
            train.extend(evs)
            continue
        last = evs[-1].item
        held_out[user] = last
        train.extend(e for e in evs if e.item != last)
    return Split(train, held_out)


@dataclass
class SessionSplit:
    """Training events and, per evaluated user, their held-out last session (time order)."""

    train: list[Event]
    sessions: dict[str, list[Event]]


def hold_out_sessions(events: Iterable[Event], gap: float = SESSION_GAP, min_items: int = 2) -> SessionSplit:
    """Each user's last session (events less than `gap` seconds apart) leaves training when it
    touches at least `min_items` distinct items: evaluation predicts its items from the first ones."""
    train: list[Event] = []
    sessions: dict[str, list[Event]] = {}
    for user, evs in by_user_in_time(events).items():
        start = last_visit_start(evs, gap)
        if len({e.item for e in evs[start:]}) >= min_items:
            sessions[user] = evs[start:]
            train.extend(evs[:start])
        else:
            train.extend(evs)
    return SessionSplit(train, sessions)


@dataclass
class PairSplit:
    """Training events and, per evaluated user, their held-out (bought item, next other-category item)."""

    train: list[Event]
    pairs: dict[str, tuple[str, str]]


def hold_out_complements(events: Iterable[Event], category_of: Mapping[str, str],
                         window_days: float = 14.0) -> PairSplit:
    """Each user's last complement: a purchase or cart add of X followed, within `window_days`, by a
    purchase or cart add from another category — the first such item Y is to be found. Training
    keeps that user's events up to X (what they had done when they asked "这个配什么")."""
    train: list[Event] = []
    pairs: dict[str, tuple[str, str]] = {}
    for user, evs in by_user_in_time(events).items():
        kept = [(n, e) for n, e in enumerate(evs) if e.event in BASKET_EVENTS and e.item in category_of]
        found = None
        for a in range(len(kept) - 1, -1, -1):
            n, x = kept[a]
            found = next(((n, x, y) for _, y in kept[a + 1:] if y.timestamp - x.timestamp <= window_days * 86400
                          and category_of[y.item] != category_of[x.item]), None)
            if found:
                break
        if found is None:
            train.extend(evs)
            continue
        n, x, y = found
        while n + 1 < len(evs) and evs[n + 1].timestamp == x.timestamp:
            n += 1
        train.extend(evs[:n + 1])
        pairs[user] = (x.item, y.item)
    return PairSplit(train, pairs)


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
