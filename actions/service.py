"""Promotions, policy answers (FAQ), complaints, human handoff, out-of-scope messages and the
fallback that escalates after two misunderstandings; the last two re-check a message against the
catalog first."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ShopAction, category_in_view
from actions.finding import NAMED, find_products, plan_search
from actions.listening import (HUMAN_BUTTON, PRAISE_OVER_SEARCH, earlier_user_messages, empathise, feeling,
                               handoff, heard, misunderstood_before, needs_a_human_now, thank_back)
from core.settings import get_settings
from store.db import session_scope
from store.pricing import promotions



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
        if feeling(tracker.latest_message) == "negative":  # "券用不了，耽误我半天": sorry first, a human on offer
            lines = ["非常抱歉给你添麻烦了。券用不了多半是没到满减门槛、商品不在活动范围，或券已用过；", *lines,
                     "如果还是用不了，我可以马上帮你转人工客服。"]
            dispatcher.utter_message(text="\n".join(lines), buttons=[HUMAN_BUTTON])
            return []
        dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionAnswerFaq(ShopAction):
    """A policy question (shipping, returns, payment, …): the answer the intent classifier picked
    (`utter_faq/<key>`). An upset shopper hears sorry first and is offered a human — handed over at
    once when angry or upset twice in a row; a delighted one is thanked first."""

    def name(self) -> str:
        return "action_answer_faq"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        message = tracker.latest_message
        picked = ((message.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        if feeling(message) == "negative":
            texts = [r["text"] for r in picked.get("responses") or [] if r.get("text")]
            answer = texts[0] if texts else "这个问题我请人工客服帮你看看。"
            if needs_a_human_now(tracker):
                dispatcher.utter_message(text=f"非常抱歉给你添麻烦了。{answer}")
                return handoff(dispatcher, "negative_sentiment",
                               "这件事我马上请人工客服来跟进，请稍等一下，客服马上就到。")
            dispatcher.utter_message(text=f"非常抱歉给你添麻烦了，规则是这样的：\n{answer}\n"
                                          "如果还是没解决，我可以马上帮你转人工客服。", buttons=[HUMAN_BUTTON])
            return []
        if feeling(message, PRAISE_OVER_SEARCH) == "positive":
            thank_back(dispatcher)
        dispatcher.utter_message(response=picked.get("utter_action") or "utter_default")
        return []


class ActionHandoff(ShopAction):
    def name(self) -> str:
        return "action_handoff"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        """A human on request; "negative_sentiment" when the shopper is upset now or just was
        (the offer after a complaint taken up)."""
        recent = [tracker.latest_message, *earlier_user_messages(tracker)[:2]]
        upset = any(feeling(m) == "negative" or (m.get("intent") or {}).get("name") == "complain" for m in recent)
        return handoff(dispatcher, "negative_sentiment" if upset else "requested")


class ActionEmpathise(ShopAction):
    """A complaint: empathy and the help that fits — or thanks, when the "complaint" is praise."""

    def name(self) -> str:
        return "action_empathise"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        if feeling(tracker.latest_message) == "positive":
            return thank_back(dispatcher)
        return empathise(dispatcher, tracker)


def heard_or_found(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """Before giving up on a message: feelings are answered, and a message that names something
    the shop sells (a category, brand, need or product line) is searched. None: neither."""
    answered = heard(dispatcher, tracker)
    if answered is not None:
        return answered
    plan = plan_search(tracker)
    if plan.anchor in NAMED or plan.gift:
        return find_products(dispatcher, tracker, plan)
    return None


class ActionOutOfScope(ShopAction):
    def name(self) -> str:
        return "action_out_of_scope"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        answered = heard_or_found(dispatcher, tracker)
        if answered is None:
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        return answered


class ActionHandleFallback(ShopAction):
    def name(self) -> str:
        return "action_handle_fallback"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        answered = heard_or_found(dispatcher, tracker)
        if answered is not None:
            return answered
        if misunderstood_before(tracker) >= 1:
            return handoff(dispatcher, "repeated_fallback")
        dispatcher.utter_message(response="utter_default")
        return []
