"""GET /api/widget/config: what the embeddable chat widget needs to know about this server.

The widget (`/static/widget/daogou.js`) asks for this when its script tag names no Rasa
socket.io server (`data-server`). socket.io is offered only when `credentials.yml` enables
a socket.io channel; otherwise the widget talks through the REST relay `POST /api/chat`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from fastapi import APIRouter, Depends

from core.settings import Settings
from web.deps import settings_dep

router = APIRouter(prefix="/api/widget")


@lru_cache(maxsize=8)
def _socketio_channel(credentials: Path, mtime: float) -> dict | None:
    """The socket.io section of Rasa's credentials.yml: the stock `socketio` channel or a
    custom class whose dotted name ends in a SocketIO… class (see docs/widget.md)."""
    try:
        channels = yaml.safe_load(credentials.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(channels, dict):
        return None
    for key, section in channels.items():
        name = str(key).rsplit(".", 1)[-1].lower()
        if name == "socketio" or "socketio" in name:
            section = section if isinstance(section, dict) else {}
            return {"channel": str(key), "path": str(section.get("socketio_path") or "/socket.io"),
                    "session_persistence": bool(section.get("session_persistence", False))}
    return None


def socketio_config(settings: Settings) -> dict | None:
    credentials = settings.root / "credentials.yml"
    try:
        mtime = credentials.stat().st_mtime
    except OSError:
        return None
    channel = _socketio_channel(credentials, mtime)
    if channel is None or not channel["session_persistence"]:
        # Without session persistence Rasa uses the socket id as the sender id, so the
        # conversation would not survive a reconnect or reach the shopper's history.
        return None
    return {"url": settings.rasa_url, "path": channel["path"], "channel": channel["channel"]}


@router.get("/config")
def widget_config(settings: Settings = Depends(settings_dep)) -> dict:
    return {"rest_url": "/api/chat", "events_url": "/api/events",
            "socketio": socketio_config(settings)}
