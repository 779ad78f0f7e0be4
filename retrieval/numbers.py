"""Read amounts the way Chinese shoppers type them: 三千, 两千五, 1.5万, 2k, 800块, 一千多."""
from __future__ import annotations

import re

from core.numbers import UNITS, chinese_to_int

CN_NUM = "零〇一二两俩三四五六七八九十百千万"
# One amount: arabic with optional unit (1.5万, 2k, 800) or Chinese numerals (三千五).
AMOUNT = rf"(?:\d+(?:\.\d+)?\s*[kKwW千万百]?|[{CN_NUM}]+)"


def parse_amount(text: str) -> float | None:
    """An amount in yuan, or None when the text is not an amount."""
    text = text.strip().rstrip("块元圆")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKwW千万百]?)", text)
    if match:
        value = float(match.group(1))
        return value * UNITS.get(match.group(2), 1) if match.group(2) else value
    value = chinese_to_int(text)
    return float(value) if value is not None else None


def magnitude(text: str) -> float:
    """The place value of an amount's leading figure: 一千多 → 1000, 三百多 → 100, 2000多 → 1000."""
    value = parse_amount(text) or 0
    place = 1.0
    while place * 10 <= value:
        place *= 10
    return place
