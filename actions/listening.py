"""Listening before selling: how the shopper feels (the NLU's sentiment), empathy and the
relevant help for a complaint, thanks for praise, a short question when a message names
nothing the shop sells, the handoff to staff, and the count of misunderstood turns behind
"two in a row → a human"."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

FEELING_FLOOR = 0.5  # below this the stance is too unsure to change what the bot does
# Praise that names a product ("面霜用着很好") must be clear praise before it outweighs the
# search the intent classifier saw: needs and gift asks often sound cheerful.
PRAISE_OVER_SEARCH = 0.8
# A request among the feelings ("耳机坏了，再推荐个好点的"): then the shopper still wants products.
REQUEST = re.compile(r"想买|想要|要买|想换|要换|换个|换一|(?<![不的])推荐|有没有.{0,12}(?:的|吗|么)|有啥|有什么|"
                     r"什么好|啥好|哪个好|哪款|求|帮我找|找一?[个款件]|来[个一]|买[个点]|怎么选|选[个哪]|挑[个一]|"
                     r"[送给].{0,6}(?:礼物|礼品)|想送|要送")
# Anger, threats and demands a human should take at once.
ANGRY = re.compile(r"投诉|骗子|骗人|12315|消协|报警|曝光|退钱|垃圾|气死|坑人|什么破|烂透|差评|再也不|太差|"
                   r"无良|黑店")
DELIVERY = re.compile(r"快递|物流|发货|到货|没收到|还没到|没到|配送|派送|送到|签收|丢件|包裹|运输")
QUALITY = re.compile(r"坏|破|质量|假货|瑕疵|不能用|故障|没法用|用不了|漏|裂|掉色|起球|过期|变质|异味|划痕|残次|"
                     r"退货|换货|退款")
SERVICE = re.compile(r"客服|态度|没人理|不理人|回复|回消息|敷衍|答非所问|听不懂|机器人")

HANDOFF_TEXT = "非常抱歉给您带来不便，正在为您转接人工客服，请稍候，客服马上就来～"
HUMAN_BUTTON = {"title": "转人工客服", "payload": "转人工"}


def feeling(message: dict[str, Any], floor: float = FEELING_FLOOR) -> str:
    """"negative", "positive" or "neutral" for a parsed message (neutral when unsure)."""
    sentiment = message.get("sentiment") or {}
    label = sentiment.get("label", "neutral")
    return label if float(sentiment.get("confidence") or 0.0) >= floor else "neutral"


def asks_for_products(text: str) -> bool:
    return bool(REQUEST.search(text))


def handoff(dispatcher: CollectingDispatcher, reason: str, text: str = HANDOFF_TEXT) -> list[dict[str, Any]]:
    """Flag the conversation for staff: the console reads these slots."""
    dispatcher.utter_message(text=text)
    return [SlotSet("handoff_requested", True), SlotSet("handoff_reason", reason)]


def earlier_user_messages(tracker: Tracker) -> list[dict[str, Any]]:
    """Parse data of the shopper's messages before the latest one, newest first."""
    users = [e.get("parse_data") or {} for e in tracker.events if e.get("event") == "user"]
    return users[-2::-1]


def needs_a_human_now(tracker: Tracker) -> bool:
    """An upset shopper who is angry, or was upset in their message before too."""
    earlier = earlier_user_messages(tracker)
    return bool(ANGRY.search(tracker.latest_message.get("text") or "")
                or earlier and feeling(earlier[0]) == "negative")


def empathise(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Empathy first, then the help that fits what went wrong (order status, returns), then the
    offer of a human; anger or a second complaint in a row goes to a human at once."""
    text = tracker.latest_message.get("text") or ""
    if needs_a_human_now(tracker):
        return handoff(dispatcher, "negative_sentiment",
                       "真的很抱歉让你这么糟心，这件事我马上请人工客服来处理，请稍等一下，客服马上就到。")
    buttons = [HUMAN_BUTTON]
    if DELIVERY.search(text):
        help_text = ("物流的事我来帮你盯：说“查订单”或直接发订单号（DD 开头那串），我马上查到了哪一步；"
                     "超时没到的可以申请催件或赔付。")
        buttons.insert(0, {"title": "查订单", "payload": "我的订单到哪了"})
    elif QUALITY.search(text):
        help_text = ("商品有问题可以退换：签收 7 天内无理由退货，质量问题 15 天内包换、运费由我们承担，"
                     "在“我的订单”里点“申请售后”就行。")
        buttons.insert(0, {"title": "怎么退换货", "payload": "怎么退货"})
    elif SERVICE.search(text):
        help_text = "让你久等、没被好好对待，是我们做得不好，你的意见我会原样反馈给客服主管。"
    else:
        help_text = "谢谢你愿意说出来，你的反馈我会转给相关同事改进。"
    dispatcher.utter_message(text=f"非常抱歉让你有这样的体验，换作是我也会不开心。\n{help_text}\n"
                                  "需要的话，我可以马上帮你转人工客服。", buttons=buttons)
    return []


def heard(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """Feelings answered before anything else: empathy for an upset shopper, thanks for praise;
    None for a neutral message."""
    stance = feeling(tracker.latest_message)
    if stance == "negative":
        return empathise(dispatcher, tracker)
    if stance == "positive":
        return thank_back(dispatcher)
    return None


def thank_back(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """A warm reply to praise (the shop's text: `utter_praise`)."""
    dispatcher.utter_message(response="utter_praise")
    return []


def misunderstood_before(tracker: Tracker) -> int:
    """How many of the shopper's messages in a row, before the latest one, the bot did not
    understand: the NLU fell back, or an action had to ask what was meant (`clarified`)."""
    count, clarified, latest_seen = 0, False, False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "clarified" and event.get("value"):
            clarified = True
        elif kind == "user":
            if not latest_seen:
                latest_seen, clarified = True, False
                continue
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent != "nlu_fallback" and not clarified:
                break
            count, clarified = count + 1, False
    return count


def ask_what_they_mean(dispatcher: CollectingDispatcher, tracker: Tracker, text: str,
                       buttons: list[dict[str, str]]) -> list[dict[str, Any]]:
    """A turn the bot could not act on: ask (counted as misunderstood), or after one such turn
    already, bring in a human."""
    if misunderstood_before(tracker) >= 1:
        return handoff(dispatcher, "repeated_fallback")
    dispatcher.utter_message(text=text, buttons=buttons)
    return [SlotSet("clarified", True)]
