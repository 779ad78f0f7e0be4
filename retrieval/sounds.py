"""Product words typed by sound: homophone typos ("篮牙耳鸡" → 蓝牙耳机, "纸尿库" → 纸尿裤) and
pinyin without characters ("shouji" → 手机, "yurongfu" → 羽绒服), matched on toneless pinyin.

Chinese input methods make exactly these slips: the right syllables, the wrong characters.
Only words of three or more characters are matched inside Chinese text (two-syllable
homophones are too often other real words: 杯子/被子); typed pinyin may spell any word of two
or more syllables.
"""
from __future__ import annotations

import re

from pypinyin import lazy_pinyin

CJK = re.compile(r"[\u4e00-\u9fff]+")
LATIN = re.compile(r"[a-z]+")
MIN_SYLLABLES_IN_HANZI = 3


class SoundIndex:
    """surface word → canonical value, looked up by the sound of the word."""

    def __init__(self, words: dict[str, str]) -> None:
        self.hanzi: dict[tuple[str, ...], str] = {}
        self.pinyin: dict[str, str] = {}
        for word, value in sorted(words.items(), key=lambda kv: (-len(kv[0]), kv[0])):
            if not CJK.fullmatch(word) or len(word) < 2:
                continue
            syllables = tuple(lazy_pinyin(word))
            self.pinyin.setdefault("".join(syllables), value)
            if len(word) >= MIN_SYLLABLES_IN_HANZI:
                self.hanzi.setdefault(syllables, value)
        self.longest = max((len(k) for k in self.hanzi), default=0)

    def find(self, text: str) -> str | None:
        """The value of the longest word the text sounds like, or None."""
        for run in CJK.findall(text):
            syllables = lazy_pinyin(run)
            for size in range(min(self.longest, len(syllables)), MIN_SYLLABLES_IN_HANZI - 1, -1):
                for start in range(len(syllables) - size + 1):
                    value = self.hanzi.get(tuple(syllables[start:start + size]))
                    if value:
                        return value
        tokens = LATIN.findall(text.lower())
        for size in (3, 2, 1):  # "lan ya er ji", "shou ji", "shouji"
            for start in range(len(tokens) - size + 1):
                value = self.pinyin.get("".join(tokens[start:start + size]))
                if value:
                    return value
        return None
