"""What the conversation is about: shown products, references ("第二个", "这款"),
quantities, and the base class every custom action shares."""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
import re
from dataclasses import fields
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.metrics import ACTION_ERRORS, ACTION_SECONDS
from actions.services import searcher
from core.identity import is_anonymous
from core.settings import get_settings
from retrieval.numbers import chinese_to_int
from retrieval.query import ParsedQuery
from store.catalog import products_by_id
from store.db import session_scope

log = logging.getLogger(__name__)

CN = "一二两俩三四五六七八九十"
ORDINAL = re.compile(rf"第\s*([{CN}\d]+)\s*(?:个|款|件|台|部|条|双|种|只|项)?")
FIRST_N = re.compile(rf"前\s*([{CN}\d]+)\s*(?:个|款|件|台|部|种)")
LAST = re.compile(r"最后(?:一|那)?(?:个|款|件|台|部)")
PAIR = re.compile(r"(?<![\d.])([1-9])\s*(?:和|跟|与|、|vs|VS|,|，)\s*([1-9])(?![\d.])")
THIS = re.compile(r"这款|这个|这件|这台|这部|这双|它|刚才那|刚刚那|那个|那款|上面那")
QUANTITY = re.compile(rf"([{CN}\d]+)\s*(?:个|件|台|部|双|盒|瓶|箱|份|套|只|袋|包|支|本)")


def number(text: str) -> int | None:
    return int(text) if text.isdigit() else chinese_to_int(text.replace("俩", "两"))


def shown(tracker: Tracker) -> list[str]:
    return list(tracker.get_slot("shown_products") or [])


def positions(tracker: Tracker) -> list[int]:
    """1-based positions the message refers to, in order (−1 = the last one)."""
    text = tracker.latest_message.get("text") or ""
    found: list[int] = []
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "ordinal":
            value = str(entity.get("value", ""))
            n = -1 if value in ("-1", "最后") else number(value.lstrip("第").rstrip("个款件台"))
            if n:
                found.append(n)
    for match in ORDINAL.finditer(text):
        n = number(match.group(1))
        if n:
            found.append(n)
    match = FIRST_N.search(text)
    if match and number(match.group(1)):
        found += range(1, number(match.group(1)) + 1)
    if LAST.search(text):
        found.append(-1)
    for a, b in PAIR.findall(text):
        found += [int(a), int(b)]
    return list(dict.fromkeys(found))


def referenced(tracker: Tracker, wanted: int = 1) -> list[str]:
    """Product ids the shopper means: by position in the last list, "这款" = the product in
    focus, a product name, else the first shown. May return fewer than `wanted`."""
    listed = shown(tracker)
    ids = []
    for n in positions(tracker):
        index = len(listed) - 1 if n == -1 else n - 1
        if 0 <= index < len(listed):
            ids.append(listed[index])
    if ids:
        return list(dict.fromkeys(ids))
    text = tracker.latest_message.get("text") or ""
    focus = tracker.get_slot("focus_product")
    by_name = named(text, listed)
    if by_name:
        return [by_name]
    if focus and (THIS.search(text) or wanted == 1):
        return [focus]
    return listed[:wanted]


def named(text: str, listed: list[str]) -> str | None:
    """A shown product whose brand + line the message mentions ("Mate 60 怎么样")."""
    products = catalog_facts(listed)
    compact = re.sub(r"\s+", "", text).lower()
    for pid in (pid for pid in listed if pid in products):
        line = str((products[pid].attributes or {}).get("系列", "")).replace(" ", "").lower()
        if line and len(line) >= 2 and line in compact:
            return pid
    return None


def previous_query(tracker: Tracker) -> ParsedQuery | None:
    stored = tracker.get_slot("search_query")
    if not isinstance(stored, dict):
        return None
    known = {f.name for f in fields(ParsedQuery)}
    return ParsedQuery(**{k: v for k, v in stored.items() if k in known})


def category_in_view(tracker: Tracker) -> str | None:
    """The category the shopper names now, else the one of the current search."""
    said = searcher().parse(tracker.latest_message.get("text") or "").category
    if said:
        return said
    previous = previous_query(tracker)
    return previous.category if previous else None


def quantity(tracker: Tracker) -> int:
    """How many: a `quantity` entity, "两个", "3件"; 1 when not said."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "quantity":
            n = number(str(entity.get("value", "")))
            if n:
                return min(n, 99)
    text = ORDINAL.sub("", tracker.latest_message.get("text") or "")
    match = QUANTITY.search(text)
    n = number(match.group(1)) if match else None
    return min(n, 99) if n else 1


LOGIN_NEEDED = "需要先登录才能{what}哦：请在商城登录后再来找我，我马上帮你办。"


def logged_in(tracker: Tracker) -> bool:
    """A sender the shop vouched for. Anonymous sessions (server-issued ids) can search, chat
    and keep a cart, but orders and order status belong to a logged-in account."""
    return not is_anonymous(tracker.sender_id)


def catalog_facts(ids: list[str]) -> dict[str, Any]:
    """Products as the shop's database has them now (price, stock), not as the search index
    loaded them at start-up; unknown ids are left out."""
    with session_scope(get_settings().db_url) as session:
        return products_by_id(session, ids)


def product(pid: str):
    return catalog_facts([pid]).get(pid)


class ShopAction(Action, ABC):
    """A custom action that always answers: library errors become a polite apology, and
    `turn_status` is set to done (the rules apologise when an action never ran at all)."""

    @abstractmethod
    def name(self) -> str:
        """The action's name in domain.yml."""

    @abstractmethod
    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Answer the shopper; return slot events."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Run `act`, timed; a failure is counted, logged and apologised for."""
        with ACTION_SECONDS.labels(self.name()).time():
            try:
                events = await self.act(dispatcher, tracker, domain)
            except Exception:  # noqa: BLE001 - the shopper must get an answer, staff get the log
                log.exception("%s failed for %s", self.name(), tracker.sender_id)
                ACTION_ERRORS.labels(self.name()).inc()
                dispatcher.utter_message(response="utter_action_failed")
                events = []
        return [*events, SlotSet("turn_status", "done")]
