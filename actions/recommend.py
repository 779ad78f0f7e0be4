""""有什么适合我的" (personal recommendations with reasons) and "这个配什么" (complements)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ShopAction, category_in_view, product, referenced
from actions.render import show_products
from actions.services import personaliser
from core.settings import get_settings


class ActionRecommend(ShopAction):
    def name(self) -> str:
        return "action_recommend"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        category = category_in_view(tracker)
        picks = personaliser().recommend(tracker.sender_id, k=get_settings().search_k, category=category)
        if not picks:
            dispatcher.utter_message(text="暂时没有合适的推荐，告诉我想买什么，我帮你搜搜看？")
            return []
        items = [product(p.item) for p in picks]
        personal = any(p.source != "trending" for p in picks)
        intro = ("看了你刚才逛的，接下来可以看看这些：" if any(p.source == "session" for p in picks)
                 else "根据你的浏览和购买记录，给你挑了这些：" if personal else "这些是最近大家都在买的热门好物：")
        show_products(dispatcher, intro, items, [p.reason for p in picks], [p.score for p in picks])
        return [SlotSet("shown_products", [p.item for p in picks])]


class ActionBundle(ShopAction):
    def name(self) -> str:
        return "action_bundle"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        ids = referenced(tracker, 1)
        if not ids:
            dispatcher.utter_message(text="想给哪件商品找搭配？先选一款，比如“第一个配什么”。")
            return []
        base = product(ids[0])
        picks = personaliser().complements(base.id, user_id=tracker.sender_id)
        if not picks:
            dispatcher.utter_message(text=f"{base.title} 暂时没有常见的搭配推荐，它本身就很能打～")
            return [SlotSet("focus_product", base.id)]
        items = [product(p.item) for p in picks]
        show_products(dispatcher, f"和 {base.title} 搭配，买过的顾客常选：", items,
                      [p.reason for p in picks], [p.score for p in picks])
        return [SlotSet("shown_products", [p.item for p in picks]), SlotSet("focus_product", base.id)]
