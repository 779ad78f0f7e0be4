"""Rasa's SQL tracker store, with a per-turn cost that does not grow with the conversation.

Rasa 3.6's SQLTrackerStore loads every event of the current session on every turn, and
everything after it scales with that: turning rows into events, copying the tracker for each
action, the policies' state history, the JSON sent to (and parsed by) the action server, and,
with an event broker, a second full load on every save to find the new events. Measured with
`python -m bench.tracker_cost`: a shopper's 80th message cost Rasa several times their 2nd.

`LeanSQLTrackerStore` loads the session's last `window_turns` shopper messages that the bot
acted on, plus the stored events that still decide the state: the session start (and last
restart), the latest value of every slot, the latest form and pause/resume events. Reverted
events (`undo`, `rewind`) count as Rasa counts them; a form still active, or active where the
window would begin, is loaded with its whole run and the messages that led to it, because Rasa
folds a form's turns together for the policies. The tracker is a subsequence of the stored
session, and it looks to the policies like a session whose slots were carried over, which Rasa
produces itself: its slots, form, pause, latest message and last policy states are those of
the whole session (tests/support/tracker_window.py checks this against Rasa's own store).

`window_turns` must stay above the longest story's number of user turns (5 today):
MemoizationPolicy without `max_history` remembers whole story beginnings, and a window that long
can never be mistaken for one. Our actions look back two messages at most.

Every event is still stored, and only new ones are written and published (known from what was
loaded, not by counting the session's rows); `retrieve_full_tracker` (the HTTP API's GET
tracker) returns everything, and the staff console reads the table itself.
"""
from __future__ import annotations

import itertools
import json
from functools import lru_cache
from typing import Any, Iterator, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

WINDOW_TURNS = 10  # shopper messages loaded in full (see the module's docstring)
STORED = "_daogou_stored_events"  # attribute on a loaded tracker: how many of its events are stored
BOUNDARIES = ("session_started", "restart")  # state before them is gone (Rasa's applied_events)
LOOPS = ("active_loop", "form")  # `form`: Rasa's legacy name of the same event


Row = tuple[int, str, Optional[str]]  # a stored event's id, type_name and action_name


def applied_rows(rows: list[Row]) -> tuple[list[int], list[Row]]:
    """The ids of the session start and restarts, and the rows after the last of them that
    were not taken back (`undo`, `rewind`) — what Rasa's `applied_events` keeps."""
    boundaries: list[int] = []
    applied: list[Row] = []
    for row in rows:
        kind = row[1]
        if kind in BOUNDARIES:
            boundaries.append(row[0])
            applied = []
        elif kind == "undo":  # ActionReverted: back to before the latest action
            _undo_till(applied, "action")
        elif kind == "rewind":  # UserUtteranceReverted: the latest message and the action before it
            _undo_till(applied, "user")
            _undo_till(applied, "action")
        else:
            applied.append(row)
    return boundaries, applied


def _undo_till(applied: list[Row], kind: str) -> None:
    while applied:
        if applied.pop()[1] == kind:
            return


def state_rows(rows: list[Row]) -> list[int]:
    """Ids of the rows that carry the state `rows` (in id order) leave behind: the session
    start, the last restart, the last value of each slot (since the last `reset_slots`), the
    latest form event and the latest pause/resume."""
    boundaries, applied = applied_rows(rows)
    slots: dict[Optional[str], int] = {}
    latest: dict[str, int] = {}
    for row_id, kind, name in applied:
        if kind == "reset_slots":
            slots.clear()
        elif kind == "slot":
            slots.pop(name, None)
            slots[name] = row_id
        elif kind in LOOPS:
            latest["loop"] = row_id
        elif kind in ("pause", "resume"):
            latest["pause"] = row_id
    return sorted({*boundaries[:1], *boundaries[-1:], *slots.values(), *latest.values()})


def window_start(rows: list[Row], turns: int) -> Optional[int]:
    """Id of the first row to load in full: the `action_listen` before the last `turns` shopper
    messages the bot acted on (not taken back); None: the whole session. A form's turns are folded
    together for the policies (Rasa's `applied_events`), so a form active now or where the
    window would begin is loaded whole, with the `turns` messages that led to it."""
    boundaries, applied = applied_rows(rows)
    users = answered(applied)
    loops = [i for i, row in enumerate(applied) if row[1] in LOOPS]
    first: Optional[int] = users[-turns] if len(users) > turns else None
    form = _form_started(applied, loops, len(applied))  # the form active now
    while first is not None:
        if form is None:  # the form active where the window begins
            form = _form_started(applied, loops, first)
            if form is None:
                break
        earlier = [i for i in users if i < form]
        first = min(first, earlier[-turns]) if len(earlier) > turns else None
        form = None
    if first is None:  # everything since the last restart (or the session start) is wanted
        return boundaries[-1] if boundaries and boundaries[-1] != rows[0][0] else None
    index = next(i for i, row in enumerate(rows) if row[0] == applied[first][0])
    start = next((i for i in range(index, -1, -1) if rows[i][1] == "action"), index)
    return rows[start][0] if start > 0 else None


def answered(applied: list[Row]) -> list[int]:
    """Indexes of the shopper's messages the bot acted on (not those while staff had the
    conversation paused): the turns the policies see."""
    users, waiting = [], None
    for i, (_, kind, _) in enumerate(applied):
        if kind == "user":
            waiting = i
        elif kind == "action" and waiting is not None:
            users.append(waiting)
            waiting = None
    return users


def _form_started(applied: list[Row], loops: list[int], at: int) -> Optional[int]:
    """Index in `applied` where the form active just before position `at` was activated."""
    before = [i for i in loops if i < at]
    if not before or not applied[before[-1]][2]:
        return None
    start = before[-1]
    for i in reversed(before[:-1]):
        if applied[i][2] != applied[start][2]:
            break
        start = i
    return start


class LeanSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that loads a bounded window of the session and writes only new events.

    `window_turns` (endpoints file) sets how many shopper messages are loaded in full.
    """

    def __init__(self, *args: Any, window_turns: int = WINDOW_TURNS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window_turns = max(int(window_turns), 3)  # fewer would look like a new conversation

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The latest session: its last `window_turns` messages and the events its state needs."""
        with self.session_scope() as session:
            data = self._window(session.connection(), sender_id)
        return self._tracker(sender_id, data)

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        tracker = await super().retrieve_full_tracker(conversation_id)
        return _stored(tracker, len(tracker.events)) if tracker else None

    def _window(self, connection: Any, sender_id: Text) -> list[str]:
        """The `data` of the events to load, in order. Core queries on the connection: the ORM
        costs several times as much per row, and the first query reads every row of the session
        (three small columns)."""
        event = self.SQLEvent
        session_start = (sa.select(sa.func.max(event.id))
                         .where(event.sender_id == sender_id, event.type_name == "session_started")
                         .scalar_subquery())
        in_session = sa.and_(event.sender_id == sender_id,
                             sa.or_(session_start.is_(None), event.id >= session_start))
        rows = [tuple(row) for row in connection.execute(
            sa.select(event.id, event.type_name, event.action_name).where(in_session).order_by(event.id))]
        start = window_start(rows, self.window_turns) if rows else None
        if start is None:
            wanted = in_session
        else:
            kept = state_rows([row for row in rows if row[0] < start])
            wanted = sa.and_(event.sender_id == sender_id, sa.or_(event.id >= start, event.id.in_(kept)))
        return list(connection.execute(sa.select(event.data).where(wanted).order_by(event.id)).scalars())

    def _tracker(self, sender_id: Text, data: list[str]) -> Optional[DialogueStateTracker]:
        """Rasa's `DialogueStateTracker.from_dict`, with the event classes looked up once."""
        if not (self.domain and data):
            return None
        events = [event for event in map(_event, data) if event is not None]
        tracker = DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
        return _stored(tracker, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The events of `tracker` not stored yet: those after what was loaded or last saved."""
        stored = getattr(tracker, STORED, None)
        if stored is None or tracker._max_event_history is not None:
            # Not loaded here (a new or replaced conversation): Rasa's own reckoning.
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the new events (Rasa's own loads the whole stored session again to find them)."""
        if self.event_broker is None:
            return
        with self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
        await self._stream_new_events(self.event_broker, events, tracker.sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        _stored(tracker, len(tracker.events))


def _event(data: str) -> Optional[Event]:
    parameters = json.loads(data)
    kind = _event_class(parameters.get("event"))
    return kind._from_parameters(parameters) if kind else None


@lru_cache(maxsize=None)
def _event_class(type_name: Optional[str]) -> Optional[type]:
    """`Event.resolve_by_type`, which walks every Event subclass on each call (a fifth of
    loading a tracker)."""
    return Event.resolve_by_type(type_name) if type_name is not None else None


def _stored(tracker: DialogueStateTracker, count: int) -> DialogueStateTracker:
    setattr(tracker, STORED, count)
    return tracker


class ResilientSQLTrackerStore(LeanSQLTrackerStore):
    """The production store: lean, and its connection pool pings a connection before lending it.

    Rasa 3.6 creates its engine without `pool_pre_ping`, so after PostgreSQL restarts or a
    proxy drops idle connections the next turn fails on a dead connection. Pinging first
    replaces it transparently; the cost is one round trip per checkout.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
