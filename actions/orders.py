"""Order status: a form asks for the order number when the message has none, checks its
shape, then answers with status, items and the latest logistics."""
from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import LOGIN_NEEDED, ShopAction, logged_in
from actions.listening import feeling
from core.cards import yuan
from core.settings import get_settings
from store.db import session_scope
from store.orders import find_order_id, order_for, product_titles, recent_orders


# An anonymous shopper's form completes at once with this value; action_order_status then asks
# them to log in (no order number is asked for, none is looked up).
NOT_LOGGED_IN = "not-logged-in"


class ValidateOrderStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_order_status_form"

    async def extract_order_id(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict[str, Any]) -> dict[str, Any]:
        """An order number anywhere in the message, even when NLU did not tag it."""
        if not logged_in(tracker):
            return {"order_id": NOT_LOGGED_IN}
        order_id = find_order_id(tracker.latest_message.get("text") or "")
        return {"order_id": order_id} if order_id else {}

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: dict[str, Any]) -> dict[str, Any]:
        if not logged_in(tracker):
            return {"order_id": NOT_LOGGED_IN}
        order_id = find_order_id(str(value or "")) or find_order_id(tracker.latest_message.get("text") or "")
        if order_id is None:
            dispatcher.utter_message(text="这个订单号格式好像不对哦：订单号是 DD 开头加 18 位数字，"
                                          "比如 DD202608010017425937。")
            return {"order_id": None}
        return {"order_id": order_id}


def apology(tracker: Tracker) -> str:
    """An upset shopper asking after a parcel hears sorry before anything else."""
    return "让你久等了，真不好意思，我马上帮你查。" if feeling(tracker.latest_message) == "negative" else ""


class ActionAskOrderId(ShopAction):
    def name(self) -> str:
        return "action_ask_order_id"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        sorry = apology(tracker)
        if not logged_in(tracker):
            dispatcher.utter_message(text=sorry + LOGIN_NEEDED.format(what="查询订单和物流"))
            return []
        with session_scope(get_settings().db_url) as session:
            orders = recent_orders(session, tracker.sender_id)
        buttons = [{"title": f"{o.id}（{o.status}）", "payload": f"查订单 {o.id}"} for o in orders]
        dispatcher.utter_message(text=sorry + "请告诉我要查询的订单号（DD 开头），" +
                                 ("也可以直接点下面最近的订单：" if buttons else "在“我的订单”里可以找到。"),
                                 buttons=buttons)
        return []


class ActionOrderStatus(ShopAction):
    def name(self) -> str:
        return "action_order_status"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        if not logged_in(tracker):
            dispatcher.utter_message(text=apology(tracker) + LOGIN_NEEDED.format(what="查询订单和物流"))
            return [SlotSet("order_id", None)]
        order_id = tracker.get_slot("order_id")
        with session_scope(get_settings().db_url) as session:
            order = order_for(session, tracker.sender_id, order_id) if order_id else None
            titles = product_titles(session, [item.product_id for item in order.items]) if order else {}
        if order is None:
            dispatcher.utter_message(text=f"没有找到订单 {order_id}。请核对订单号；只能查询您本人账户下的订单。"
                                          "需要的话我可以帮您转人工客服。")
            return [SlotSet("order_id", None)]
        items = "、".join(f"{titles.get(i.product_id, i.product_id)} × {i.quantity}" for i in order.items)
        lines = [f"订单 {order.id}：{order.status}", f"商品：{items}", f"实付：{yuan(order.total)}"]
        if order.logistics:
            latest = order.logistics[-1]
            lines.append(f"物流（{order.carrier or '快递'} {order.tracking_no or ''}）："
                         f"{latest.time:%m-%d %H:%M} {latest.description}".replace("  ", " "))
            if len(order.logistics) > 1:
                earlier = order.logistics[-2]
                lines.append(f"上一条：{earlier.time:%m-%d %H:%M} {earlier.description}")
        elif order.status == "待付款":
            lines.append("订单还没有支付，支付后 48 小时内发货。")
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("order_id", None)]
