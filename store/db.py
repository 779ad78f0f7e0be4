"""Engines, sessions and migrations; one engine per URL, created on first use."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).parent / "migrations"


@lru_cache
def engine_for(url: str) -> Engine:
    """A pooled engine with pre-ping, so a dropped connection is replaced, not reported.

    SQLite gets no pool: on Python 3.11 a rollback leaves an unfinished cursor open, and a
    pooled connection holding one keeps reading an old WAL snapshot, so writes by the Rasa
    action server or the web app stayed invisible to this process. Opening a file is cheap.
    """
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the web app read while a build or import writes."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database `url` names when it is missing (SQLite files create themselves)."""
    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": target.database}).first()
            if not exists:
                quoted = admin.dialect.identifier_preparer.quote(target.database)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@lru_cache
def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (once per process and URL)."""
    with engine_for(url).begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(url: str, revision: str) -> None:
    with engine_for(url).begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    migrate.cache_clear()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    session = sessionmaker(engine_for(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
