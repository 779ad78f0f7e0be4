"""One shopper act, one transaction: adding to the cart writes the line and its add_to_cart event
together; checkout writes the order, its lines, the stock taken and one purchase event per line
and empties the cart together. A step that fails half-way leaves the shop as it was.

Failures are real: the database itself refuses a row (a trigger, as a full disk or a broken
constraint would), a line wants more than is in stock, or a store call names an unknown product.
"""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from actions.cart import add_and_record, checkout, place
from core.settings import get_settings
from store.cart import cart_lines
from store.catalog import all_products
from store.db import engine_for, session_scope
from store.history import record_event
from store.models import Interaction, Order, OrderItem, Product
from store.orders import place_order
from tests.support.chat import cart_of

SHOPPER = "u-unit-of-work"


def two_products(url: str) -> tuple[Product, Product]:
    """A phone and earbuds the shipped shop has plenty of."""
    with session_scope(url) as session:
        stocked = [p for p in all_products(session) if p.stock > 5]
    return (next(p for p in stocked if p.category == "手机"), next(p for p in stocked if p.category == "蓝牙耳机"))


def footprint(url: str, user: str, product_ids: list[str]) -> dict:
    """Everything an act of `user` may change: cart, orders and their lines, events, stock."""
    with session_scope(url) as session:
        return {
            "cart": [(line.product.id, line.quantity) for line in cart_lines(session, user)],
            "orders": session.scalars(select(Order.id).where(Order.user_id == user)).all(),
            "order_lines": session.scalar(select(func.count()).select_from(OrderItem).join(Order)
                                          .where(Order.user_id == user)),
            "events": sorted(session.execute(select(Interaction.item_id, Interaction.event)
                                             .where(Interaction.user_id == user)).all()),
            "stock": {pid: session.get(Product, pid).stock for pid in product_ids},
        }


def refuse_events(url: str, user: str, event: str) -> None:
    """Make the database refuse `user`'s `event` rows from now on (a trigger)."""
    engine = engine_for(url)
    condition = f"NEW.user_id = '{user}' AND NEW.event = '{event}'"
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"CREATE TRIGGER refuse_{event} BEFORE INSERT ON interactions WHEN {condition} "
                                 "BEGIN SELECT RAISE(ABORT, 'interactions refused'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION refuse_interaction() RETURNS trigger LANGUAGE plpgsql AS "
                                 "$$ BEGIN RAISE EXCEPTION 'interactions refused'; END $$")
            conn.exec_driver_sql(f"CREATE TRIGGER refuse_{event} BEFORE INSERT ON interactions FOR EACH ROW "
                                 f"WHEN ({condition}) EXECUTE FUNCTION refuse_interaction()")


def set_stock(url: str, product_id: str, stock: int) -> None:
    with session_scope(url) as session:
        session.execute(update(Product).where(Product.id == product_id).values(stock=stock))


@pytest.fixture
def confirm(monkeypatch, shop_db_url, tmp_path):
    """The shopper's "确认下单" as action_confirm handles it, against `shop_db_url`; the replies."""
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", shop_db_url)
    monkeypatch.setenv("SHOPBOT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()

    def say(sender: str) -> list[str]:
        dispatcher = CollectingDispatcher()
        place(dispatcher, Tracker(sender, {}, {"text": "确认下单"}, [], False, None, {}, "action_listen"))
        return [m["text"] for m in dispatcher.messages]

    yield say
    monkeypatch.undo()
    get_settings.cache_clear()


def test_adding_to_the_cart_and_its_event_commit_together_or_not_at_all(shop_db_url):
    phone, earbuds = two_products(shop_db_url)
    line, total = add_and_record(shop_db_url, SHOPPER, phone.id, 2)
    assert (line.quantity, total) == (2, 2)
    assert footprint(shop_db_url, SHOPPER, [phone.id])["events"] == [(phone.id, "add_to_cart")]

    refuse_events(shop_db_url, SHOPPER, "add_to_cart")
    before = footprint(shop_db_url, SHOPPER, [phone.id, earbuds.id])
    with pytest.raises(DBAPIError, match="interactions refused"):
        add_and_record(shop_db_url, SHOPPER, earbuds.id, 1)
    assert footprint(shop_db_url, SHOPPER, [phone.id, earbuds.id]) == before  # no earbuds in the cart
    assert cart_of(shop_db_url, SHOPPER) == [(phone.id, 2)]


def test_checkout_takes_stock_records_a_purchase_per_line_and_empties_the_cart(shop_db_url, confirm):
    phone, earbuds = two_products(shop_db_url)
    add_and_record(shop_db_url, SHOPPER, phone.id, 1)
    add_and_record(shop_db_url, SHOPPER, earbuds.id, 3)
    reply = confirm(SHOPPER)
    after = footprint(shop_db_url, SHOPPER, [phone.id, earbuds.id])
    assert "下单成功" in reply[0] and after["orders"][0] in reply[0]
    assert after["stock"] == {phone.id: phone.stock - 1, earbuds.id: earbuds.stock - 3}
    assert after["order_lines"] == 2 and after["cart"] == []
    assert [e for e in after["events"] if e[1] == "purchase"] == sorted([(phone.id, "purchase"),
                                                                        (earbuds.id, "purchase")])


def test_a_refused_purchase_event_leaves_no_order_and_the_cart_and_stock_as_they_were(shop_db_url):
    phone, earbuds = two_products(shop_db_url)
    add_and_record(shop_db_url, SHOPPER, phone.id, 1)
    add_and_record(shop_db_url, SHOPPER, earbuds.id, 2)
    refuse_events(shop_db_url, SHOPPER, "purchase")
    before = footprint(shop_db_url, SHOPPER, [phone.id, earbuds.id])
    with pytest.raises(DBAPIError, match="interactions refused"):
        checkout(shop_db_url, SHOPPER)
    assert footprint(shop_db_url, SHOPPER, [phone.id, earbuds.id]) == before
    assert before["orders"] == [] and before["cart"] == [(phone.id, 1), (earbuds.id, 2)]


def test_an_unknown_product_in_the_same_transaction_undoes_the_placed_order(shop_db_url):
    phone, _ = two_products(shop_db_url)
    add_and_record(shop_db_url, SHOPPER, phone.id, 2)
    before = footprint(shop_db_url, SHOPPER, [phone.id])
    with pytest.raises(LookupError, match="NO-SUCH"):
        with session_scope(shop_db_url) as session:
            lines = cart_lines(session, SHOPPER)
            place_order(session, SHOPPER, lines, total=phone.price * 2, discount=0)
            record_event(session, SHOPPER, "NO-SUCH", "purchase")
    assert footprint(shop_db_url, SHOPPER, [phone.id]) == before  # place_order never commits on its own


def test_an_order_a_line_cannot_fill_is_refused_and_nothing_is_taken(shop_db_url, confirm):
    phone, earbuds = two_products(shop_db_url)
    add_and_record(shop_db_url, SHOPPER, phone.id, 1)
    add_and_record(shop_db_url, SHOPPER, earbuds.id, 3)
    set_stock(shop_db_url, earbuds.id, 2)  # sold elsewhere since it went into the cart
    before = footprint(shop_db_url, SHOPPER, [phone.id, earbuds.id])
    reply = confirm(SHOPPER)
    assert reply == [f"抱歉，{earbuds.title} 只剩 2 件，不够购物车里的 3 件，这次没有下单，购物车里的商品都还在。"
                     "可以改一下数量或者删掉这件，再说“去结算”。"]
    assert footprint(shop_db_url, SHOPPER, [phone.id, earbuds.id]) == before  # the phone's unit is back too


def test_the_last_unit_goes_to_one_shopper_and_stock_never_drops_below_zero(shop_db_url, confirm):
    _, earbuds = two_products(shop_db_url)
    rival = SHOPPER + "-rival"
    add_and_record(shop_db_url, SHOPPER, earbuds.id, 1)
    add_and_record(shop_db_url, rival, earbuds.id, 1)
    set_stock(shop_db_url, earbuds.id, 1)
    assert "下单成功" in confirm(rival)[0]
    assert "已经卖完了" in confirm(SHOPPER)[0]
    mine = footprint(shop_db_url, SHOPPER, [earbuds.id])
    assert mine["stock"] == {earbuds.id: 0} and mine["orders"] == [] and mine["cart"] == [(earbuds.id, 1)]
