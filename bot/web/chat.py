"""POST /api/chat: the page's path to Rasa's REST channel, with polite failure replies."""
from __future__ import annotations

import logging
import random
import time

import httpx

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.settings import Settings
from bot.web import ratelimit
from bot.web.deps import settings_dep
from bot.web.metrics import RASA_ERRORS, TURN_SECONDS

router = APIRouter(prefix="/api")
log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
UNAVAILABLE = "非常抱歉，导购助手暂时连接不上，请稍后再试。"
TOO_LONG = f"您的消息有点长啦，请精简到 {MAX_MESSAGE_CHARS} 字以内再发给我～"
EMPTY = "请先输入想问的内容哦，比如“我想买蓝牙耳机”。"


class ChatIn(BaseModel):
    sender: str = Field(min_length=1, max_length=128)
    message: str = Field(max_length=100_000)


def _bot_text(text: str) -> list[dict]:
    return [{"recipient_id": "", "text": text}]


async def _ask_rasa(settings: Settings, sender: str, text: str):
    """Send one turn to a random Rasa instance (the lock store keeps a conversation's turns in
    order across them); an instance that refuses the connection hands the turn to the next."""
    urls = settings.rasa_urls
    first = random.randrange(len(urls))  # spread turns; no shared counter to keep
    async with httpx.AsyncClient(timeout=settings.request_timeout) as client:
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


@router.post("/chat")
async def chat(body: ChatIn, request: Request, settings: Settings = Depends(settings_dep)):
    """Forward one shopper message; always answer with a list of bot messages."""
    request.state.sender = body.sender
    try:
        ratelimit.check(settings, request, body.sender)
    except ratelimit.RateLimited as limited:
        return JSONResponse({"messages": _bot_text(ratelimit.SLOW_DOWN), "detail": ratelimit.SLOW_DOWN},
                            status_code=429, headers=limited.headers)
    text = body.message.strip()
    if not text:
        return {"messages": _bot_text(EMPTY)}
    if len(text) > MAX_MESSAGE_CHARS:
        return {"messages": _bot_text(TOO_LONG)}
    started = time.perf_counter()
    try:
        messages = await _ask_rasa(settings, body.sender, text)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("rasa unavailable: %s", exc)
        RASA_ERRORS.inc()
        return {"messages": _bot_text(UNAVAILABLE), "degraded": True}
    TURN_SECONDS.observe(time.perf_counter() - started)
    if not isinstance(messages, list):
        return {"messages": _bot_text(UNAVAILABLE), "degraded": True}
    # An empty reply is Rasa's answer while a human agent has the conversation (paused).
    return {"messages": messages}
