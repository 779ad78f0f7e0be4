"""The shop the project ships: generated deterministically, loaded whole, realistic."""
from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

from sqlalchemy import func, select

from shopgen.generate import main as generate
from core.clock import aware
from store.db import session_scope
from store.models import Category, Interaction, Order, Product, Promotion, User
from store.pricing import promotions, quote

SHIPPED = ("categories.jsonl", "products.jsonl", "users.jsonl", "interactions.csv",
           "orders.jsonl", "carts.jsonl", "promotions.jsonl")


def test_generator_is_deterministic_and_committed_output_is_current(built, tmp_path):
    generate(tmp_path)
    for name in SHIPPED:
        assert (tmp_path / name).read_bytes() == (built.path(built.catalog_dir) / name).read_bytes(), name


def test_shipped_shop_is_loaded_whole(built):
    with session_scope(built.db_url) as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Product) >= 3000 and count(User) >= 2000
        assert count(Interaction) >= 100_000 and count(Order) > 1000 and count(Promotion) >= 12
        categories = session.scalars(select(Category)).all()
        assert len(categories) >= 36 and len({c.department for c in categories}) == 8
        brands = Counter()
        for category, brand in session.execute(select(Product.category, Product.brand).distinct()):
            brands[category] += 1
        assert min(brands.values()) >= 4
        statuses = set(session.scalars(select(Order.status).distinct()))
        assert statuses == {"待付款", "已付款", "已发货", "运输中", "已签收", "已取消"}
        delivered = session.scalars(select(Order).where(Order.status == "已签收").limit(1)).one()
        assert delivered.logistics and delivered.logistics[-1].status == "已签收"
        events = set(session.scalars(select(Interaction.event).distinct()))
        assert events == {"view", "click", "add_to_cart", "purchase", "rating"}


def test_products_look_like_a_real_shop(built):
    with session_scope(built.db_url) as session:
        phones = session.scalars(select(Product).where(Product.category == "手机")).all()
        for p in phones:
            assert p.list_price >= p.price > 0 and p.brand in p.title and p.attributes.get("系列")
            assert 2 <= len([s for s in p.description.split("。") if s]) <= 5
        iphones = [p.price for p in phones if "iPhone 15 Pro" in p.title]
        redmi = [p.price for p in phones if "Redmi Note" in p.title]
        assert iphones and redmi and min(iphones) > 3 * max(redmi)
        lipstick = session.scalars(select(Product).where(Product.category == "口红")).all()
        assert {p.gender for p in lipstick} == {"女"}


def test_every_shipped_order_is_priced_as_checkout_prices_a_cart(built):
    """Its lines at their stored prices, the promotions in force when it was placed, the live rule
    (`store.pricing.quote`, what checkout charges): the stored total and discount, for every order."""
    wrong, discounted = [], 0
    with session_scope(built.db_url) as session:
        products = {p.id: p for p in session.scalars(select(Product))}
        orders = session.scalars(select(Order)).all()
        for order in orders:
            placed = aware(order.created_at)
            lines = [SimpleNamespace(product=SimpleNamespace(price=item.price,
                                                             category=products[item.product_id].category,
                                                             brand=products[item.product_id].brand),
                                     quantity=item.quantity) for item in order.items]
            priced = quote(lines, promotions(session, now=placed, include_soon=False)[0])
            discounted += priced.discount > 0
            if (priced.total, priced.discount) != (order.total, order.discount):
                wrong.append((order.id, order.total, order.discount, priced.total, priced.discount))
    assert len(orders) > 6000 and discounted > 1000  # promotions did apply, not only "no discount" orders
    assert not wrong, f"{len(wrong)} orders priced by another rule, e.g. {wrong[:3]}"
    assert all(order.coupon is None for order in orders)  # checkout applies no coupon code
