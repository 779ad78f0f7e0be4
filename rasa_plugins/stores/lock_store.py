"""Rasa's Redis lock store with ticket bookkeeping that is atomic across Rasa instances."""
from __future__ import annotations

from typing import Any, Iterator
from contextlib import contextmanager

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

MUTEX_SECONDS = 10  # longest a ticket read-change-write may hold the mutex


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose ticket changes hold a short Redis mutex per conversation.

    Rasa 3.6 issues, expires and removes tickets with get → change → set. Two instances taking
    turns of one conversation at the same moment can both read the lock, and the second write
    drops the first ticket: both turns then run at once (seen as a duplicated session start and
    a lost turn in the stored conversation). The mutex makes each change whole.
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
            kwargs.pop("type", None)
        super().__init__(**kwargs)

    @contextmanager
    def _mutex(self, conversation_id: str) -> Iterator[None]:
        with self.red.lock(f"{self.key_prefix}{conversation_id}:mutex", timeout=MUTEX_SECONDS,
                           blocking_timeout=MUTEX_SECONDS):
            yield

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().finish_serving(conversation_id, ticket_number)
