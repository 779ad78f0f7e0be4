"""Listening before selling, turn by turn: empathy with the help that fits, when a complaint
goes to a human at once, thanks for praise, and which turns count as misunderstood."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.listening import (asks_for_products, empathise, feeling, misunderstood_before, thank_back)


def parsed(text: str, intent: str = "complain", stance: str = "negative", confidence: float = 0.9) -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": 0.9},
            "sentiment": {"label": stance, "confidence": confidence}}


def tracker(*messages: dict, slots_after: dict[int, dict] | None = None) -> Tracker:
    """A conversation of these shopper messages; `slots_after[n]` = slots an action set after message n."""
    events = []
    for n, message in enumerate(messages):
        events.append({"event": "user", "text": message["text"], "parse_data": message})
        for name, value in (slots_after or {}).get(n, {}).items():
            events.append({"event": "slot", "name": name, "value": value})
    return Tracker("shopper-1", {}, messages[-1], events, False, None, {}, "action_listen")


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def buttons(dispatcher: CollectingDispatcher) -> list[str]:
    return [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []]


def test_an_unsure_stance_counts_as_neutral():
    assert feeling(parsed("还行吧", stance="negative", confidence=0.42)) == "neutral"
    assert feeling(parsed("太失望了", stance="negative", confidence=0.9)) == "negative"
    assert feeling({"text": "你好"}) == "neutral"  # a model without sentiment


@pytest.mark.parametrize("text, help_word, button", [
    ("快递五天了还在路上，一点动静都没有", "物流", "查订单"),
    ("杯子收到就漏水，盖子是裂的", "退", "怎么退换货"),
    ("客服半天不回消息", "客服主管", "转人工客服"),
])
def test_a_complaint_gets_empathy_then_the_help_that_fits_then_a_human_offered(text, help_word, button):
    dispatcher = CollectingDispatcher()
    events = empathise(dispatcher, tracker(parsed(text)))
    reply = said(dispatcher)
    assert reply.startswith("非常抱歉") and help_word in reply and "人工客服" in reply
    assert button in buttons(dispatcher) and "转人工客服" in buttons(dispatcher)
    assert events == []  # offered, not forced: no handoff yet


@pytest.mark.parametrize("messages", [
    [parsed("什么垃圾东西，我要投诉")],  # anger
    [parsed("东西坏了，太失望了"), parsed("到现在也没人管")],  # the second complaint in a row
])
def test_anger_or_a_second_complaint_goes_to_a_human_at_once(messages):
    dispatcher = CollectingDispatcher()
    events = empathise(dispatcher, tracker(*messages))
    slots = {e["name"]: e["value"] for e in events}
    assert slots == {"handoff_requested": True, "handoff_reason": "negative_sentiment"}
    assert "抱歉" in said(dispatcher) and "人工客服" in said(dispatcher)


def test_praise_gets_the_shops_warm_reply():
    dispatcher = CollectingDispatcher()
    assert thank_back(dispatcher) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_praise"]


@pytest.mark.parametrize("text, asks", [
    ("耳机坏了，再推荐个好点的", True), ("想换个新的", True), ("有没有不漏水的杯子", True),
    ("键盘手感很肉，不推荐", False), ("谢谢亲的推荐，面霜很好用", False), ("这质量也好意思卖？", False),
])
def test_a_request_among_feelings_is_told_apart_from_a_review(text, asks):
    assert asks_for_products(text) is asks


def test_fallbacks_and_clarifying_questions_in_a_row_count_as_misunderstood():
    fallback = {"text": "qwpz", "intent": {"name": "nlu_fallback"}}
    search = {"text": "asdf", "intent": {"name": "search_product"}}
    hello = {"text": "你好", "intent": {"name": "greet"}}
    assert misunderstood_before(tracker(fallback)) == 0  # the latest message is not counted
    assert misunderstood_before(tracker(fallback, hello)) == 1
    # A search the bot had to ask about (no anchor) counts like a fallback.
    assert misunderstood_before(tracker(search, hello)) == 0
    assert misunderstood_before(tracker(search, hello, slots_after={0: {"clarified": True}})) == 1
    assert misunderstood_before(tracker(fallback, search, hello, slots_after={1: {"clarified": True}})) == 2
    # An understood turn in between resets the count.
    assert misunderstood_before(tracker(fallback, hello, hello)) == 0
