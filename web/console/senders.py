"""Sender ids in the console's URLs and in its calls to Rasa's HTTP API.

A sender id may hold any character ("/", "?", "#", "%", spaces, Chinese …). Console routes take
it as `{sender_id:path}` and every link percent-encodes all of it (`sender_path` here,
encodeURIComponent in the scripts). Rasa 3.6 (Sanic 21.12) matches its
`/conversations/<conversation_id:path>/…` routes on the raw request path and never decodes
it, so Rasa can only be addressed for a sender id that travels in a URL path unchanged.
"""
from __future__ import annotations

from urllib.parse import quote

import httpx
from fastapi import Path

# Rasa's sender_id column is VARCHAR(255).
SENDER = Path(min_length=1, max_length=255)
RASA_CANNOT = ("这个顾客 ID 含有 Rasa 对话接口无法传递的字符（如空格、?、#、中文或 . / .. 路径段），"
               "暂时不能在控制台接管或回复，请联系技术人员")


def sender_path(sender_id: str) -> str:
    """The sender id as one URL path segment, every reserved character percent-encoded."""
    return quote(sender_id, safe="")


def rasa_conversation_url(rasa_url: str, sender_id: str, tail: str) -> httpx.URL | None:
    """Rasa's `/conversations/<sender_id>/<tail>` URL, or None if Rasa would read another sender id
    from it (a character httpx must percent-encode, or a dot segment it would resolve)."""
    base = httpx.URL(rasa_url)
    path = f"{base.path.rstrip('/')}/conversations/{sender_id}/{tail}"
    try:
        url = base.copy_with(path=path)
    except httpx.InvalidURL:
        return None
    return url if url.raw_path == path.encode() else None


def rasa_addressable(sender_id: str) -> bool:
    """Whether the console can take this conversation over through Rasa's HTTP API."""
    return rasa_conversation_url("http://rasa", sender_id, "tracker/events") is not None
