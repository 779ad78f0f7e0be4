"""Finding products for what the shopper said: a new search or a refinement of the current one
("要黑色的", "再便宜点", "换个牌子"), listed only when the message names something the shop sells
(retrieval's anchor); otherwise a short question with categories that fit what was said.
Shared by the search action and by the fallback and out-of-scope actions, which re-check a
message against the catalog before they give up on it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import catalog_facts, previous_query, shown
from actions.listening import ask_what_they_mean
from actions.metrics import SEARCH_SECONDS
from actions.render import show_products
from actions.services import personaliser, searcher
from core.cards import yuan
from core.settings import get_settings
from retrieval.query import GIFT_TAG, ParsedQuery

REFINE_BUTTONS = ("再便宜点", "换个牌子", "第一个详细介绍一下")
GIFT_BUTTONS = ("送爸妈，500以内", "送女朋友，1000左右", "送朋友同事，200以内")
# Anchors strong enough to overrule an out-of-scope or fallback verdict of the intent classifier.
NAMED = ("category", "brand", "need", "line", "gift")


def describe(q: ParsedQuery) -> str:
    """"华为 黑色 手机（¥3000 以内）" — what the shopper is now looking at."""
    gift = "礼物" if GIFT_TAG in q.tags and not (q.category or q.need) else None
    parts = [*q.brands, *q.colors, *(["女款"] if q.gender == "女" else ["男款"] if q.gender == "男" else []),
             q.category or q.need or gift or "商品"]
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


def current_query(tracker: Tracker) -> tuple[ParsedQuery, bool]:
    """The query this message makes, merged into the current search when it refines it."""
    text = tracker.latest_message.get("text") or ""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    parsed = searcher().parse(text)
    previous = previous_query(tracker)
    topic = parsed.category or parsed.need
    refining = previous is not None and (intent == "refine_search" or not topic or topic == previous.category)
    query = parsed.merge(previous) if refining else parsed
    # 便宜点 / 换个牌子 / 大一点 are relative to what is on screen: retrieval makes them constraints.
    listed = list(catalog_facts(shown(tracker)).values()) if refining else []
    query = query.with_references(listed)
    if refining:  # the topic stays; what changed is in the structured constraints
        query.free_text = previous.free_text or previous.text
    return query, refining


@dataclass
class Plan:
    """What this message would search for, and what in it names something the shop sells."""

    query: ParsedQuery
    refining: bool
    anchor: str | None  # retrieval's anchor kind, or None: listing products would be a guess

    @property
    def gift(self) -> bool:
        """A present is asked for ("七夕送女朋友香水", "帮我挑个礼物")."""
        return GIFT_TAG in self.query.tags


def plan_search(tracker: Tracker) -> Plan:
    query, refining = current_query(tracker)
    anchor = searcher().anchor(query)
    if anchor is None and GIFT_TAG in query.tags and refining and (query.recipient or query.budget
                                                                   or query.price_max):
        anchor = "gift"  # the answer to "送给谁、预算多少": enough to pick presents
    return Plan(query, refining, anchor)


def find_products(dispatcher: CollectingDispatcher, tracker: Tracker,
                  plan: Plan | None = None) -> list[dict[str, Any]]:
    """List the products the message asks for, or ask what is meant when it names nothing."""
    settings, search = get_settings(), searcher()
    plan = plan or plan_search(tracker)
    query, anchor = plan.query, plan.anchor
    events = [SlotSet("search_query", {k: v for k, v in query.as_dict().items()
                                       if k == "text" or (v not in (None, "", []) and v is not False)})]
    if anchor is None and plan.gift:
        dispatcher.utter_message(text="好呀，帮你挑礼物～想送给谁呢？大概什么预算？告诉我这两样，我挑几款合适的。",
                                 buttons=[{"title": b, "payload": b} for b in GIFT_BUTTONS])
        return events
    if anchor is None:
        fits = [c for c, _ in search.closest_categories(query.text, k=20)[:3] if c]
        return ask_what_they_mean(
            dispatcher, tracker, "我还不太确定你想找什么～能说说是哪一类商品，或者用在什么场景吗？"
            + ("比如：" + "、".join(fits) + "。" if fits else ""),
            [{"title": c, "payload": f"我想看看{c}"} for c in fits])
    with SEARCH_SECONDS.time():
        pool = search.search(query, k=settings.rerank_pool, require_colors=True)
    if query.sort:
        results = pool[: settings.search_k]
    else:
        results = personaliser().personalise(pool, tracker.sender_id, settings.search_k)
    if not results:
        dispatcher.utter_message(text=f"抱歉，没有找到符合条件的{describe(query)}。"
                                      "要不放宽一点条件，比如换个颜色或提高预算？")
        return events
    show_products(dispatcher, f"为你找到这几款{describe(query)}：", results, [r.reason for r in results],
                  [r.score for r in results], outro="想看哪一款的详情，或者要加入购物车，告诉我序号就行～",
                  buttons=[{"title": b, "payload": b} for b in REFINE_BUTTONS])
    return [*events, SlotSet("shown_products", [r.id for r in results]),
            SlotSet("focus_product", results[0].id if len(results) == 1 else None)]
