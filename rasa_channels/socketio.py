"""Rasa's socket.io channel, with custom payloads delivered as `{"custom": {...}}`.

Rasa 3.6's `SocketIOOutput.send_custom_json` calls `sio.emit(event, **json_message)`, so a
payload such as `{"type": "products", "products": [...]}` raises `TypeError:
AsyncServer.emit() got an unexpected keyword argument 'type'` and never reaches the browser.
This channel sends it in the REST channel's shape instead; everything else (events, session
persistence, rooms) is Rasa's own. Kept outside `rasa_addons/` so editing it needs no retrain.

It also limits which pages may open a socket: Rasa creates its socket.io server with CORS
handling off, so any web page could chat as a shopper. Here engine.io checks the `Origin` of
every handshake (polling and websocket) against SHOPBOT_SHOP_ORIGINS, the shop's own origin
plus SHOPBOT_WIDGET_ORIGINS, which `shopbot run` sets; without it only same-origin pages may.
"""
from __future__ import annotations

import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint


class CustomPayloadSocketIOOutput(SocketIOOutput):
    """socket.io output that wraps custom JSON instead of spreading it into `emit()`."""

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class SocketIOChannel(SocketIOInput):
    """`socketio` in credentials.yml, but with working custom payloads."""

    def get_output_channel(self) -> Optional[CustomPayloadSocketIOOutput]:
        if self.sio is None:
            return None
        return CustomPayloadSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def deliver(message: UserMessage) -> Any:
            out = message.output_channel
            if isinstance(out, SocketIOOutput) and not isinstance(out, CustomPayloadSocketIOOutput):
                message.output_channel = CustomPayloadSocketIOOutput(out.sio, out.bot_message_evt)
            return await on_new_message(message)

        blueprint = super().blueprint(deliver)
        self.sio.eio.cors_allowed_origins = shop_origins()
        return blueprint


def shop_origins() -> Optional[list]:
    """Origins allowed to open a socket; None is engine.io's "same origin only"."""
    configured = os.environ.get("SHOPBOT_SHOP_ORIGINS", "")
    origins = [o.strip() for o in configured.split(",") if o.strip()]
    return origins or None
