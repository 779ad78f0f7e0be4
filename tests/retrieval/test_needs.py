"""Needs without a category word, sound-alike typos and the anchor a product list needs:
what lets "家里的猫挑食" find cat food, "篮牙耳鸡" earphones, and venting or gibberish none."""
from __future__ import annotations

import pytest

from core.services import make_searcher
from retrieval.needs import match_need, need_cues, read_table
from retrieval.sounds import SoundIndex

TABLE = {"猫粮": ("猫咪", "猫"), "吸尘器": ("猫毛", "全是毛", "螨虫"), "香炉": ("焚香",)}


def test_the_longest_cues_win_and_unsold_categories_are_ignored():
    cues = need_cues({"猫粮", "吸尘器"}, TABLE)
    assert "焚香" not in cues  # the shop sells no 香炉
    assert match_need("猫咪最近挑食", cues) == ("猫粮", "猫咪")
    # Cat food is the subject, the hair on the sofa is the need.
    assert match_need("家里养了猫，沙发上全是毛", cues) == ("吸尘器", "全是毛")
    assert match_need("今天天气不错", cues) is None


def test_the_reviewed_table_names_only_shop_categories_and_no_cue_twice(built):
    from core.services import read_catalog

    products, _ = read_catalog(built)
    sold = {p.category for p in products}
    table = read_table()
    assert set(table) <= sold
    words = [w for cues in table.values() for w in cues]
    assert len(words) == len(set(words))


@pytest.fixture(scope="module")
def sounds() -> SoundIndex:
    return SoundIndex({"蓝牙耳机": "蓝牙耳机", "耳机": "蓝牙耳机", "吹风机": "吹风机", "纸尿裤": "纸尿裤",
                       "手机": "手机", "羽绒服": "羽绒服", "杯子": "保温杯"})


@pytest.mark.parametrize("text, category", [
    ("想买个篮牙耳鸡", "蓝牙耳机"), ("吹风鸡要大风力的", "吹风机"), ("纸尿库L码", "纸尿裤"),
    ("shouji tuijian yixia", "手机"), ("yurongfu 长款", "羽绒服"), ("wo xiang mai erji", "蓝牙耳机"),
])
def test_words_typed_by_sound_are_found(sounds, text, category):
    assert sounds.find(text) == category


@pytest.mark.parametrize("text", ["被子太薄了", "我今天很开心", "ok thanks", "hi", "谢谢你们"])
def test_ordinary_text_sounds_like_no_product(sounds, text):
    # 被子 (quilt) sounds like 杯子 (cup): two-syllable homophones are left alone.
    assert sounds.find(text) is None


@pytest.fixture(scope="module")
def searcher(built):
    return make_searcher(built)


@pytest.mark.parametrize("text, category", [
    ("养了只布偶，最近挑嘴不爱吃", "猫粮"), ("梅雨天衣服老是晾不干", "洗衣机"),
    ("宝宝红屁股了，想换个透气的", "纸尿裤"), ("想买个篮牙耳鸡", "蓝牙耳机"),
    ("有没有 noise cancelling 的 headphones", "蓝牙耳机"), ("想要个thermos，500ml左右", "保温杯"),
])
def test_needs_typos_and_english_words_search_their_category(searcher, text, category):
    query = searcher.parse(text)
    assert searcher.anchor(query) is not None
    results = searcher.search(query, k=5)
    assert results and all(r.category == category for r in results)


@pytest.mark.parametrize("text", ["asdfghjkl", "唉，心累", "想买点东西但不知道买啥", "哈哈哈哈", "明天会下雨吗",
                                  "帮我挑个礼物", "要送长辈"])
def test_messages_that_name_nothing_the_shop_sells_have_no_anchor(searcher, text):
    assert searcher.anchor(searcher.parse(text)) is None


def test_a_present_for_someone_within_a_budget_is_anchored_to_the_shops_gifts(searcher):
    query = searcher.parse("送我妈的生日礼物，三百以内")
    assert query.recipient == "妈" and searcher.anchor(query) == "gift"
    results = searcher.search(query, k=5)
    assert results and all(r.price <= 300 for r in results)
    tagged = {p.id for p in searcher.rows if "送礼" in p.tags}
    assert {r.id for r in results} <= tagged
