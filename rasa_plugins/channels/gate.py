"""What Rasa's public and internal channels check before any NLU work: who the shopper is
(core/identity.py), how long a message may be and how often it may come (core/limits.py).
Configured from the SHOPBOT_* variables `shopbot run` exports (core/processes.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from core.credentials import bearer, matches
from core.identity import InvalidIdentity, Shopper, mint_anonymous, verify
from core.limits import DEFAULT_MAX_CHARS, EMPTY, SLOW_DOWN, MovingWindow, address_set, too_long


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:  # fail closed: without the secret nobody could be verified
        raise RuntimeError(f"{name} is not set (shopbot run sets it; see README, Security model)")
    return value


@dataclass
class Gate:
    """Secrets and limits of one Rasa process; limits count per process (a socket stays on one)."""
    identity_secret: str
    issuer: str
    internal_token: str
    anonymous_ttl: int
    max_chars: int
    trusted_proxies: set[str]
    per_sender: MovingWindow
    per_ip: MovingWindow
    per_connection: MovingWindow
    connects_per_ip: MovingWindow

    @classmethod
    def from_env(cls) -> "Gate":
        env = os.environ.get
        return cls(identity_secret=_required("SHOPBOT_IDENTITY_SECRET"),
                   issuer=env("SHOPBOT_IDENTITY_ISSUER", "shop"),
                   internal_token=_required("SHOPBOT_RASA_TOKEN"),
                   anonymous_ttl=int(env("SHOPBOT_ANONYMOUS_TTL", 30 * 24 * 3600)),
                   max_chars=int(env("SHOPBOT_MAX_MESSAGE_CHARS", DEFAULT_MAX_CHARS)),
                   trusted_proxies=address_set(env("SHOPBOT_TRUSTED_PROXIES", "")),
                   per_sender=MovingWindow(env("SHOPBOT_RATE_LIMIT_SENDER", "20/minute")),
                   per_ip=MovingWindow(env("SHOPBOT_RATE_LIMIT_IP", "120/minute")),
                   per_connection=MovingWindow(env("SHOPBOT_RATE_LIMIT_CONNECTION", "30/minute")),
                   connects_per_ip=MovingWindow(env("SHOPBOT_RATE_LIMIT_IP", "120/minute")))

    def shopper(self, token: str | None) -> tuple[Shopper, str | None]:
        """The token's shopper, or a new anonymous session and its token; InvalidIdentity if forged."""
        if token:
            return verify(self.identity_secret, token, self.issuer), None
        return mint_anonymous(self.identity_secret, self.anonymous_ttl)

    def internal_caller(self, authorization: str | None) -> bool:
        """True for `Authorization: Bearer <SHOPBOT_RASA_TOKEN>` (the web relay, tests, scripts)."""
        return matches(bearer(authorization), self.internal_token)

    def refusal(self, text: object) -> str | None:
        """A polite answer instead of NLU for a message that is empty, too long or not text."""
        if not isinstance(text, str) or not text.strip():
            return EMPTY
        if len(text) > self.max_chars:
            return too_long(self.max_chars)
        return None

    def over_limit(self, sender: str, ip: str, connection: str | None = None) -> str | None:
        """SLOW_DOWN when this connection, sender or address has used up its allowance."""
        allowed = self.per_ip.hit(ip) and self.per_sender.hit(sender)
        if allowed and connection is not None:
            allowed = self.per_connection.hit(connection)
        return None if allowed else SLOW_DOWN


__all__ = ["Gate", "InvalidIdentity"]
