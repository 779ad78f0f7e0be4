"""`shopbot eval judgement`: what the assistant did with a message, read from the real Rasa
server, and the issue-19 rates computed from it."""
from __future__ import annotations

import pytest

from core.judgement import (Report, Turn, behaviour_of, judge, load_stances, rasa_parser, rasa_speaker,
                            sentiment_report)

CARDS = [{"type": "products", "products": [{"id": "p1", "category": "猫粮"}]}]


def test_each_kind_of_reply_reads_as_the_behaviour_a_shopper_sees():
    assert behaviour_of(Turn(["为你找到这几款猫粮："], CARDS, {"action_search_products"})) == "search"
    # A fallback's apology asks again: it clarifies, it does not sympathise.
    assert behaviour_of(Turn(["抱歉，我没太明白您的意思。可以换个说法吗？"], [], {"utter_default"})) == "clarify"
    assert behaviour_of(Turn(["这个我可帮不上忙😅"], [], {"utter_out_of_scope"})) == "decline"
    assert behaviour_of(Turn(["非常抱歉给您带来不便，正在为您转接人工客服"], [], {"action_handoff"})) == "empathise"
    assert behaviour_of(Turn(["不客气～还有什么想买的随时告诉我。"], [], {"utter_thank"})) == "acknowledge"
    assert behaviour_of(Turn(["您好，我是导购小助手！"], [], {"utter_greet"})) == "other"
    # What the shopper saw decides, not which action spoke: the fallback action may empathise.
    assert behaviour_of(Turn(["非常抱歉让你有这样的体验。需要的话，我可以马上帮你转人工客服。"], [],
                             {"action_handle_fallback"})) == "empathise"
    assert behaviour_of(Turn(["我还不太确定你想找什么～能说说是哪一类商品吗？"], [],
                             {"action_search_products"})) == "clarify"


def test_sentiment_accuracy_counts_each_stance_against_the_gold_one(tmp_path):
    labelled = tmp_path / "stances.tsv"
    labelled.write_text("negative\t太差了\npositive\t很好用\nneutral\t有耳机吗\nneutral\t你好\n", encoding="utf-8")
    said = {"太差了": "negative", "很好用": "neutral", "有耳机吗": "neutral", "你好": "positive"}
    report = sentiment_report(load_stances(labelled), lambda text: {"sentiment": {"label": said[text]}})
    assert report.accuracy() == 0.5
    assert report.recall() == {"negative": 1.0, "neutral": 0.5, "positive": 0.0}
    assert "negative" in report.table()
    judged = tmp_path / "judge.jsonl"
    judged.write_text('{"text": "快递丢了", "kind": "complaint", "expect": "empathise"}\n'
                      '{"text": "赞", "kind": "praise", "expect": "acknowledge"}\n', encoding="utf-8")
    assert load_stances(judged) == [("negative", "快递丢了"), ("positive", "赞")]
    labelled.write_text("negative\t太差了\n\nangry\t气死了\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"stances.tsv:3: expected 'negative\|neutral\|positive<TAB>text'"):
        load_stances(labelled)  # the Rasa component reads the training set with the same function


def test_rates_count_unwanted_lists_met_complaints_and_found_needs():
    replies = {
        "快递怎么还没到": Turn(["为你找到这几款："], CARDS, set()),  # a list nobody wanted
        "太失望了": Turn(["非常抱歉给您带来不便"], [], {"action_handoff"}),
        "猫最近挑食": Turn(["为你找到这几款猫粮："], CARDS, set()),
        "狗狗吃啥好": Turn(["为你找到这几款："], [{"type": "products", "products": [{"category": "猫粮"}]}], set()),
    }
    items = [{"text": "快递怎么还没到", "kind": "complaint", "expect": "empathise"},
             {"text": "太失望了", "kind": "venting", "expect": "empathise"},
             {"text": "猫最近挑食", "kind": "need", "expect": "search", "category": "猫粮"},
             {"text": "狗狗吃啥好", "kind": "need", "expect": "search", "category": "狗粮"}]
    report = judge(items, lambda _sender, text: replies[text])
    assert report.rates() == {"wrong_product_lists": 0.5, "complaints_acknowledged": 0.5, "needs_found": 0.5}
    assert report.confusion["empathise"] == {"search": 1, "empathise": 1}
    assert [m["text"] for m in report.misses] == ["快递怎么还没到"]
    assert "empathise" in report.table() and isinstance(Report().rates()["needs_found"], float)


@pytest.mark.integration
def test_real_turns_are_read_from_the_reply_and_the_tracker(stack):
    say = rasa_speaker(stack.url(), stack.settings.api_token())
    search = say("judge-search", "想给家里的猫买点吃的，有啥推荐")
    assert behaviour_of(search) == "search" and "action_search_products" in search.names
    gibberish = say("judge-gibberish", "qwpz xkcv mnbt")
    assert behaviour_of(gibberish) == "clarify" and gibberish.names & {"utter_default", "action_handle_fallback",
                                                                         "action_default_fallback"}
    weather = say("judge-weather", "明天上海会下雨吗")
    assert behaviour_of(weather) in ("decline", "clarify") and not weather.cards()
    stance = rasa_parser(stack.url(), stack.settings.api_token())("快递丢了，太气人了")["sentiment"]
    assert stance["label"] == "negative"
