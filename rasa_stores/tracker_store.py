"""Rasa's SQL tracker store with a connection pool that survives a dropped database link."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


class ResilientSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose pool pings a connection before lending it.

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
