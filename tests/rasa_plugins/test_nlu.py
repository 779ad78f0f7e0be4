"""The served NLU pipeline through Rasa's own /model/parse: the entities staff see are the
words search used, ordinals and quantities arrive as numbers, FAQ answers come from the
intent classifier, and no component runs that the dialogue does not use."""
from __future__ import annotations

import tarfile

import httpx
import pytest

from core.services import make_searcher

pytestmark = pytest.mark.integration


def parse(stack, text: str) -> dict:
    reply = httpx.post(f"{stack.url()}/model/parse", json={"text": text},
                       params={"token": stack.settings.rasa_token}, timeout=30)
    reply.raise_for_status()
    return reply.json()


def values(result: dict, entity: str) -> list[str]:
    return [str(e["value"]) for e in result["entities"] if e["entity"] == entity]


@pytest.fixture(scope="module")
def searcher(built):
    return make_searcher(built)


@pytest.mark.parametrize("text", ["想买个拍照好的华为手机，三千以内", "推荐个黑色的蓝牙耳机", "iPhone 有白色的吗",
                                  "给女朋友买支口红", "戴森的吸尘器怎么样", "不要苹果的，要小米的平板电脑"])
def test_entities_are_what_search_parsed(stack, searcher, text):
    """Category, brand and colour entities carry the catalog values the retrieval parser found."""
    result, query = parse(stack, text), searcher.parse(text)
    if query.category:
        assert query.category in values(result, "category")
    for brand in query.brands + query.excluded_brands:
        assert brand in values(result, "brand")
    for color in query.colors:
        assert any(color in v or v in color for v in values(result, "color")), (color, result["entities"])


@pytest.mark.parametrize("text, ordinals, quantities", [
    ("第二个加入购物车", ["2"], []), ("最后一个详细说说", ["-1"], []), ("第1款和第3款哪个好", ["1", "3"], []),
    ("1和2比一下", ["1", "2"], []), ("第一个来两个", ["1"], ["2"]), ("买3件第二款", ["2"], ["3"]),
    ("给我来俩", [], ["2"]), ("来十个", [], ["10"]), ("最后一个我要了", ["-1"], []),
    ("这两个哪个好", [], []), ("推荐一部电视", [], []),
])
def test_ordinals_and_quantities_are_numbers(stack, text, ordinals, quantities):
    result = parse(stack, text)
    assert values(result, "ordinal") == ordinals
    assert values(result, "quantity") == quantities


def test_a_colour_said_alone(stack):
    """"有没有黑的" asks for a colour; "小米的" is still the brand."""
    assert [v[0] for v in values(parse(stack, "有没有黑的"), "color")] == ["黑"]
    result = parse(stack, "要小米的手机")
    assert values(result, "brand") == ["小米"] and values(result, "color") == []


def test_order_id_entity(stack):
    assert values(parse(stack, "帮我查下DD202608010017425937到哪了"), "order_id") == ["DD202608010017425937"]


def test_longest_word_wins(stack, searcher):
    """A laptop bag is a bag, not a laptop: one entity for the longest catalog word."""
    text = "想买个笔记本电脑包"
    categories = [e for e in parse(stack, text)["entities"] if e["entity"] == "category"]
    assert [(text[e["start"]:e["end"]], e["value"]) for e in categories] == [
        ("笔记本电脑包", searcher.parse(text).category)]


def test_faq_answer_comes_from_the_intent_classifier(stack):
    """Shipping and returns questions get their own answers; `utter_faq` reads this."""
    for text, key in (("满多少包邮啊", "faq/shipping"), ("东西不喜欢能退吗", "faq/returns")):
        result = parse(stack, text)
        assert result["intent"]["name"] == "faq"
        chosen = result["response_selector"]["faq"]["response"]
        assert chosen["intent_response_key"] == key
        assert chosen["utter_action"] == f"utter_{key}"
    assert stack.say("faq-sender-1", "怎么退货")[0]["text"].count("退") >= 1


def test_no_unused_component_is_served(stack):
    """The served model holds only the components README justifies (no DIET, TED, ResponseSelector)."""
    reply = httpx.get(f"{stack.url()}/status", params={"token": stack.settings.rasa_token}, timeout=30)
    reply.raise_for_status()
    model = stack.settings.path(stack.settings.models_dir) / reply.json()["model_file"]
    with tarfile.open(model) as archive:
        names = " ".join(archive.getnames())
    for unused in ("DIETClassifier", "TEDPolicy", "ResponseSelector", "CountVectorsFeaturizer"):
        assert unused not in names
    assert "LexiconEntityExtractor" in names and "TfidfE5IntentClassifier" in names


@pytest.mark.parametrize("text, stance", [
    ("买的保温杯两天就不保温了，太坑了", "negative"),
    ("酒店隔音很差，隔壁说话听得一清二楚", "negative"),
    ("这本书翻译得很流畅，一口气读完了，推荐", "positive"),
    ("耳机音质很棒，物流也快，满意", "positive"),
    ("不要太贵的耳机，别推荐苹果", "neutral"),  # negation words in a request are no complaint
    ("我的订单到哪了", "neutral"),
    ("，，，", "neutral"),  # punctuation alone carries no feeling
])
def test_every_parse_carries_the_shoppers_stance(stack, text, stance):
    sentiment = parse(stack, text)["sentiment"]
    assert sentiment["label"] == stance and 0.0 <= sentiment["confidence"] <= 1.0
    assert set(sentiment["scores"]) == {"negative", "neutral", "positive"}


@pytest.mark.parametrize("text", ["。。。", "，，，", "@#￥%……&", "……"])
def test_punctuation_alone_is_no_intent(stack, text):
    """A message of punctuation or symbols says nothing: it is no yes (at checkout neither), the
    fallback asks again."""
    assert parse(stack, text)["intent"]["name"] == "nlu_fallback"


def test_a_thumbs_up_still_reads_as_yes(stack):
    assert parse(stack, "👍")["intent"]["name"] == "affirm"
