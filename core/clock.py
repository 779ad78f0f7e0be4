"""The shop's clock: China time for day boundaries and what staff read, and stored times made
timezone-aware. A leaf (standard library only), so the libraries may use it too."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

SHOP_TIME = timezone(timedelta(hours=8))  # the shop's clock (China, no daylight saving)


def aware(moment: datetime) -> datetime:
    """A stored time as an aware one: SQLite hands back naive datetimes, and everything we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
