"""Human handoff: an agent takes a conversation over, talks to the shopper, hands it back.

Uses Rasa's own mechanism through its HTTP API: a `pause` event stops the bot answering that
sender (Rasa still records and parses the shopper's messages), agent messages are `bot`
events appended with `execute_side_effects`, so Rasa delivers them on the shopper's latest
channel (the widget's socket.io session) in real time, and `resume` hands back with every slot
intact. The Rasa API token stays on the server. Sender ids Rasa's URLs cannot carry get a 422
(web/console/senders.py) instead of a call that would reach another conversation.
"""
from __future__ import annotations

import time

import httpx
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from web.console.auth import csrf_protect, staff_api
from web.console.senders import RASA_CANNOT, SENDER, rasa_conversation_url
from core.settings import Settings
from web.deps import settings_dep

router = APIRouter(prefix="/console/api/conversations")

MAX_AGENT_MESSAGE = 2000
JOINED = "您好，我是人工客服{name}，接下来由我为您服务。"
LEFT = "人工客服已结束服务，导购小助手回来啦，有什么需要可以继续问我～"


class AgentMessage(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_AGENT_MESSAGE)


def _bot_event(text: str, agent: str, state: str | None = None) -> dict:
    """A `bot` event carrying the agent's name; `state` adds the widget's handoff marker."""
    event: dict = {"event": "bot", "text": text, "timestamp": time.time(),
                   "metadata": {"agent": agent}}
    if state:
        event["data"] = {"custom": {"type": "handoff", "state": state, "agent": agent}}
    return event


def _client(settings: Settings) -> httpx.AsyncClient:
    """The HTTP client for Rasa's API (tests swap in a fake Rasa here)."""
    return httpx.AsyncClient(timeout=settings.request_timeout)


def _rasa_url(settings: Settings, sender_id: str, tail: str) -> httpx.URL:
    """Rasa's URL for this conversation; 422 when Rasa would read another sender id from it."""
    url = rasa_conversation_url(settings.rasa_url, sender_id, tail)
    if url is None:
        raise HTTPException(422, RASA_CANNOT)
    return url


async def append_events(settings: Settings, sender_id: str, events: list[dict]) -> dict:
    """Append events to a conversation through Rasa's API and send bot events to the shopper."""
    url = _rasa_url(settings, sender_id, "tracker/events")
    try:
        async with _client(settings) as client:
            reply = await client.post(
                url, params={"token": settings.api_token(), "execute_side_effects": "true",
                             "output_channel": "latest", "include_events": "NONE"},
                json=events)
        reply.raise_for_status()
        return reply.json()
    except httpx.HTTPError as exc:
        raise HTTPException(502, f"对话服务暂时不可用，请稍后重试（{type(exc).__name__}）") from exc


async def tracker_paused(settings: Settings, sender_id: str) -> bool:
    """Whether the conversation is paused (an agent has it), from Rasa's own tracker."""
    url = _rasa_url(settings, sender_id, "tracker")
    try:
        async with _client(settings) as client:
            reply = await client.get(url, params={"token": settings.api_token(), "include_events": "NONE"})
        reply.raise_for_status()
        return bool(reply.json().get("paused"))
    except httpx.HTTPError as exc:
        raise HTTPException(502, "对话服务暂时不可用，请稍后重试") from exc


@router.post("/{sender_id:path}/takeover", dependencies=[Depends(csrf_protect)])
async def take_over(sender_id: str = SENDER, staff=Depends(staff_api),
                    settings: Settings = Depends(settings_dep)) -> dict:
    """Pause the bot for this shopper and greet them as the agent."""
    if await tracker_paused(settings, sender_id):
        raise HTTPException(409, "这个会话已经由人工客服接管")
    await append_events(settings, sender_id, [
        {"event": "pause", "timestamp": time.time()},
        _bot_event(JOINED.format(name=staff.username), staff.username, "agent")])
    return {"sender_id": sender_id, "paused": True, "agent": staff.username}


@router.post("/{sender_id:path}/messages", dependencies=[Depends(csrf_protect)])
async def agent_says(body: AgentMessage, sender_id: str = SENDER, staff=Depends(staff_api),
                     settings: Settings = Depends(settings_dep)) -> dict:
    """Send the agent's message to the shopper (only while the agent has the conversation)."""
    text = body.text.strip()
    if not text:
        raise HTTPException(422, "消息不能为空")
    if not await tracker_paused(settings, sender_id):
        raise HTTPException(409, "请先接管这个会话再回复")
    await append_events(settings, sender_id, [_bot_event(text, staff.username)])
    return {"sender_id": sender_id, "sent": True}


@router.post("/{sender_id:path}/handback", dependencies=[Depends(csrf_protect)])
async def hand_back(sender_id: str = SENDER, staff=Depends(staff_api),
                    settings: Settings = Depends(settings_dep)) -> dict:
    """Resume the bot with the conversation's slots intact; the handoff flag is cleared."""
    if not await tracker_paused(settings, sender_id):
        raise HTTPException(409, "这个会话没有被人工接管")
    await append_events(settings, sender_id, [
        _bot_event(LEFT, staff.username, "bot"),
        {"event": "resume", "timestamp": time.time()},
        {"event": "slot", "name": "handoff_requested", "value": False, "timestamp": time.time()}])
    return {"sender_id": sender_id, "paused": False}
