"""Date and time query parameters of the console: whole days on the shop's clock, validated.

A bad value (not YYYY-MM-DD, outside EARLIEST..LATEST, or a range that ends before it starts)
raises `DateError` with a message for staff; routes turn it into a 422, never a 500.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import HTTPException, Query

from core.clock import SHOP_TIME

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
MAX_PARAM = 32  # longer values are refused by FastAPI before they reach the parser
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
LABELS = {"from": "开始日期", "to": "结束日期"}


class DateError(ValueError):
    """An invalid date, time or range; str(exc) is the Chinese reason shown to staff."""


def day_start(day: date | None) -> float | None:
    """The epoch time at which a day (shop time) starts."""
    return None if day is None else datetime.combine(day, time(), SHOP_TIME).timestamp()


def parse_day(value: str, name: str = "from") -> date | None:
    """A YYYY-MM-DD parameter; empty (an untouched date input) means no limit, DateError if bad."""
    text, label = value.strip(), LABELS.get(name, name)
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if _ISO_DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise DateError(f"{label}格式不正确：“{text}”，应为 YYYY-MM-DD，如 2026-01-31")
    if not EARLIEST <= day <= LATEST:
        raise DateError(f"{label}超出范围：{text}，应在 {EARLIEST} 至 {LATEST} 之间")
    return day


def day_range(date_from: str, date_to: str) -> tuple[date | None, date | None]:
    """The `from` and `to` parameters as days; DateError when one is bad or `from` is after `to`."""
    start, end = parse_day(date_from, "from"), parse_day(date_to, "to")
    if start and end and start > end:
        raise DateError(f"开始日期 {start} 不能晚于结束日期 {end}")
    return start, end


def parse_timestamp(value: str | None, name: str = "since") -> float | None:
    """An epoch-seconds parameter between 0 and the end of LATEST; DateError if bad."""
    if value is None or not value.strip():
        return None
    limit = day_start(LATEST + timedelta(days=1))
    try:
        moment = float(value)
    except ValueError:
        moment = math.nan
    if not 0 <= moment <= limit:  # also false for nan
        raise DateError(f"{name} 应为 0 至 {limit:.0f} 之间的 Unix 时间戳（秒），收到“{value.strip()[:MAX_PARAM]}”")
    return moment


def unprocessable(exc: DateError) -> HTTPException:
    """The 422 a JSON API (or a download) answers for a bad date."""
    return HTTPException(422, str(exc))


def day_param(name: str) -> Any:
    """A `from` / `to` query parameter, kept as the text sent (parse it with `day_range`)."""
    return Query("", alias=name, max_length=MAX_PARAM)
