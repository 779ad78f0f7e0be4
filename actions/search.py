"""action_search_products: a search or a refinement — unless the message is really a complaint
or praise that happens to name a product ("这本子散热一般，键盘烫手"): then the shopper is
heard first, and products wait until they ask for them."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ShopAction
from actions.finding import find_products, plan_search
from actions.listening import PRAISE_OVER_SEARCH, asks_for_products, empathise, feeling, thank_back


class ActionSearchProducts(ShopAction):
    def name(self) -> str:
        return "action_search_products"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        message = tracker.latest_message
        plan = plan_search(tracker)
        if asks_for_products(message.get("text") or "") or plan.gift:
            return find_products(dispatcher, tracker, plan)
        if feeling(message, PRAISE_OVER_SEARCH) == "positive":
            return thank_back(dispatcher)
        # A problem the shop can solve ("衣服太多，手洗洗得腰都断了") is a need, not a complaint.
        if feeling(message) == "negative" and plan.anchor != "need":
            return empathise(dispatcher, tracker)
        return find_products(dispatcher, tracker, plan)
