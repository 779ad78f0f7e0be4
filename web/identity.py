"""The shopper behind a web request: `Authorization: Bearer <token>` verified on the server.

A shop token names a logged-in user; an anonymous token names a session this server issued
(POST /api/session or the first /api/chat reply). Bodies never say who the shopper is.
"""
from __future__ import annotations

from fastapi import Depends, HTTPException, Request

from core.settings import Settings
from web.deps import settings_dep
from core.credentials import bearer
from core.identity import INVALID, InvalidIdentity, Shopper, mint_anonymous, verify

LOGIN_REQUIRED = "请先开始对话（缺少会话凭证），刷新页面后再试。"


def bearer_token(request: Request) -> str | None:
    return bearer(request.headers.get("authorization"))


def optional_shopper(request: Request, settings: Settings = Depends(settings_dep)) -> Shopper | None:
    """The verified shopper, None without a token; 401 for a forged, expired or foreign one."""
    token = bearer_token(request)
    if token is None:
        return None
    try:
        shopper = verify(settings.secret("identity_secret"), token, settings.identity_issuer)
    except InvalidIdentity:
        raise HTTPException(401, INVALID, headers={"WWW-Authenticate": "Bearer"}) from None
    request.state.sender = shopper.sender_id
    return shopper


def shopper(found: Shopper | None = Depends(optional_shopper)) -> Shopper:
    """Endpoints that act for a shopper need a token (a shop's or an anonymous one)."""
    if found is None:
        raise HTTPException(401, LOGIN_REQUIRED, headers={"WWW-Authenticate": "Bearer"})
    return found


def session_for(settings: Settings, found: Shopper | None, token: str | None) -> dict:
    """What a client keeps: its sender id, whether it is a logged-in user, and the token to send.
    Anonymous sessions are renewed (same id, fresh expiry); without a token a new one starts."""
    if found is not None and found.verified:
        return {"sender": found.sender_id, "verified": True, "token": token}
    new, anonymous_token = mint_anonymous(settings.secret("identity_secret"), settings.anonymous_ttl,
                                          found.sender_id if found else None)
    return {"sender": new.sender_id, "verified": False, "token": anonymous_token}
