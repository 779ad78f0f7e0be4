"""Console login throttling: failed logins counted per account and per client IP (`limits`).

Only failures are counted, in moving windows (SHOPBOT_CONSOLE_LOGIN_LIMIT_ACCOUNT, default
5 per 15 minutes; SHOPBOT_CONSOLE_LOGIN_LIMIT_IP, default 20 per 15 minutes) kept in
SHOPBOT_RATE_LIMIT_STORAGE. Once an account or an IP has used them up, every login there,
with the right password too, answers 429 until its oldest failure leaves the window.
"""
from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator

from fastapi import Request
from limits import RateLimitItem, parse
from limits.strategies import RateLimiter

from core.settings import Settings
from web.ratelimit import client_ip, limiter

NAMESPACE = "console-login"
TOO_MANY = "登录尝试次数过多，请 {minutes} 分钟后再试"


def _account(username: str) -> str:
    """The account's counter key: a hash of the username as looked up (any text, fixed length)."""
    return hashlib.sha256(username.strip().encode()).hexdigest()


def _counters(settings: Settings, request: Request, username: str) -> Iterator[tuple[RateLimitItem, str, str]]:
    """(limit, kind, key) of the two counters a login attempt falls under."""
    yield parse(settings.console_login_limit_account), "account", _account(username)
    yield parse(settings.console_login_limit_ip), "ip", client_ip(request)


def _strategy(settings: Settings) -> RateLimiter:
    return limiter(settings.rate_limit_store)


def locked_for(settings: Settings, request: Request, username: str) -> int | None:
    """Seconds until this account and IP may try again, or None while both still may."""
    strategy, waits = _strategy(settings), []
    for item, kind, key in _counters(settings, request, username):
        if not strategy.test(item, NAMESPACE, kind, key):
            waits.append(strategy.get_window_stats(item, NAMESPACE, kind, key).reset_time - time.time())
    return max(1, math.ceil(max(waits))) if waits else None


def record_failure(settings: Settings, request: Request, username: str) -> None:
    """Count one failed login against the account and the IP."""
    strategy = _strategy(settings)
    for item, kind, key in _counters(settings, request, username):
        strategy.hit(item, NAMESPACE, kind, key)


def too_many(seconds: int) -> str:
    """The message for a locked login, in whole minutes (rounded up)."""
    return TOO_MANY.format(minutes=max(1, math.ceil(seconds / 60)))
