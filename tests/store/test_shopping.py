"""Cart, promotions and orders as the dialogue uses them, on a copy of the shipped shop."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from sqlalchemy.orm import Session

from store.cart import add_to_cart, cart_lines, remove_from_cart
from store.catalog import all_products
from store.db import session_scope
from store.orders import find_order_id, order_for, place_order, recent_orders
from store.pricing import promotions, quote


def in_stock(session: Session, category: str):
    return [p for p in all_products(session) if p.category == category and p.stock > 5]


def test_cart_adds_accumulates_and_removes(shop):
    with session_scope(shop.db_url) as s:
        phone, earbuds = in_stock(s, "手机")[0], in_stock(s, "蓝牙耳机")[0]
        add_to_cart(s, "cart-user", phone.id)
        add_to_cart(s, "cart-user", earbuds.id, 2)
        line = add_to_cart(s, "cart-user", earbuds.id, 1)
    assert line.quantity == 3
    with session_scope(shop.db_url) as s:
        assert [(x.product.id, x.quantity) for x in cart_lines(s, "cart-user")] == [(phone.id, 1), (earbuds.id, 3)]
        assert remove_from_cart(s, "cart-user", phone.id) == 1
    with session_scope(shop.db_url) as s:
        assert [x.product.id for x in cart_lines(s, "cart-user")] == [earbuds.id]
        assert cart_lines(s, "someone-else") == []
        with pytest.raises(LookupError):
            add_to_cart(s, "cart-user", "NOPE")


def test_out_of_stock_products_cannot_be_added(shop):
    with session_scope(shop.db_url) as s:
        sold_out = next(p for p in all_products(s) if p.stock == 0)
        with pytest.raises(ValueError):
            add_to_cart(s, "cart-user", sold_out.id)


def line(price, category, quantity=1, brand="x"):
    return SimpleNamespace(product=SimpleNamespace(price=price, category=category, brand=brand), quantity=quantity)


def promo(**kw):
    base = dict(name="p", type="full_reduction", threshold=0.0, amount=0.0, discount_rate=1.0,
                category=None, brand=None)
    return SimpleNamespace(**{**base, **kw})


def test_quote_applies_category_discount_then_the_best_full_reduction():
    lines = [line(1000, "空调"), line(150, "牛奶", 2)]
    offers = [promo(name="空调九折", type="category_discount", discount_rate=0.9, category="空调"),
              promo(name="满300减40", threshold=300, amount=40), promo(name="满1000减100", threshold=1000, amount=100),
              promo(name="满5000减800", threshold=5000, amount=800)]
    priced = quote(lines, offers)
    assert priced.subtotal == 1300
    # 空调 −100 → 1200 left, so 满1000减100 is the best reachable reduction.
    assert priced.discounts == [("空调九折", 100.0), ("满1000减100", 100)]
    assert priced.total == 1100


def test_a_brand_full_reduction_counts_only_that_brands_products():
    offer = promo(name="华为满3000减200", threshold=3000, amount=200, brand="华为")
    assert quote([line(3999, "手机", brand="苹果")], [offer]).discounts == []
    both = quote([line(2499, "手机", brand="华为"), line(699, "蓝牙耳机", brand="华为"), line(999, "手机", brand="小米")],
                 [offer])
    assert both.discounts == [("华为满3000减200", 200)] and both.discount == 200 and both.total == 3997


def test_promotions_in_force_and_starting_soon(shop):
    now = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
    with session_scope(shop.db_url) as s:
        active, soon = promotions(s, now=now, category="扫地机器人")
        assert {p.id for p in active} == {"P014"}  # shop-wide coupon; 猫粮 only applies to 猫粮
        assert {p.id for p in soon} == {"P022", "P023"}  # 双12 starts 12-01
        active, _ = promotions(s, now=now, category="猫粮")
    assert {p.id for p in active} == {"P014", "P015"}


def test_orders_are_found_only_by_their_owner_and_placed_from_the_cart(shop):
    assert find_order_id("帮我查下 dd202608010017425937 到哪了") == "DD202608010017425937"
    assert find_order_id("DD123") is None
    with session_scope(shop.db_url) as s:
        mine = order_for(s, "u01302", "DD202608010017425937")
        assert mine is not None and mine.logistics and mine.items
        assert order_for(s, "u00001", "DD202608010017425937") is None
        phone = in_stock(s, "手机")[0]
        add_to_cart(s, "buyer", phone.id, 2)
    with session_scope(shop.db_url) as s:
        order = place_order(s, "buyer", cart_lines(s, "buyer"), total=phone.price * 2, discount=0)
    assert order.status == "待付款" and order.id.startswith("DD") and len(order.id) == 20
    with session_scope(shop.db_url) as s:
        assert recent_orders(s, "buyer")[0].id == order.id
        assert order_for(s, "buyer", order.id).items[0].quantity == 2
        assert cart_lines(s, "buyer") == []
