"""Judgement on shopper text through the real Rasa server and action server: venting and praise
are heard instead of answered with products, needs and typos find their category, a present
gets a question back, and messages naming nothing the shop sells are never listed."""
from __future__ import annotations

import pytest

from store.catalog import products_by_id
from store.db import session_scope
from tests.support.chat import buttons_of, new_sender, payloads_of, products_of, texts_of

pytestmark = pytest.mark.integration


def cards(reply: list[dict]) -> list[dict]:
    return [p for payload in payloads_of(reply, "products") for p in payload["products"]]


def test_venting_about_a_product_is_met_with_empathy_not_products(stack):
    shopper = new_sender("vent")
    reply = stack.say(shopper, "这台吹风机用了一周就有股焦味，挺失望的")
    assert not cards(reply)
    text = "\n".join(texts_of(reply))
    assert "抱歉" in text and "人工客服" in text and "转人工客服" in buttons_of(reply)
    assert not stack.tracker(shopper)["slots"].get("handoff_requested")  # offered, not forced


def test_a_delivery_complaint_offers_order_help_and_a_human_who_is_flagged_as_upset(stack):
    shopper = new_sender("late")
    reply = stack.say(shopper, "下单一个星期了包裹还没到，物流一直不更新，怎么回事啊")
    assert not cards(reply) and any("抱歉" in t or "不好意思" in t for t in texts_of(reply))
    assert "查订单" in buttons_of(reply) or any("订单号" in t for t in texts_of(reply))
    stack.say(shopper, "转人工")
    slots = stack.tracker(shopper)["slots"]
    assert slots["handoff_requested"] is True and slots["handoff_reason"] == "negative_sentiment"


def test_praise_gets_a_warm_reply_not_a_list_or_a_complaint_handling(stack):
    shopper = new_sender("praise")
    reply = stack.say(shopper, "上次买的扫地机器人超好用，家里干净多了，好评！")
    assert not cards(reply)
    text = "\n".join(texts_of(reply))
    assert "谢谢" in text and "抱歉" not in text
    assert not stack.tracker(shopper)["slots"].get("handoff_requested")


@pytest.mark.parametrize("text, category", [
    ("养的柯基最近胃口不好，换点啥给它吃", "狗粮"),
    ("狗狗吃什么好", "狗粮"),  # was out of scope
    ("梅雨天衣服总是晾不干，有没有办法", "洗衣机"),
    ("想买个篮牙耳鸡", "蓝牙耳机"),  # typed by sound
])
def test_needs_and_typos_without_a_category_word_find_their_category(stack, text, category):
    reply = stack.say(new_sender("need"), text)
    found = products_of(reply)
    assert found and all(p["category"] == category for p in found)


def test_gibberish_that_looks_like_a_search_is_asked_about_and_twice_goes_to_a_human(stack):
    shopper = new_sender("mash")
    first = stack.say(shopper, "sdfkj qwpeo zmxn")
    assert not cards(first) and texts_of(first)
    assert not stack.tracker(shopper)["slots"].get("handoff_requested")
    second = stack.say(shopper, "zmxn qwpeo lkjh")
    assert not cards(second) and any("人工客服" in t for t in texts_of(second))
    slots = stack.tracker(shopper)["slots"]
    assert slots["handoff_requested"] is True and slots["handoff_reason"] == "repeated_fallback"


def test_a_present_for_nobody_in_particular_asks_who_and_how_much_then_lists_gifts(stack, built):
    shopper = new_sender("gift")
    ask = stack.say(shopper, "想买个礼物送人，帮我看看")
    assert not cards(ask) and any("送给谁" in t for t in texts_of(ask))
    choice = next(b for b in buttons_of(ask) if "500" in b)
    found = products_of(stack.say(shopper, choice))
    with session_scope(built.db_url) as session:
        facts = products_by_id(session, [p["id"] for p in found])
    assert found and all(p["price"] <= 500 and "送礼" in facts[p["id"]].tags for p in found)


def test_an_anonymous_shopper_upset_about_a_parcel_is_apologised_to_before_being_asked_to_log_in(stack):
    from core.identity import ANONYMOUS_PREFIX

    reply = texts_of(stack.say(new_sender(ANONYMOUS_PREFIX + "parcel"), "快递都一周了还没到，太慢了吧"))
    text = "\n".join(reply)
    assert ("不好意思" in text or "抱歉" in text) and "登录" in text


def test_a_policy_question_asked_in_anger_is_answered_with_sorry_first(stack):
    """A plain policy question gets the policy; the same question from an upset shopper gets an
    apology, the policy and a human offered; upset again, they are handed to staff."""
    calm = texts_of(stack.say(new_sender("faq-calm"), "收到不合适可以退吗"))
    assert calm and "7天" in calm[0] and not any("抱歉" in t for t in calm)
    shopper = new_sender("faq-upset")
    reply = stack.say(shopper, "明明是你们发错了货，退货运费凭什么要我出")
    text = "\n".join(texts_of(reply))
    assert text.index("抱歉") < text.index("运费") and "转人工客服" in buttons_of(reply), text
    assert not stack.tracker(shopper)["slots"].get("handoff_requested")
    stack.say(shopper, "发票申请了三次都没开出来，到底有没有人管")
    slots = stack.tracker(shopper)["slots"]
    assert slots["handoff_requested"] is True and slots["handoff_reason"] == "negative_sentiment"


def test_a_review_of_something_they_own_is_heard_not_met_with_nothing_shown(stack):
    """"这个本子…" with no list on screen reads as a question about a product shown; when it is a
    complaint about one they own, the shopper gets empathy instead of "we have not started"."""
    reply = stack.say(new_sender("owned"), "这个本子散热一般，玩会儿游戏键盘就烫手")
    text = "\n".join(texts_of(reply))
    assert "抱歉" in text and "还没开始挑商品" not in text and not cards(reply), text


def test_a_coupon_that_will_not_work_gets_sorry_the_offers_and_a_human(stack):
    reply = stack.say(new_sender("coupon"), "优惠券明明没过期，结算的时候就是用不了，耽误我半天")
    text = "\n".join(texts_of(reply))
    assert text.startswith("非常抱歉") and "优惠" in text and "转人工客服" in buttons_of(reply), text
    calm = "\n".join(texts_of(stack.say(new_sender("coupon-calm"), "最近有什么优惠活动吗")))
    assert "优惠" in calm and "抱歉" not in calm, calm


def test_symbols_alone_are_asked_about_not_agreed_with(stack):
    reply = texts_of(stack.say(new_sender("symbols"), "@#￥%……&"))
    assert reply and "没太明白" in reply[0] and "好的" not in reply[0], reply
