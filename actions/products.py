"""Questions about shown products: details of "第二个" / "这款", and comparisons."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ShopAction, product, referenced, shown
from actions.listening import heard
from actions.render import comparison_payload, comparison_text, detail_text, verdict
from actions.services import searcher
from core.cards import product_card, products_payload
from core.settings import get_settings
from store.db import session_scope
from store.history import record_event

NOTHING_SHOWN = "我们还没开始挑商品呢～先告诉我想买什么吧，比如“三千以内的拍照手机”。"


def find_by_name(tracker: Tracker):
    """A product named in the message but not in the list (e.g. "华为 Mate 60 怎么样")."""
    text = tracker.latest_message.get("text") or ""
    query = searcher().parse(text)
    if not (query.brands or query.category):
        return None
    results = searcher().search(query, k=1)
    return product(results[0].id) if results else None


class ActionProductDetail(ShopAction):
    def name(self) -> str:
        return "action_product_detail"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        ids = referenced(tracker, 1)
        item = product(ids[0]) if ids else find_by_name(tracker)
        if item is None:  # "这个本子散热一般": a review of something they own, not a question
            answered = heard(dispatcher, tracker)
            if answered is None:
                dispatcher.utter_message(text=NOTHING_SHOWN)
            return answered or []
        with session_scope(get_settings().db_url) as session:
            record_event(session, tracker.sender_id, item.id, "click")
        dispatcher.utter_message(text=detail_text(item),
                                 buttons=[{"title": "加入购物车", "payload": "把这款加入购物车"},
                                          {"title": "这个配什么", "payload": "这个配什么"}])
        dispatcher.utter_message(json_message=products_payload([product_card(item)]))
        return [SlotSet("focus_product", item.id)]


class ActionCompareProducts(ShopAction):
    def name(self) -> str:
        return "action_compare_products"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        ids = referenced(tracker, 2)
        if len(ids) < 2:
            listed, focus = shown(tracker), tracker.get_slot("focus_product")
            ids = list(dict.fromkeys([*ids, *([focus] if focus else []), *listed]))[:2]
        items = [item for item in map(product, ids) if item is not None]
        if len(items) < 2:
            dispatcher.utter_message(text="要对比的话，请先搜一下商品，然后告诉我比较哪两个，比如“第一个和第二个哪个好”。")
            return []
        dispatcher.utter_message(text=f"{comparison_text(items)}\n{verdict(items)}")
        dispatcher.utter_message(json_message=comparison_payload(items))
        return [SlotSet("focus_product", items[0].id)]
