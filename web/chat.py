"""POST /api/chat: the page's path to Rasa's REST channel, with polite failure replies, and
POST /api/session: the sender id and token a widget uses on every transport.

The sender id is derived on the server (web/identity.py): a shop token's user, a renewed
anonymous session, or a new anonymous session returned to the client. A `sender` in the body
is ignored.
"""
from __future__ import annotations

import logging
import random
import time

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from core.settings import Settings
from web import ratelimit
from web.deps import settings_dep
from web.identity import bearer_token, optional_shopper, session_for
from web.metrics import RASA_ERRORS, TURN_SECONDS
from core.identity import Shopper
from core.limits import EMPTY, SLOW_DOWN, too_long

router = APIRouter(prefix="/api")
log = logging.getLogger(__name__)

UNAVAILABLE = "非常抱歉，导购助手暂时连接不上，请稍后再试。"


class ChatIn(BaseModel):
    message: str = Field(max_length=100_000)
    sender: str | None = Field(None, max_length=128, description="ignored: the token decides")


def _bot_text(text: str) -> list[dict]:
    return [{"recipient_id": "", "text": text}]


async def _ask_rasa(settings: Settings, sender: str, text: str):
    """Send one turn to a random Rasa instance (the lock store keeps a conversation's turns in
    order across them); an instance that refuses the connection hands the turn to the next.
    Rasa's REST channel is internal: it takes only callers holding the Rasa token."""
    urls = settings.rasa_urls
    first = random.randrange(len(urls))  # spread turns; no shared counter to keep
    headers = {"Authorization": f"Bearer {settings.api_token()}"}
    async with httpx.AsyncClient(timeout=settings.request_timeout, headers=headers) as client:
        for n in range(len(urls)):
            url = urls[(first + n) % len(urls)]
            try:
                reply = await client.post(f"{url}/webhooks/rest/webhook",
                                          json={"sender": sender, "message": text})
            except httpx.ConnectError:
                if n == len(urls) - 1:
                    raise
                log.warning("rasa instance %s down; trying the next", url)
                continue
            reply.raise_for_status()
            return reply.json()


@router.post("/session")
def session(request: Request, found: Shopper | None = Depends(optional_shopper),
            settings: Settings = Depends(settings_dep)) -> dict:
    """The widget's first call: who this shopper is and the token to send on every transport.
    Limited per IP like the chat, so a script cannot mint sessions without end."""
    try:
        ratelimit.check(settings, request)
    except ratelimit.RateLimited as limited:
        return JSONResponse({"detail": SLOW_DOWN}, status_code=429, headers=limited.headers)
    return session_for(settings, found, bearer_token(request))


@router.post("/chat")
async def chat(body: ChatIn, request: Request, found: Shopper | None = Depends(optional_shopper),
               settings: Settings = Depends(settings_dep)):
    """Forward one shopper message; always answer with a list of bot messages. A shopper
    without a token gets a new anonymous session in `session` (send its token next time)."""
    issued = None if found else session_for(settings, None, None)
    sender = found.sender_id if found else issued["sender"]
    request.state.sender = sender
    extra = {"session": issued} if issued else {}
    try:
        ratelimit.check(settings, request, sender)
    except ratelimit.RateLimited as limited:
        return JSONResponse({"messages": _bot_text(SLOW_DOWN), "detail": SLOW_DOWN, **extra},
                            status_code=429, headers=limited.headers)
    text = body.message.strip()
    if not text:
        return {"messages": _bot_text(EMPTY), **extra}
    if len(text) > settings.max_message_chars:
        return {"messages": _bot_text(too_long(settings.max_message_chars)), **extra}
    started = time.perf_counter()
    try:
        messages = await _ask_rasa(settings, sender, text)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("rasa unavailable: %s", exc)
        RASA_ERRORS.inc()
        return {"messages": _bot_text(UNAVAILABLE), "degraded": True, **extra}
    TURN_SECONDS.observe(time.perf_counter() - started)
    if not isinstance(messages, list):
        return {"messages": _bot_text(UNAVAILABLE), "degraded": True, **extra}
    # An empty reply is Rasa's answer while a human agent has the conversation (paused).
    return {"messages": messages, **extra}
