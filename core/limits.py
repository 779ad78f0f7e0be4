"""Limits every chat channel applies before any NLU work: one message length, one rate notation.

The web relay counts with the `limits` library (memory or Redis); Rasa's own channels, whose
environment cannot install it beside Rasa's pins, count with `MovingWindow` below.
"""
from __future__ import annotations

import re
import time
from collections import OrderedDict, deque

DEFAULT_MAX_CHARS = 1000
SLOW_DOWN = "您发消息太快啦，请稍等片刻再试～"
EMPTY = "请先输入想问的内容哦，比如“我想买蓝牙耳机”。"


def too_long(max_chars: int) -> str:
    return f"您的消息有点长啦，请精简到 {max_chars} 字以内再发给我～"


_RATE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*$")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(text: str) -> tuple[int, float]:
    """"20/minute", "5/15 minutes" (the `limits` notation) → (count, window seconds)."""
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"not a rate: {text!r} (e.g. 20/minute)")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNIT_SECONDS[unit]


class MovingWindow:
    """At most `count` hits per key in any `window` seconds; remembers at most `max_keys` keys
    (the least recently used are forgotten), so a flood of new keys cannot exhaust memory."""

    def __init__(self, rate: str, max_keys: int = 100_000) -> None:
        self.count, self.window = parse_rate(rate)
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque] = OrderedDict()

    def hit(self, key: str, now: float | None = None) -> bool:
        """Count one hit; False when `key` is over its allowance (the hit is not counted)."""
        now = time.monotonic() if now is None else now
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        allowed = len(hits) < self.count
        if allowed:
            hits.append(now)
        self._hits[key] = hits
        if len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
        return allowed


def client_ip(peer: str, forwarded_for: str | None, trusted_proxies: set[str]) -> str:
    """The shopper's address: the peer, unless the peer is a configured proxy; then the
    right-most address in X-Forwarded-For that is not itself a trusted proxy."""
    if peer not in trusted_proxies or not forwarded_for:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if hop not in trusted_proxies:
            return hop
    return peer


def address_set(text: str) -> set[str]:
    """"10.0.0.2, 10.0.0.3" → {"10.0.0.2", "10.0.0.3"} (SHOPBOT_TRUSTED_PROXIES)."""
    return {a.strip() for a in text.split(",") if a.strip()}
