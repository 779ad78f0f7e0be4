"""Query understanding: every price, negation and sort form shoppers type."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from retrieval.numbers import parse_amount
from retrieval.query import ParsedQuery, QueryParser, QueryVocabulary


@pytest.fixture(scope="module")
def parser() -> QueryParser:
    return QueryParser(QueryVocabulary(
        categories={"手机": "手机", "智能手机": "手机", "蓝牙耳机": "蓝牙耳机", "耳机": "蓝牙耳机",
                    "口红": "口红", "笔记本电脑": "笔记本电脑", "笔记本": "笔记本电脑",
                    "电视": "电视", "连衣裙": "连衣裙", "空调": "空调"},
        brands={"苹果": "苹果", "iPhone": "苹果", "Apple": "苹果", "华为": "华为", "小米": "小米",
                "Redmi": "小米", "三星": "三星", "美的": "美的", "迪奥": "迪奥"},
        colors=["黑色", "白色", "正红色", "豆沙色"],
        tags=["拍照", "续航", "送礼", "游戏", "学生"],
    ))


@pytest.mark.parametrize("text, low, high", [
    ("三千以内的手机", None, 3000), ("不超过800", None, 800), ("五百块以下", None, 500),
    ("预算5000", None, 5000), ("1500元以下的耳机", None, 1500), ("低于2k", None, 2000),
    ("两千到三千", 2000, 3000), ("1k-2k", 1000, 2000), ("1000~2000的", 1000, 2000),
    ("价格在3000和5000之间", 3000, 5000), ("一到两千", 1000, 2000),
    ("2000左右", 1700, 2300), ("三千上下", 2550, 3450), ("大概一千五", 1275, 1725),
    ("一千多", 1000, 1999.99), ("两千多的手机", 2000, 2999.99), ("三百多", 300, 399.99),
    ("5000以上", 5000, None), ("至少两千", 2000, None), ("1.5万以内", None, 15000),
])
def test_price_forms(parser, text, low, high):
    q = parser.parse(text)
    assert (q.price_min, q.price_max) == (low, high)


@pytest.mark.parametrize("text", ["iPhone 15 Pro", "12GB+256GB", "5G手机", "第2个", "买2个"])
def test_numbers_that_are_not_prices(parser, text):
    q = parser.parse(text)
    assert q.price_min is None and q.price_max is None


@pytest.mark.parametrize("text, value", [("三千五", 3500), ("两万", 20000), ("一万二", 12000),
                                         ("2W", 20000), ("800块", 800), ("十五", 15)])
def test_amounts(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text, sort", [
    ("最便宜的手机", "price_asc"), ("价格从低到高", "price_asc"), ("最贵的耳机", "price_desc"),
    ("销量最高的口红", "sales_desc"), ("卖得最好的", "sales_desc"), ("评价最好的电视", "rating_desc"),
    ("口碑最好的", "rating_desc"),
])
def test_sort_intents(parser, text, sort):
    q = parser.parse(text)
    assert q.sort == sort and q.budget is None


def test_negated_brand_keeps_the_category(parser):
    q = parser.parse("不要苹果的耳机")
    assert q.excluded_brands == ["苹果"] and q.brands == [] and q.category == "蓝牙耳机"


def test_negation_then_affirmation(parser):
    q = parser.parse("换个牌子，不要华为要小米")
    assert q.excluded_brands == ["华为"] and q.brands == ["小米"]


@pytest.mark.parametrize("text", ["除了黑色都行", "不要黑色的", "别给我黑的"])
def test_excluded_colour(parser, text):
    q = parser.parse(text)
    assert q.excluded_colors and "黑" in q.excluded_colors[0] and not q.colors


def test_colour_wanted(parser):
    assert parser.parse("要黑色的").colors == ["黑色"]
    assert parser.parse("有白的吗").colors == ["白"]


def test_not_too_expensive_is_a_budget_not_a_negated_category(parser):
    q = parser.parse("不要太贵的电视")
    assert q.budget == "low" and q.category == "电视" and q.price_max is None


@dataclass
class Shown:
    """A product on screen, as `with_references` reads it."""

    brand: str
    price: float
    attributes: dict = field(default_factory=dict)


SHOWN = [Shown("华为", 2999.0, {"存储": "8GB+256GB"}), Shown("小米", 3599.0, {"存储": "12GB+512GB"})]


def test_relative_price_uses_shown_results(parser):
    q = parser.parse("再便宜点")
    assert q.relative_price == "cheaper"
    bounded = q.with_references(SHOWN)
    assert bounded.price_max < 2999 and bounded.relative_price is None
    assert parser.parse("便宜点").with_references([]).budget == "low"
    assert parser.parse("贵一点的也行").with_references(SHOWN).price_min > 3599


def test_another_brand_excludes_every_brand_on_screen(parser):
    q = parser.parse("换个牌子看看").with_references(SHOWN)
    assert set(q.excluded_brands) == {"华为", "小米"} and not q.other_brand
    assert parser.parse("有没有别的品牌").with_references(SHOWN).excluded_brands
    assert parser.parse("要黑色的").with_references(SHOWN).excluded_brands == []


def test_bigger_means_above_the_largest_size_on_screen(parser):
    q = parser.parse("有没有大一点的").with_references(SHOWN)
    assert q.min_size == 512 and not q.bigger
    assert parser.parse("大一点的").with_references([]).min_size is None  # nothing shown: no floor
    assert parser.parse("要黑色的").with_references(SHOWN).min_size is None


def test_a_size_floor_survives_the_next_refinement(parser):
    sized = parser.parse("大一点的").with_references(SHOWN)
    then = parser.parse("要黑色的").merge(sized).with_references(SHOWN)
    assert then.min_size == 512 and "黑色" in "".join(then.colors)


def test_the_seed_query(parser):
    q = parser.parse("给女朋友买支口红，三百以内，不要太艳的")
    assert q.category == "口红" and q.price_max == 300 and q.gender == "女" and "送礼" in q.tags


def test_mixed_english_brand_alias(parser):
    q = parser.parse("iphone 有货吗")
    assert q.brands == ["苹果"]


def test_a_brand_ending_in_a_colour_character_is_not_a_colour(parser):
    """"小米的" is the brand 小米, not 米色."""
    q = parser.parse("不要苹果的，要小米的手机")
    assert q.brands == ["小米"] and q.colors == []


def test_adjective_is_not_a_brand(parser):
    assert parser.parse("很美的连衣裙").brands == []
    assert parser.parse("美的空调").brands == ["美的"]


def test_non_negations(parser):
    q = parser.parse("非常好看的黑色手机")
    assert q.colors == ["黑色"] and q.excluded_colors == [] and q.category == "手机"


def test_tags_from_colloquial_words(parser):
    q = parser.parse("想买个拍照好的手机，三千以内")
    assert q.tags == ["拍照"] and q.category == "手机" and q.price_max == 3000


def test_merge_refines_and_new_category_restarts(parser):
    first = parser.parse("三千以内的华为手机")
    refined = parser.parse("要黑色的").merge(first)
    assert refined.category == "手机" and refined.brands == ["华为"] and refined.colors == ["黑色"]
    assert refined.price_max == 3000
    other = parser.parse("不要华为的").merge(refined)
    assert other.brands == [] and other.excluded_brands == ["华为"]
    fresh = parser.parse("看看耳机").merge(refined)
    assert fresh.category == "蓝牙耳机" and fresh.brands == [] and fresh.price_max is None
    assert isinstance(fresh, ParsedQuery)
