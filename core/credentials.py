"""Checking a caller's credential: the token of an `Authorization: Bearer …` header, compared
with a shared secret in constant time. Used by the web app, Rasa's channels and the action server."""
from __future__ import annotations

import hmac


def bearer(authorization: str | None) -> str | None:
    """The token of `Bearer <token>` (scheme in any case), None for anything else."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def matches(given: str | None, secret: str) -> bool:
    """Whether `given` is `secret`, in time that does not depend on where they differ."""
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())
