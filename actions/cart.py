"""Cart and checkout: add (with quantity), view, remove, a checkout summary with the
promotions in force, and placing the order once the shopper confirms."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.context import (LOGIN_NEEDED, ShopAction, logged_in, positions, product, quantity,
                             referenced)
from core.cards import product_card, products_payload, yuan
from core.settings import get_settings
from store.cart import CartLine, add_to_cart, cart_lines, remove_from_cart
from store.db import session_scope
from store.history import record_event
from store.models import Order
from store.orders import OutOfStock, place_order
from store.pricing import Quote, promotions, quote

CHECKOUT_BUTTONS = [{"title": "确认下单", "payload": "/affirm"}, {"title": "再看看", "payload": "/deny"}]
SURE = 0.8  # an order is placed only on a clear yes


def answering_checkout(tracker: Tracker) -> bool:
    """True when the bot's last action before this message asked to confirm the order
    (the checkout summary, or the confirmation asked again after an unclear answer)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") not in ("action_listen", None):
            return event.get("name") in ("action_checkout", "action_confirm")
    return False


def cart_summary(lines, user_quote) -> str:
    rows = [f"{n}. {line.product.title} × {line.quantity}  {yuan(line.amount)}" for n, line in enumerate(lines, 1)]
    text = "\n".join(rows) + f"\n商品合计：{yuan(user_quote.subtotal)}"
    for name, amount in user_quote.discounts:
        text += f"\n优惠（{name}）：-{yuan(amount)}"
    return text + f"\n应付：{yuan(user_quote.total)}"


def add_and_record(url: str, user_id: str, product_id: str, count: int) -> tuple[CartLine, int]:
    """One act, one transaction: the cart line and its add_to_cart event commit together or not
    at all; returns the line and how many items the cart now holds."""
    with session_scope(url) as session:
        line = add_to_cart(session, user_id, product_id, count)
        record_event(session, user_id, product_id, "add_to_cart")
        return line, sum(x.quantity for x in cart_lines(session, user_id))


def checkout(url: str, user_id: str) -> tuple[Order, Quote] | None:
    """One act, one transaction: the order and its lines at today's prices and promotions, the
    units taken from stock, one purchase event per line and the emptied cart — all or nothing.
    None when the cart is empty; raises OutOfStock (nothing written) when a line cannot be filled."""
    with session_scope(url) as session:
        lines = cart_lines(session, user_id)
        if not lines:
            return None
        priced = quote(lines, promotions(session)[0])
        order = place_order(session, user_id, lines, priced.total, priced.discount)
        for line in lines:
            record_event(session, user_id, line.product.id, "purchase")
    return order, priced


def out_of_stock_text(exc: OutOfStock) -> str:
    """Why the order was refused, and that the cart is kept as it was."""
    short = ("已经卖完了" if exc.left == 0 else f"只剩 {exc.left} 件，不够购物车里的 {exc.wanted} 件")
    return (f"抱歉，{exc.title} {short}，这次没有下单，购物车里的商品都还在。"
            "可以改一下数量或者删掉这件，再说“去结算”。")


def place(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Turn the shopper's cart into an order (`checkout`) and tell them how it went."""
    if not logged_in(tracker):
        dispatcher.utter_message(text=LOGIN_NEEDED.format(what="下单") + "购物车里的商品会一直为你留着。")
        return [SlotSet("awaiting", None)]
    try:
        placed = checkout(get_settings().db_url, tracker.sender_id)
    except OutOfStock as exc:
        dispatcher.utter_message(text=out_of_stock_text(exc))
        return [SlotSet("awaiting", None)]
    if placed is None:
        dispatcher.utter_message(text="购物车是空的，没有可以下单的商品。")
        return [SlotSet("awaiting", None)]
    order, priced = placed
    dispatcher.utter_message(text=f"下单成功！订单号 {order.id}，应付 {yuan(priced.total)}，"
                                  "请在 30 分钟内完成支付。之后可以随时问我“订单到哪了”。")
    return [SlotSet("awaiting", None), SlotSet("order_id", order.id)]


class ActionAddToCart(ShopAction):
    def name(self) -> str:
        return "action_add_to_cart"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        ids = referenced(tracker, 1)
        if not ids:
            dispatcher.utter_message(text="想加购哪一款呢？先搜一下商品，然后告诉我序号，比如“把第二个加入购物车”。")
            return []
        item, count = product(ids[0]), quantity(tracker)
        try:
            line, total = add_and_record(get_settings().db_url, tracker.sender_id, item.id, count)
        except ValueError:
            dispatcher.utter_message(text=f"抱歉，{item.title} 暂时缺货，要不看看同类的其他款？")
            return [SlotSet("focus_product", item.id)]
        dispatcher.utter_message(
            text=f"已加入购物车：{item.title} × {count}（购物车里这款共 {line.quantity} 件，"
                 f"总共 {total} 件商品）。",
            buttons=[{"title": "去结算", "payload": "去结算"}, {"title": "看看购物车", "payload": "看看购物车"},
                     {"title": "这个配什么", "payload": "这个配什么"}])
        return [SlotSet("focus_product", item.id)]


class ActionViewCart(ShopAction):
    def name(self) -> str:
        return "action_view_cart"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope(get_settings().db_url) as session:
            lines = cart_lines(session, tracker.sender_id)
            active, _ = promotions(session)
        if not lines:
            dispatcher.utter_message(text="购物车还是空的～想买点什么？我帮你挑。")
            return []
        dispatcher.utter_message(text="购物车里有：\n" + cart_summary(lines, quote(lines, active)),
                                 buttons=[{"title": "去结算", "payload": "去结算"}])
        dispatcher.utter_message(json_message=products_payload([product_card(line.product) for line in lines]))
        return [SlotSet("shown_products", [line.product.id for line in lines])]


class ActionRemoveFromCart(ShopAction):
    def name(self) -> str:
        return "action_remove_from_cart"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope(get_settings().db_url) as session:
            reply = remove(session, tracker)
        dispatcher.utter_message(text=reply)  # only once the removal is committed
        return []


def remove(session: Session, tracker: Tracker) -> str:
    """Remove the line the shopper means (or everything) in the act's transaction; the reply."""
    lines = cart_lines(session, tracker.sender_id)
    text = tracker.latest_message.get("text") or ""
    if not lines:
        return "购物车是空的，没有需要删除的商品。"
    if any(w in text for w in ("清空", "全部", "都不要", "全删")):
        remove_from_cart(session, tracker.sender_id)
        return "已清空购物车。"
    target = None
    if positions(tracker) and tracker.get_slot("shown_products") == [line.product.id for line in lines]:
        ids = referenced(tracker, 1)
        target = next((line for line in lines if ids and line.product.id == ids[0]), None)
    if target is None:  # by name or category word: "把耳机删了"
        target = next((line for line in lines if line.product.category in text or line.product.brand in text
                       or str((line.product.attributes or {}).get("系列", "")) in text), None)
    if target is None and len(lines) == 1:
        target = lines[0]
    if target is None:
        meant = referenced(tracker, 1)
        target = next((line for line in lines if line.product.id in meant), None)
    if target is None:
        return "要删除购物车里的哪一件呢？可以说“删掉第一个”或者商品名称。"
    remove_from_cart(session, tracker.sender_id, target.product.id)
    left = len(lines) - 1
    return f"已从购物车移除：{target.product.title}。" + (f"购物车里还有 {left} 件商品。" if left else "购物车现在是空的。")


class ActionCheckout(ShopAction):
    def name(self) -> str:
        return "action_checkout"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        if tracker.get_slot("awaiting") == "checkout" and answering_checkout(tracker):
            return place(dispatcher, tracker)  # "确认下单" right after the summary is a yes
        with session_scope(get_settings().db_url) as session:
            lines = cart_lines(session, tracker.sender_id)
            active, _ = promotions(session)
        if not lines:
            dispatcher.utter_message(text="购物车是空的，先挑几件喜欢的商品吧～")
            return []
        summary = cart_summary(lines, quote(lines, active))
        coupons = [p for p in active if p.type == "coupon"]
        hint = "".join(f"\n可用优惠券：{p.name}（结算时输入 {p.code}）" for p in coupons if p.code)
        if not logged_in(tracker):
            dispatcher.utter_message(text=f"{summary}{hint}\n" + LOGIN_NEEDED.format(what="下单"))
            return [SlotSet("awaiting", None)]
        dispatcher.utter_message(text=f"订单确认：\n{summary}{hint}\n确认下单吗？", buttons=CHECKOUT_BUTTONS)
        return [SlotSet("awaiting", "checkout")]


class ActionConfirm(ShopAction):
    """"好的" / "不了": answers the question the bot last asked (today: confirm the order)."""

    def name(self) -> str:
        return "action_confirm"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        parsed = tracker.latest_message.get("intent") or {}
        intent = parsed.get("name")
        if tracker.get_slot("awaiting") != "checkout" or not answering_checkout(tracker):
            dispatcher.utter_message(text="好的～还有什么可以帮你？可以继续挑商品，或者看看购物车。"
                                     if intent == "affirm" else "好的，没问题。还需要别的吗？")
            return [SlotSet("awaiting", None)]
        if intent != "affirm":
            dispatcher.utter_message(text="好的，先不下单，商品都还在购物车里，想好了随时说“去结算”。")
            return [SlotSet("awaiting", None)]
        if (parsed.get("confidence") or 0) < SURE:
            dispatcher.utter_message(text="确认要下单吗？请点“确认下单”，或者说“确认下单”。", buttons=CHECKOUT_BUTTONS)
            return []
        return place(dispatcher, tracker)
