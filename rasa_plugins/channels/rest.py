"""Rasa's REST channel, internal: only callers holding the Rasa token (`Authorization: Bearer`)
may use it — the web relay, which derives the sender id from a verified token, tests and
operators' scripts. Messages too long or empty get a polite answer without NLU work.
`rest` in credentials.yml is replaced by this class; the URL stays /webhooks/rest/webhook."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response

from rasa_plugins.channels.gate import Gate

UNAUTHORISED = "this endpoint is internal: send Authorization: Bearer <SHOPBOT_RASA_TOKEN>"


class InternalRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        gate = Gate.from_env()

        async def checked(message: UserMessage) -> Any:
            refusal = gate.refusal(message.text)
            if refusal:
                await message.output_channel.send_text_message(message.sender_id, refusal)
                return None
            return await on_new_message(message)

        blueprint = super().blueprint(checked)

        @blueprint.middleware("request")
        async def internal_only(request: Any) -> Any:
            if request.path.rstrip("/").endswith("/webhooks/rest"):
                return None  # the health route
            if not gate.internal_caller(request.headers.get("authorization")):
                return response.json({"error": UNAUTHORISED}, status=401)
            return None

        return blueprint
