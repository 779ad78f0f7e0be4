"""The generated shop's 90 days: its window, seasons, busy days and busy hours."""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
START = datetime(2026, 8, 1, tzinfo=UTC)        # first day of shopper history
DAYS = 90
END = START + timedelta(days=DAYS)               # "now": 2026-10-30T00:00Z


def _day(month: int, day: int) -> int:
    return (datetime(2026, month, day, tzinfo=UTC) - START).days


MID_AUTUMN = _day(9, 25)                         # 中秋节 2026
NATIONAL_DAY = _day(10, 1)                       # 国庆 10-01 .. 10-07


def _bump(day: float, center: float, width: float) -> float:
    return math.exp(-((day - center) / width) ** 2)


# Seasonality: browsing multiplier of a category on day d (0 = 2026-08-01).
SEASONS = {
    "flat": lambda d: 1.0,
    "summer": lambda d: 0.35 + 1.75 * max(0.0, 1 - d / 62) ** 1.3,
    "summer_mild": lambda d: 0.7 + 0.6 * max(0.0, 1 - d / 75),
    "winter": lambda d: 0.3 + 2.3 * (d / (DAYS - 1)) ** 2,
    "winter_mild": lambda d: 0.7 + 0.9 * (d / (DAYS - 1)) ** 2,
    "midautumn": lambda d: 0.8 + 2.6 * _bump(d, MID_AUTUMN - 4, 6),
    "midautumn_mild": lambda d: 0.9 + 0.6 * _bump(d, MID_AUTUMN - 4, 6),
    "school": lambda d: 0.8 + 1.4 * _bump(d, _day(8, 24), 9),
    "travel": lambda d: 0.85 + 1.2 * _bump(d, NATIONAL_DAY - 4, 6),
    "launch": lambda d: 0.9 + 0.6 * _bump(d, _day(9, 22), 8),
}


def traffic(day: int) -> float:
    """How busy the shop is on a day: weekends, 中秋, 国庆 and the run-up to 双11."""
    date = START + timedelta(days=day)
    weight = 1.15 if date.weekday() >= 5 else 1.0
    if NATIONAL_DAY <= day < NATIONAL_DAY + 7:
        weight *= 1.25
    weight *= 1 + 0.4 * _bump(day, MID_AUTUMN - 3, 4)
    weight *= 1 + 0.35 * max(0.0, (day - (DAYS - 12)) / 12)
    return weight


# Browsing hour of day, Beijing time (UTC+8): evening peak.
HOURS_CN = [3, 1.5, 0.8, 0.5, 0.4, 0.5, 1, 2, 3, 3.5, 4, 4.5, 5, 4.5, 4, 4, 4.2, 4.5, 5, 6, 7.5, 8, 7, 5]

SEASON_TABLE = {name: [curve(d) for d in range(DAYS)] for name, curve in SEASONS.items()}
DAY_TRAFFIC = [traffic(d) for d in range(DAYS)]


def session_time(rng: random.Random, day: int) -> datetime:
    """When on `day` a visit starts, drawn from the Beijing-time hour curve."""
    hour_cn = rng.choices(range(24), weights=HOURS_CN)[0]
    return START + timedelta(days=day, hours=(hour_cn - 8) % 24, seconds=rng.randint(0, 3599))
