"""Read amounts the way Chinese shoppers type them: 三千, 两千五, 1.5万, 2k, 800块, 一千多."""
from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
          "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "k": 1000, "K": 1000, "万": 10000, "w": 10000,
         "W": 10000}
CN_NUM = "零〇一二两俩三四五六七八九十百千万"
# One amount: arabic with optional unit (1.5万, 2k, 800) or Chinese numerals (三千五).
AMOUNT = rf"(?:\d+(?:\.\d+)?\s*[kKwW千万百]?|[{CN_NUM}]+)"


def chinese_to_int(text: str) -> int | None:
    """三千五 → 3500, 一千五百 → 1500, 两万 → 20000, 十五 → 15, 五百 → 500."""
    if not text or any(ch not in DIGITS and ch not in UNITS for ch in text):
        return None
    total, section, digit = 0, 0, None
    last_unit = None
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
            continue
        unit = UNITS[ch]
        if unit == 10000:
            section = (section + (digit or 0)) * unit
            total += section
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * unit
            digit = None
        last_unit = unit
    if digit is not None:
        # "三千五" means 3500: a trailing digit counts in the next unit down.
        section += digit * (last_unit // 10 if last_unit and last_unit >= 100 else 1)
    return total + section


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
