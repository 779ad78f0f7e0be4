"""FastAPI dependencies: settings and DB sessions."""
from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends
from sqlalchemy.orm import Session

from core.settings import Settings, get_settings
from store.db import session_scope


def settings_dep() -> Settings:
    return get_settings()


def db_session(settings: Settings = Depends(settings_dep)) -> Iterator[Session]:
    with session_scope(settings.db_url) as session:
        yield session
