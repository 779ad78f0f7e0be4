"""A product's size or capacity as one number, so "大一点" can mean "bigger than what was shown"."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Attribute keys that hold a size or capacity, most telling first.
SIZE_KEYS = ("屏幕尺寸", "存储", "容量", "配置", "规格", "表盘尺寸", "尺寸", "版本")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def size_number(attributes: Mapping[str, Any] | None) -> float:
    """The largest number of the first size/capacity attribute (55英寸 → 55, 12GB+256GB → 256); 0 if none."""
    for key in SIZE_KEYS:
        numbers = [float(n) for n in NUMBER.findall(str((attributes or {}).get(key, "")))]
        if numbers:
            return max(numbers)
    return 0.0
