"""Promotions, human handoff and the fallback that escalates after two misunderstandings."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ShopAction, category_in_view
from core.settings import get_settings
from store.db import session_scope
from store.pricing import promotions

NEGATIVE = ("太差", "投诉", "垃圾", "骗子", "坑人", "气死", "差评", "什么破", "烂透", "无语", "退钱")
HANDOFF_TEXT = "非常抱歉给您带来不便，正在为您转接人工客服，请稍候，客服马上就来～"


def promotion_line(p) -> str:
    when = f"{p.starts_at:%m月%d日}–{p.ends_at:%m月%d日}"
    code = f"（券码 {p.code}）" if p.code else ""
    return f"· {p.name}{code}：{p.description}（{when}）"


class ActionPromotions(ShopAction):
    def name(self) -> str:
        return "action_promotions"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        category = category_in_view(tracker)
        with session_scope(get_settings().db_url) as session:
            active, soon = promotions(session, category=category)
        scope = f"{category}相关的" if category else ""
        lines = []
        if active:
            lines.append(f"现在可用的{scope}优惠：")
            lines += [promotion_line(p) for p in active]
        if soon:
            lines.append("马上开始：")
            lines += [promotion_line(p) for p in soon]
        if not lines:
            lines.append(f"目前没有{scope}优惠活动，关注一下，有活动第一时间告诉你～")
        dispatcher.utter_message(text="\n".join(lines))
        return []


def handoff(dispatcher: CollectingDispatcher, reason: str) -> list[dict[str, Any]]:
    """Flag the conversation for staff: the console reads these slots."""
    dispatcher.utter_message(text=HANDOFF_TEXT)
    return [SlotSet("handoff_requested", True), SlotSet("handoff_reason", reason)]


class ActionHandoff(ShopAction):
    def name(self) -> str:
        return "action_handoff"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return handoff(dispatcher, "negative_sentiment" if intent == "complain" else "requested")


def fallbacks_in_a_row(tracker: Tracker) -> int:
    """How many of the shopper's latest messages in a row were not understood (this one included)."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != "nlu_fallback":
            break
        count += 1
    return count


class ActionHandleFallback(ShopAction):
    def name(self) -> str:
        return "action_handle_fallback"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        if any(word in text for word in NEGATIVE):
            return handoff(dispatcher, "negative_sentiment")
        if fallbacks_in_a_row(tracker) >= 2:
            return handoff(dispatcher, "repeated_fallback")
        dispatcher.utter_message(response="utter_default")
        return []
