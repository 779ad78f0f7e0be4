"""Rasa's socket.io channel for the chat widget, verified: the sender id comes from the
connection's token, never from the client's `session_id`.

- On connect, `auth.token` is checked (core/identity.py): a shop token names a logged-in user,
  an anonymous token a session this server issued. No token: a new anonymous session, whose
  token is sent back as `session_token` so a reconnect keeps the conversation. A forged,
  expired or foreign token is refused. The socket joins its sender's room there, so it
  receives that conversation's bot and agent messages and nobody else's.
- `session_request` only confirms the sender id; a `session_id` in it or in `user_uttered`
  is ignored.
- Every message is checked for length and rate (rasa_plugins/channels/gate.py) before Rasa parses it.
- Custom payloads arrive as `{"custom": {...}}` (Rasa 3.6's output spreads them into
  `emit()` and raises TypeError), and engine.io checks every handshake's Origin against
  SHOPBOT_SHOP_ORIGINS. Kept outside `rasa_plugins/nlu/` so editing it needs no retrain.
"""
from __future__ import annotations

import inspect
import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError

from core.identity import INVALID
from core.limits import SLOW_DOWN, client_ip
from rasa_plugins.channels.gate import Gate, InvalidIdentity

logger = logging.getLogger(__name__)


class CustomPayloadSocketIOOutput(SocketIOOutput):
    """socket.io output that wraps custom JSON instead of spreading it into `emit()`."""

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class SocketIOChannel(SocketIOInput):
    """`socketio` in credentials.yml, verified and limited, with working custom payloads."""

    def get_output_channel(self) -> Optional[CustomPayloadSocketIOOutput]:
        if self.sio is None:
            return None
        return CustomPayloadSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        gate = Gate.from_env()
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=shop_origins())
        webhook = SocketIOBlueprintFor(sio, self.socketio_path)
        self.sio = sio
        namespace = self.namespace

        async def say(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace)

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            ip = _ip(environ, gate)
            if not gate.connects_per_ip.hit(ip):
                raise ConnectionRefusedError(SLOW_DOWN)
            token = auth.get("token") if isinstance(auth, dict) else None
            try:
                shopper, issued = gate.shopper(token if isinstance(token, str) else None)
            except InvalidIdentity as exc:
                logger.info("socket.io connection refused: %s", exc.reason)
                raise ConnectionRefusedError(INVALID) from None
            await sio.save_session(sid, {"sender": shopper.sender_id, "ip": ip, "issued": issued},
                                   namespace=namespace)
            await _maybe_await(sio.enter_room(sid, shopper.sender_id, namespace=namespace))
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, _data: Any = None) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            if session.get("issued"):
                await sio.emit("session_token", {"token": session["issued"]}, room=sid, namespace=namespace)
            await sio.emit("session_confirm", session["sender"], room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            text = data.get("message") if isinstance(data, dict) else None
            refusal = (gate.over_limit(session["sender"], session["ip"], sid)
                       or gate.refusal(text))
            if refusal:
                await say(sid, refusal)
                return
            output = CustomPayloadSocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(UserMessage(text.strip(), output, session["sender"],
                                             input_channel=self.name()))

        return webhook


def SocketIOBlueprintFor(sio: AsyncServer, path: str) -> SocketBlueprint:
    """Rasa's socket.io blueprint with its health route."""
    webhook = SocketBlueprint(sio, path, "socketio_webhook", __name__)

    @webhook.route("/", methods=["GET"])
    async def health(_: Any) -> Any:
        return response.json({"status": "ok"})

    return webhook


def _ip(environ: Dict, gate: Gate) -> str:
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) or environ.get("REMOTE_ADDR", "unknown")
    return client_ip(peer, environ.get("HTTP_X_FORWARDED_FOR"), gate.trusted_proxies)


async def _maybe_await(result: Any) -> None:
    """python-socketio 5.9 enters rooms synchronously, later releases return a coroutine."""
    if inspect.isawaitable(result):
        await result


def shop_origins() -> Optional[list]:
    """Origins allowed to open a socket; None is engine.io's "same origin only"."""
    configured = os.environ.get("SHOPBOT_SHOP_ORIGINS", "")
    origins = [o.strip() for o in configured.split(",") if o.strip()]
    return origins or None
