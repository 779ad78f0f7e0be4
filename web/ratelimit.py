"""Per-sender and per-IP rate limits on the public endpoints (the `limits` library).

Storage is `SHOPBOT_RATE_LIMIT_STORAGE`: memory:// for one process, redis://… when several
web workers must share the counts.
"""
from __future__ import annotations

from functools import lru_cache

from fastapi import HTTPException, Request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from core.settings import Settings
from core.limits import SLOW_DOWN



class RateLimited(HTTPException):
    def __init__(self) -> None:
        super().__init__(429, SLOW_DOWN, headers={"Retry-After": "10"})


@lru_cache(maxsize=4)
def limiter(storage_uri: str) -> MovingWindowRateLimiter:
    """One limiter per storage (a cached client, like a cached model)."""
    return MovingWindowRateLimiter(storage_from_string(storage_uri))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check(settings: Settings, request: Request, sender: str | None = None) -> None:
    """Raise RateLimited when this IP (or this sender) has used up its allowance."""
    hit = limiter(settings.rate_limit_store).hit
    if not hit(parse(settings.rate_limit_ip), "ip", client_ip(request)):
        raise RateLimited()
    if sender is not None and not hit(parse(settings.rate_limit_sender), "sender", sender):
        raise RateLimited()
