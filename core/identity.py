"""Who a shopper is: tokens the shop's backend signs for its logged-in users, and anonymous
sessions this server issues. The sender id Rasa sees is always derived here, never taken
from a field the client fills in.

Both kinds are HS256 JWTs under one secret (SHOPBOT_IDENTITY_SECRET): a shop token carries
`iss` = the shop's issuer and `sub` = its user id; an anonymous token `iss` = ANONYMOUS_ISSUER
and `sub` = "anon-" + 128 random bits, so a reconnect keeps the conversation.
"""
from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
ANONYMOUS_ISSUER = "daogou-anonymous"
ANONYMOUS_PREFIX = "anon-"
LEEWAY_SECONDS = 10  # clock skew between the shop's backend and this server
MAX_TOKEN_CHARS = 4096
MAX_SUBJECT_CHARS = 64  # users.id is String(64)
# A sender id travels in Rasa's URL paths (the console's takeover), which Rasa never decodes.
SUBJECT = re.compile(r"^(?=.*[A-Za-z0-9])[A-Za-z0-9_.@+-]{1,64}$")
INVALID = "身份验证失败：登录信息无效或已过期，请刷新页面或重新登录后再试。"


class InvalidIdentity(Exception):
    """A token that is malformed, forged, expired or from the wrong issuer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Shopper:
    """The sender id Rasa sees, and whether the shop vouched for it (a logged-in user)."""
    sender_id: str
    verified: bool


def valid_subject(user_id: object) -> bool:
    """A shop user id we can carry everywhere: 1–64 of A–Z a–z 0–9 _ . @ + -."""
    return isinstance(user_id, str) and bool(SUBJECT.match(user_id))


def is_anonymous(sender_id: str) -> bool:
    """Server-issued anonymous ids; the shop's user ids never take this form (mint refuses)."""
    return sender_id.startswith(ANONYMOUS_PREFIX)


def mint_identity(secret: str, user_id: str, issuer: str, ttl: int) -> str:
    """What a shop's backend does for its logged-in user (also `shopbot identity token`)."""
    if not valid_subject(user_id) or is_anonymous(user_id):
        raise ValueError(f"user id must be 1–{MAX_SUBJECT_CHARS} of A-Z a-z 0-9 _ . @ + -, not starting "
                         f"with {ANONYMOUS_PREFIX!r}")
    now = int(time.time())
    return jwt.encode({"sub": user_id, "iss": issuer, "iat": now, "exp": now + ttl},
                      secret, algorithm=ALGORITHM)


def mint_anonymous(secret: str, ttl: int, sender_id: str | None = None) -> tuple[Shopper, str]:
    """A new anonymous session (or a renewed one for `sender_id`) and its signed token."""
    sender_id = sender_id or ANONYMOUS_PREFIX + secrets.token_urlsafe(16)
    now = int(time.time())
    token = jwt.encode({"sub": sender_id, "iss": ANONYMOUS_ISSUER, "iat": now, "exp": now + ttl},
                       secret, algorithm=ALGORITHM)
    return Shopper(sender_id, verified=False), token


def verify(secret: str, token: str, issuer: str) -> Shopper:
    """The shopper a token names; raises InvalidIdentity for anything not signed by us and current."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidIdentity("missing or oversized token")
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS,
                            options={"require": ["sub", "iss", "exp"], "verify_iss": False})
    except jwt.PyJWTError as exc:
        raise InvalidIdentity(str(exc)) from None
    subject, token_issuer = claims["sub"], claims["iss"]
    if not valid_subject(subject):
        raise InvalidIdentity("bad subject")
    if token_issuer == ANONYMOUS_ISSUER and is_anonymous(subject):
        return Shopper(subject, verified=False)
    if token_issuer == issuer and not is_anonymous(subject):
        return Shopper(subject, verified=True)
    raise InvalidIdentity("wrong issuer")
