"""action_search_products: find products for the shopper's message and show them as cards."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import personaliser, searcher
from bot.settings import get_settings


def product_payload(results) -> dict[str, Any]:
    """The `products` payload contract the widget and tests rely on."""
    return {
        "type": "products",
        "products": [
            {"id": r.id, "title": r.title, "brand": r.brand, "category": r.category,
             "price": r.price, "list_price": r.list_price, "color": r.color,
             "rating": r.rating, "image": f"/images/{r.id}.svg", "score": r.score,
             "reason": getattr(r, "reason", "")}
            for r in results
        ],
    }


class ActionSearchProducts(Action):
    def name(self) -> str:
        return "action_search_products"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        settings = get_settings()
        query = searcher().parse(text)
        if query.sort:  # the shopper asked for an order (cheapest first …): keep it
            results = searcher().search(query, k=settings.search_k)
        else:
            pool = searcher().search(query, k=settings.rerank_pool)
            results = personaliser().personalise(pool, tracker.sender_id, settings.search_k)
        if not results:
            dispatcher.utter_message(text="抱歉，暂时没有找到合适的商品，换个说法试试？比如“想买蓝牙耳机”。")
        else:
            category = results[0].category
            same = all(r.category == category for r in results)
            what = category if same else "商品"
            dispatcher.utter_message(text=f"为你找到这几款{what}，看看有没有喜欢的：")
            dispatcher.utter_message(json_message=product_payload(results))
        return [SlotSet("turn_status", "done")]
