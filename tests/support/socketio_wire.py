"""A socket.io client speaking the wire protocol (Engine.IO 4 over one WebSocket), as an
attacker's script would: it sends no Origin header and whatever `auth` and events it likes."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect


class Refused(Exception):
    """The server answered the namespace connect with an error packet (44)."""


@dataclass
class SocketClient:
    ws: ClientConnection
    events: list[tuple[str, object]] = field(default_factory=list)

    @classmethod
    def open(cls, rasa_url: str, token: str | None = None, timeout: float = 10) -> "SocketClient":
        """Handshake and connect to the default namespace with `auth = {"token": token}`."""
        url = rasa_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        ws = connect(url, open_timeout=timeout)
        opened = ws.recv(timeout=timeout)
        assert opened.startswith("0"), opened
        ws.send("40" + json.dumps({"token": token} if token else {}))
        client = cls(ws)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            packet = client._recv(deadline - time.monotonic())
            if packet.startswith("40"):
                return client
            if packet.startswith("44"):
                ws.close()
                raise Refused(json.loads(packet[2:] or "{}").get("message", ""))
        raise TimeoutError("no namespace connect reply")

    def emit(self, event: str, data: object) -> None:
        self.ws.send("42" + json.dumps([event, data], ensure_ascii=False))

    def _recv(self, timeout: float) -> str:
        packet = self.ws.recv(timeout=max(timeout, 0.01))
        if packet == "2":  # ping
            self.ws.send("3")
        elif packet.startswith("42"):
            name, *args = json.loads(packet[2:])
            self.events.append((name, args[0] if args else None))
        return packet

    def collect(self, seconds: float) -> list[tuple[str, object]]:
        """Everything that arrives within `seconds` (plus what arrived before)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._recv(left)
            except TimeoutError:
                break
            except ConnectionClosed:
                break
        return self.events

    def wait_for(self, event: str, timeout: float = 30) -> object:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for name, data in self.events[seen:]:
                if name == event:
                    return data
            seen = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {event!r} within {timeout}s; got {self.events}")
            try:
                self._recv(left)
            except TimeoutError:
                continue

    def bot_texts(self) -> list[str]:
        return [d.get("text") for n, d in self.events if n == "bot_uttered" and isinstance(d, dict) and d.get("text")]

    def close(self) -> None:
        self.ws.close()
