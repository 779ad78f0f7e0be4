"""Chinese numerals as shoppers type them (三千五, 十五, 两): stdlib only, so the Rasa
server's entity extractor and the retrieval parser read numbers the same way."""
from __future__ import annotations

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
          "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "k": 1000, "K": 1000, "万": 10000, "w": 10000,
         "W": 10000}


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
