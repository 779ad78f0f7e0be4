"""Alembic environment: the URL is set by `store.db.alembic_config` or SHOPBOT_DATABASE_URL."""
from __future__ import annotations

import os
from pathlib import Path

from alembic import context
from sqlalchemy import create_engine

from store.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get("SHOPBOT_DATABASE_URL") \
    or f"sqlite:///{Path(__file__).resolve().parents[2] / 'var' / 'shop.db'}"


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection") or create_engine(url)
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
