"""Understand a Chinese shopping query: category, brands, colours, price, sort, exclusions.

`QueryParser(vocab).parse("给女朋友买支口红，三百以内，不要太艳的")` → `ParsedQuery`.
Entities come from a spaCy pipeline (blank "zh" + jieba segmenter + EntityRuler patterns
generated from the catalog), backed by a substring scan for words jieba glued to their
neighbours; prices, sorting and negation are rules over the raw text.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from retrieval.needs import match_need
from retrieval.numbers import AMOUNT, magnitude, parse_amount
from retrieval.sizes import size_number
from retrieval.sounds import SoundIndex

# Price phrases, most specific first. Each yields (min, max) from the matched amounts.
_A = rf"({AMOUNT})\s*(?:块钱|块|元|rmb|RMB|¥)?"
PRICE_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(rf"(?:在|价格)?{_A}\s*(?:到|至|-|~|～|—|和)\s*{_A}(?:之间|以内|左右)?"), "range"),
    (re.compile(rf"({AMOUNT})\s*多(?:块|元)?"), "more_than_round"),
    (re.compile(rf"(?:不超过|不高于|不到|低于|少于|最多|顶多|控制在|预算|别超过|不要超过|小于){_A}"), "max"),
    (re.compile(rf"{_A}\s*(?:以内|以下|之内|内|封顶|以下的|为止)"), "max"),
    (re.compile(rf"(?:不低于|高于|至少|最少|超过|大于|起码){_A}"), "min"),
    (re.compile(rf"{_A}\s*(?:以上|起|往上)"), "min"),
    (re.compile(rf"(?:大概|大约|差不多|约)?{_A}\s*(?:左右|上下|附近|出头)"), "around"),
    (re.compile(rf"(?:大概|大约|差不多|约)\s*{_A}"), "around"),
]
AROUND_BAND = 0.15

SORT_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"最便宜|价格最低|最低价|从低到高|由低到高|价格升序|最实惠"), "price_asc"),
    (re.compile(r"最贵|价格最高|从高到低|由高到低|价格降序"), "price_desc"),
    (re.compile(r"销量最(?:高|好|多)|最畅销|卖得最(?:好|多|火)|最火|最热门|爆款|销量排行|销量高"), "sales_desc"),
    (re.compile(r"评价最(?:好|高)|评分最高|口碑最好|好评最多|评价好|口碑好|好评如潮|最好评"), "rating_desc"),
]
CHEAPER = re.compile(r"(?:再|更)?便宜(?:一)?(?:点|些|一点)|更便宜|价格低一?点|太贵了")
PRICIER = re.compile(r"(?:再|更)?贵(?:一)?(?:点|些)的?也行|更贵|好一点的|高端一点|档次高一?点|贵一点")
BUDGET_LOW = re.compile(r"不要?太贵|别太贵|不能太贵|不用太贵|便宜的|便宜点的|实惠|性价比|平价|学生党|穷")
BUDGET_HIGH = re.compile(r"高端|旗舰|顶配|不差钱|贵点没关系")
# Refinements relative to the products already shown ("换个牌子", "大一点").
OTHER_BRAND = re.compile(r"换(?:个|一个|家|别的)?(?:牌子|品牌|家)|别的(?:牌子|品牌)|其他(?:牌子|品牌)")
BIGGER = re.compile(r"大一?点|更大|大些|大屏|大容量|大尺寸|大号")

# Cue words that negate (or re-affirm) what follows them in the same clause.
CUES = re.compile(r"(不要|不想要|别要|别给我|别推荐|别(?!的)|不考虑|排除|除了|除去|不喜欢|不买|不看|拒绝|非(?!常))"
                  r"|(要|想要|只要|就要|喜欢|考虑|换成|来个|来一个)")
# A brand word right after a degree adverb is an adjective ("很美的" is not the brand 美的).
ADVERB_BEFORE = re.compile(r"[很好最真超挺太更蛮较]$")
CLAUSE = re.compile(r"[，,。.;；!！?？\n]|但是|但|不过")

COLOR_FAMILIES = "黑白红蓝绿粉紫灰银金黄橙棕青米咖"
COLOR_WORD = re.compile(rf"([{COLOR_FAMILIES}])(?:色|的|款)")

GENDER_WORDS = {
    "女": ["女朋友", "女友", "老婆", "媳妇", "妈妈", "母亲", "女儿", "闺蜜", "女生", "女士", "女款", "女性",
           "姐姐", "妹妹"],
    "男": ["男朋友", "男友", "老公", "爸爸", "父亲", "儿子", "男生", "男士", "男款", "男性", "哥哥", "弟弟"],
}
GIFT_TAG = "送礼"  # the catalog's selling point for presents, which a gift ask adds to the query
GIFT = re.compile(r"送礼|礼物|礼品|送给|送人|送[爸妈老女男长领客朋闺同哥姐弟妹孩侄外班]|给.{1,4}买|"
                  r"生日|母亲节|父亲节|情人节|七夕|教师节|圣诞|纪念日|见家长|乔迁|伴手礼")
# Who a present is for: with a budget that is enough to pick gifts ("送我妈，三百左右").
RECIPIENT = re.compile(r"爸妈|父母|爸爸|老爸|父亲|妈妈|老妈|母亲|爷爷|奶奶|外公|外婆|姥姥|姥爷|长辈|老人|"
                       r"老公|老婆|媳妇|女朋友|女友|男朋友|男友|对象|闺蜜|兄弟|哥们|朋友|同事|领导|老师|"
                       r"班主任|客户|孩子|儿子|女儿|宝宝|侄子|侄女|外甥|表弟|表妹|表哥|表姐|哥哥|弟弟|姐姐|"
                       r"妹妹|同学|室友|家长|[送给]我?[爸妈哥姐弟妹]")

# What shoppers say for a selling point (tag) the catalog uses.
TAG_SYNONYMS: dict[str, list[str]] = {
    "拍照": ["拍照好", "拍照", "摄影", "拍得好", "影像", "自拍"],
    "续航": ["续航", "电池耐用", "待机长", "耐用", "电池大"],
    "游戏": ["打游戏", "玩游戏", "游戏", "电竞", "吃鸡", "王者"],
    "轻薄": ["轻薄", "轻便", "轻巧", "便携", "薄"],
    "学生": ["学生", "学生党", "上学", "大学生", "上课"],
    "送礼": ["送礼", "礼物", "送人"],
    "降噪": ["降噪", "隔音", "安静"],
    "保湿": ["保湿", "补水", "滋润"],
    "防晒": ["防晒"],
    "办公": ["办公", "上班", "工作用"],
}


@dataclass
class ParsedQuery:
    """What a shopper asked for; fields the dialogue can merge with what it already knows."""

    text: str
    free_text: str = ""
    category: str | None = None
    brands: list[str] = field(default_factory=list)
    excluded_brands: list[str] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)
    excluded_colors: list[str] = field(default_factory=list)
    price_min: float | None = None
    price_max: float | None = None
    sort: str | None = None
    tags: list[str] = field(default_factory=list)
    excluded_tags: list[str] = field(default_factory=list)
    gender: str | None = None
    budget: str | None = None  # "low" / "high": no number given, only a wish
    relative_price: str | None = None  # "cheaper" / "pricier" than the results shown
    other_brand: bool = False  # "换个牌子": not the brands shown
    bigger: bool = False  # "大一点": bigger than the products shown
    min_size: float | None = None  # size/capacity above this (retrieval.sizes), when the shop has such
    need: str | None = None  # the category a described need maps to ("猫挑嘴" → 猫粮), no category said
    recipient: str | None = None  # who a present is for ("我妈")

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}

    def merge(self, previous: "ParsedQuery | None") -> "ParsedQuery":
        """Refine a previous query: new constraints win, a new category starts afresh."""
        if previous is None or (self.category and self.category != previous.category):
            return self
        merged = replace(previous, text=self.text, free_text=" ".join(
            t for t in (previous.free_text, self.free_text) if t))
        merged.other_brand, merged.bigger = self.other_brand, self.bigger
        for name in ("price_min", "price_max", "sort", "gender", "budget", "relative_price", "min_size",
                     "need", "recipient"):
            if getattr(self, name) is not None:
                setattr(merged, name, getattr(self, name))
        if self.brands:
            merged.brands = list(self.brands)
        if self.colors:
            merged.colors = list(self.colors)
        merged.excluded_brands = _union(previous.excluded_brands, self.excluded_brands)
        merged.excluded_colors = _union(previous.excluded_colors, self.excluded_colors)
        merged.brands = [b for b in merged.brands if b not in merged.excluded_brands]
        merged.tags = _union(previous.tags, self.tags)
        merged.excluded_tags = _union(previous.excluded_tags, self.excluded_tags)
        return merged

    def with_references(self, shown: Sequence[Any]) -> "ParsedQuery":
        """Turn refinements relative to the products already shown into constraints: 便宜点/贵一点
        into a price bound, 换个牌子 into excluded brands, 大一点 into a size floor. `shown` are
        catalog products (price, brand, attributes); with none shown, a price wish stays a wish."""
        query = replace(self, other_brand=False, bigger=False, relative_price=None)
        if self.other_brand and shown:
            query.excluded_brands = _union(self.excluded_brands, [p.brand for p in shown])
            query.brands = [b for b in self.brands if b not in query.excluded_brands]
        if self.bigger and shown:
            query.min_size = max(size_number(p.attributes) for p in shown)
        prices = [p.price for p in shown]
        if self.relative_price and not prices:
            query.budget = "low" if self.relative_price == "cheaper" else "high"
        elif self.relative_price == "cheaper":
            query.price_max, query.price_min = min(prices) - 0.01, None
        elif self.relative_price == "pricier":
            query.price_min, query.price_max = max(prices) + 0.01, None
        return query


def _union(a: list[str], b: list[str]) -> list[str]:
    return list(dict.fromkeys([*a, *b]))


@dataclass
class QueryVocabulary:
    """The catalog's words: surface form → canonical value, per kind."""

    categories: dict[str, str]
    brands: dict[str, str]
    colors: list[str]
    tags: list[str]
    needs: dict[str, str] = field(default_factory=dict)  # need cue → category (retrieval.needs)


class QueryParser:
    """Parses queries against one catalog vocabulary; build once per process."""

    def __init__(self, vocab: QueryVocabulary) -> None:
        import jieba
        import spacy

        self.vocab = vocab
        self.tag_words = {word: tag for tag in vocab.tags for word in [tag, *TAG_SYNONYMS.get(tag, [])]}
        surface = {"CATEGORY": vocab.categories, "BRAND": vocab.brands,
                   "TAG": self.tag_words, "COLOR": {c: c for c in vocab.colors}}
        self.surface = surface
        self.sounds = SoundIndex(vocab.categories)
        for kind in surface.values():
            for word in kind:
                if not word.isascii():
                    jieba.add_word(word, freq=2000)
        self.nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        ruler = self.nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        ruler.add_patterns([{"label": label, "pattern": word}
                            for label, words in surface.items() for word in words])

    def _entities(self, text: str) -> list[tuple[int, int, str, str]]:
        """(start, end, label, canonical) spans, non-overlapping, longest first."""
        doc = self.nlp(text)
        spans = [(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents]
        lowered = text.lower()
        # Words jieba glued to a neighbour ("买手机") never become tokens: scan for them.
        for label, words in self.surface.items():
            for word in words:
                start = lowered.find(word.lower())
                while start >= 0:
                    spans.append((start, start + len(word), label, text[start:start + len(word)]))
                    start = lowered.find(word.lower(), start + 1)
        taken: list[tuple[int, int, str, str]] = []
        for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
            if all(span[1] <= t[0] or span[0] >= t[1] for t in taken):
                taken.append(span)
        return sorted(taken)

    def _canonical(self, label: str, surface: str) -> str:
        table = self.surface[label]
        return table.get(surface) or next(v for k, v in table.items() if k.lower() == surface.lower())

    @staticmethod
    def _negated(text: str, start: int, label: str, spans: list, consumed: list) -> bool:
        """Is the word at `start` under a negation cue of its clause?

        The cue must not belong to a price phrase ("不要太贵"), and no word of another kind
        may stand between cue and word: in "不要苹果的耳机" only 苹果 is refused.
        """
        clause_start = max((m.end() for m in CLAUSE.finditer(text, 0, start)), default=0)
        cues = [m for m in CUES.finditer(text, clause_start, start)
                if not any(s <= m.start() < e for s, e in consumed)]
        if not cues or cues[-1].group(1) is None:
            return False
        cue_end = cues[-1].end()
        return not any(cue_end <= s_start < start and s_label != label
                       for s_start, _, s_label, _ in spans)

    def parse(self, text: str) -> ParsedQuery:
        query = ParsedQuery(text=text)
        consumed: list[tuple[int, int]] = []
        self._parse_price(text, query, consumed)
        for pattern, sort in SORT_PATTERNS:
            match = pattern.search(text)
            if match:
                query.sort = sort
                consumed.append(match.span())
                break
        for pattern, attr, value in ((CHEAPER, "relative_price", "cheaper"),
                                     (PRICIER, "relative_price", "pricier"),
                                     (BUDGET_LOW, "budget", "low"), (BUDGET_HIGH, "budget", "high")):
            match = pattern.search(text)
            if match and getattr(query, attr) is None and query.price_max is None and not query.sort:
                setattr(query, attr, value)
                consumed.append(match.span())
        # Kept in the free text: "大屏手机" still searches for 大屏.
        query.other_brand, query.bigger = bool(OTHER_BRAND.search(text)), bool(BIGGER.search(text))
        entities = self._entities(text)
        for start, end, label, surface in entities:
            value = self._canonical(label, surface)
            negated = self._negated(text, start, label, entities, consumed)
            if label == "CATEGORY" and not negated:
                query.category = query.category or value
            elif label == "BRAND":
                if ADVERB_BEFORE.search(text[:start]):
                    continue
                target = query.excluded_brands if negated else query.brands
                target.append(value)
            elif label == "COLOR":
                (query.excluded_colors if negated else query.colors).append(value)
            elif label == "TAG":
                (query.excluded_tags if negated else query.tags).append(value)
            if negated:
                consumed.append((start, end))
        for match in COLOR_WORD.finditer(text):
            family = match.group(1)
            if any(family in c for c in query.colors + query.excluded_colors):
                continue
            if any(start <= match.start() < end for start, end, _, _ in entities):
                continue  # part of another word: "小米的" is a brand, not 米色
            negated = self._negated(text, match.start(), "COLOR", entities, consumed)
            (query.excluded_colors if negated else query.colors).append(family)
        query.gender = next((g for g, words in GENDER_WORDS.items()
                             if any(w in text for w in words)), None)
        if GIFT.search(text) and GIFT_TAG in self.vocab.tags:
            query.tags.append(GIFT_TAG)
            recipient = RECIPIENT.search(text)
            query.recipient = recipient.group(0).lstrip("送给我") if recipient else None
        if not query.category:  # typed by sound: "篮牙耳鸡", "shouji"
            query.category = self.sounds.find(text)
        if not query.category:
            need = match_need(text, self.vocab.needs)
            query.need = need[0] if need else None
        for name in ("brands", "excluded_brands", "colors", "excluded_colors", "tags", "excluded_tags"):
            setattr(query, name, list(dict.fromkeys(getattr(query, name))))
        query.brands = [b for b in query.brands if b not in query.excluded_brands]
        query.free_text = _without(text, consumed)
        return query

    @staticmethod
    def _parse_price(text: str, query: ParsedQuery, consumed: list[tuple[int, int]]) -> None:
        for pattern, kind in PRICE_PATTERNS:
            match = pattern.search(text)
            if not match:
                continue
            amounts = [parse_amount(g) for g in match.groups() if g]
            if not amounts or any(a is None for a in amounts):
                continue
            if kind == "range":
                low, high = sorted(amounts[:2])
                # "两千到三千" = 2000–3000; "1-2k": a bare first number borrows the unit.
                if high >= 1000 and low < 10:
                    low *= magnitude(match.group(2))
                query.price_min, query.price_max = low, high
            elif kind == "more_than_round":
                base = amounts[0]
                if base < 10:
                    continue
                query.price_min, query.price_max = base, base + magnitude(match.group(1)) - 0.01
            elif kind == "max":
                query.price_max = amounts[0]
            elif kind == "min":
                query.price_min = amounts[0]
            else:
                query.price_min = round(amounts[0] * (1 - AROUND_BAND), 2)
                query.price_max = round(amounts[0] * (1 + AROUND_BAND), 2)
            if query.price_max is not None and query.price_max < 10:
                query.price_min = query.price_max = None  # "1个", "2代": not a price
                continue
            consumed.append(match.span())
            return


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    keep = [ch for i, ch in enumerate(text) if not any(s <= i < e for s, e in spans)]
    return re.sub(r"\s+", " ", "".join(keep)).strip(" ，,。")
