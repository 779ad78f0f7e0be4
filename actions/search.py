"""action_search_products: a new search or a refinement of the current one ("要黑色的",
"再便宜点", "换个牌子", "不要苹果的"), shown as numbered text plus product cards."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ShopAction, previous_query, shown
from actions.metrics import SEARCH_SECONDS
from actions.render import show_products, yuan
from actions.services import personaliser, searcher
from core.settings import get_settings
from retrieval.query import ParsedQuery
from retrieval.search import color_matches

OTHER_BRAND = re.compile(r"换(?:个|一个|家|别的)?(?:牌子|品牌|家)|别的(?:牌子|品牌)|其他(?:牌子|品牌)")
BIGGER = re.compile(r"大一?点|更大|大些|大屏|大容量|大尺寸|大号")
SPEC_KEYS = ("屏幕尺寸", "存储", "容量", "配置", "规格", "表盘尺寸", "尺寸", "版本")
REFINE_BUTTONS = ("再便宜点", "换个牌子", "第一个详细介绍一下")


def spec_number(product) -> float:
    """The first number of the product's size/capacity attribute (55英寸 → 55, 12GB+256GB → 256)."""
    for key in SPEC_KEYS:
        value = str((product.attributes or {}).get(key, ""))
        numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", value)]
        if numbers:
            return max(numbers)
    return 0.0


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
        listed = [search.products[i] for i in shown(tracker) if i in search.products]
        refining = previous is not None and (intent == "refine_search" or not parsed.category
                                             or parsed.category == previous.category)
        query = parsed.merge(previous) if refining else parsed
        if refining and OTHER_BRAND.search(text):
            query.excluded_brands = list(dict.fromkeys([*query.excluded_brands, *(p.brand for p in listed)]))
            query.brands = [b for b in query.brands if b not in query.excluded_brands]
        query = query.with_reference_prices([p.price for p in listed] if refining else [])
        if refining:  # the topic stays; what changed is in the structured constraints
            query.free_text = previous.free_text or previous.text
        bigger = refining and BIGGER.search(text) and listed
        with SEARCH_SECONDS.time():
            pool = search.search(query, k=settings.rerank_pool * 2 if bigger else settings.rerank_pool)
        if bigger:
            floor = max(spec_number(p) for p in listed)
            pool = [r for r in pool if spec_number(search.products[r.id]) > floor] or pool
        if query.colors:  # a colour the shopper asked for is a requirement when the shop has it
            pool = [r for r in pool if any(color_matches(r.color, c) for c in query.colors)] or pool
        if query.sort:
            results = pool[: settings.search_k]
        else:
            results = personaliser().personalise(pool, tracker.sender_id, settings.search_k)
        # Only what the shopper asked for: unset fields come back as ParsedQuery's defaults.
        events = [SlotSet("search_query", {k: v for k, v in query.as_dict().items()
                                           if k == "text" or v not in (None, "", [])})]
        if not results:
            dispatcher.utter_message(text=f"抱歉，没有找到符合条件的{describe(query)}。"
                                          "要不放宽一点条件，比如换个颜色或提高预算？")
            return events
        show_products(dispatcher, f"为你找到这几款{describe(query)}：", results, [r.reason for r in results],
                      [r.score for r in results], outro="想看哪一款的详情，或者要加入购物车，告诉我序号就行～",
                      buttons=[{"title": b, "payload": b} for b in REFINE_BUTTONS])
        return [*events, SlotSet("shown_products", [r.id for r in results]),
                SlotSet("focus_product", results[0].id if len(results) == 1 else None)]
