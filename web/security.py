"""Security headers on every response and a cap on request body size (ASGI middleware).

The CSP allows only this server's own scripts, styles and images, plus connections to Rasa's
socket.io endpoint (the widget) — no inline script anywhere, no third-party origin.
"""
from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings

TOO_LARGE = "请求内容过大"


def content_security_policy(settings: Settings) -> str:
    rasa_ws = settings.rasa_url.replace("http://", "ws://").replace("https://", "wss://")
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {settings.rasa_url} {rasa_ws}; font-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


class SecurityMiddleware:
    """Adds CSP and friends to every response; answers 413 to bodies over the limit."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.headers = [(b"content-security-policy", content_security_policy(settings).encode()),
                        (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"strict-origin-when-cross-origin"),
                        (b"x-frame-options", b"SAMEORIGIN"),
                        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await self._too_large(send)
            return
        if declared is None and scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            # A streamed body (no Content-Length): read it up to the limit, then replay it.
            chunks, size = [], 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                size += len(message.get("body", b""))
                if size > self.max_body:
                    await self._too_large(send)
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
            upstream = receive

            async def receive() -> Message:
                return replay.pop() if replay else await upstream()

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.headers
            await send(message)

        await self.app(scope, receive, secured_send)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps({"detail": f"{TOO_LARGE}（上限 {self.max_body // 1024} KB）"},
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()), *self.headers]})
        await send({"type": "http.response.body", "body": body})
