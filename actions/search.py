"""action_search_products: a new search or a refinement of the current one ("要黑色的",
"再便宜点", "换个牌子", "不要苹果的"), shown as numbered text plus product cards."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ShopAction, catalog_facts, previous_query, shown
from actions.metrics import SEARCH_SECONDS
from actions.render import show_products
from actions.services import personaliser, searcher
from core.cards import yuan
from core.settings import get_settings
from retrieval.query import ParsedQuery

REFINE_BUTTONS = ("再便宜点", "换个牌子", "第一个详细介绍一下")


def describe(q: ParsedQuery) -> str:
    """"华为 黑色 手机（¥3000 以内）" — what the shopper is now looking at."""
    parts = [*q.brands, *q.colors, *(["女款"] if q.gender == "女" else ["男款"] if q.gender == "男" else []),
             q.category or "商品"]
    limits = []
    if q.price_min is not None and q.price_max is not None:
        limits.append(f"{yuan(q.price_min)}–{yuan(q.price_max)}")
    elif q.price_max is not None:
        limits.append(f"{yuan(q.price_max)} 以内")
    elif q.price_min is not None:
        limits.append(f"{yuan(q.price_min)} 以上")
    if q.excluded_brands:
        limits.append("不要" + "、".join(q.excluded_brands))
    if q.excluded_colors:
        limits.append("不要" + "、".join(q.excluded_colors))
    return " ".join(parts) + (f"（{'，'.join(limits)}）" if limits else "")


class ActionSearchProducts(ShopAction):
    def name(self) -> str:
        return "action_search_products"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        settings, search = get_settings(), searcher()
        parsed = search.parse(text)
        previous = previous_query(tracker)
        refining = previous is not None and (intent == "refine_search" or not parsed.category
                                             or parsed.category == previous.category)
        query = parsed.merge(previous) if refining else parsed
        # 便宜点 / 换个牌子 / 大一点 are relative to what is on screen: retrieval makes them constraints.
        listed = list(catalog_facts(shown(tracker)).values()) if refining else []
        query = query.with_references(listed)
        if refining:  # the topic stays; what changed is in the structured constraints
            query.free_text = previous.free_text or previous.text
        with SEARCH_SECONDS.time():
            pool = search.search(query, k=settings.rerank_pool, require_colors=True)
        if query.sort:
            results = pool[: settings.search_k]
        else:
            results = personaliser().personalise(pool, tracker.sender_id, settings.search_k)
        # Only what the shopper asked for: unset fields come back as ParsedQuery's defaults.
        events = [SlotSet("search_query", {k: v for k, v in query.as_dict().items()
                                           if k == "text" or (v not in (None, "", []) and v is not False)})]
        if not results:
            dispatcher.utter_message(text=f"抱歉，没有找到符合条件的{describe(query)}。"
                                          "要不放宽一点条件，比如换个颜色或提高预算？")
            return events
        show_products(dispatcher, f"为你找到这几款{describe(query)}：", results, [r.reason for r in results],
                      [r.score for r in results], outro="想看哪一款的详情，或者要加入购物车，告诉我序号就行～",
                      buttons=[{"title": b, "payload": b} for b in REFINE_BUTTONS])
        return [*events, SlotSet("shown_products", [r.id for r in results]),
                SlotSet("focus_product", results[0].id if len(results) == 1 else None)]
