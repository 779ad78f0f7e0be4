"""The chat data-collection consumer's translation of Rasa events into interaction rows, and the
production profile's wiring (the live broker path is in tests/production/test_production.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core.event_consumer import handle
from core.funnel import shown_products
from core.settings import Settings
from store.db import session_scope
from store.history import SHOPPER_DATASETS, SHOWN_DATASET, interaction_rows
from store.models import Interaction


def _bot_event(sender: str, ids: list[str], stamp: float = 1_790_000_000.5) -> bytes:
    cards = [{"id": i, "title": f"商品{i}"} for i in ids]
    return json.dumps({"sender_id": sender, "event": "bot", "timestamp": stamp, "text": "为您找到：",
                       "data": {"custom": {"type": "products", "products": cards}}}).encode()


def _product_ids(url: str, n: int) -> list[str]:
    from store.models import Product

    with session_scope(url) as session:
        return list(session.scalars(select(Product.id).order_by(Product.id).limit(n)))


def test_products_shown_to_a_shopper_become_impressions_once(shop_db_url):
    settings = Settings(database_url=shop_db_url)
    ids = _product_ids(shop_db_url, 3)
    message = _bot_event("shopper-7", [*ids, "no-such-product"])
    assert handle(settings, message) == 3
    assert handle(settings, message) == 0  # the broker redelivered it: nothing is counted twice
    with session_scope(shop_db_url) as session:
        rows = session.execute(select(Interaction.item_id, Interaction.event, Interaction.user_id)
                               .where(Interaction.dataset == SHOWN_DATASET)).all()
    assert sorted(rows) == sorted((i, "impression", "shopper-7") for i in ids)
    # being shown a product is not a preference: the recommenders never train on it
    assert SHOWN_DATASET not in SHOPPER_DATASETS
    with session_scope(shop_db_url) as session:
        assert interaction_rows(session, user_id="shopper-7") == []


@pytest.mark.parametrize("body", [b"not json", b"{}", json.dumps({"event": "bot"}).encode(),
                                  json.dumps({"sender_id": "x", "timestamp": "soon", "event": "bot"}).encode()])
def test_malformed_broker_messages_are_dropped_not_fatal(body):
    assert handle(Settings(database_url="sqlite:///unused.db"), body) == 0


def test_only_bot_messages_with_product_cards_count():
    assert shown_products({"event": "user", "text": "我想买手机"}) == []
    assert shown_products({"event": "bot", "text": "您好", "data": {"custom": None}}) == []
    assert shown_products({"event": "bot", "data": {"custom": {"type": "comparison",
                                                               "products": [{"id": "p1"}, {"id": "p2"}]}}}) == ["p1", "p2"]


def test_the_production_profile_switches_every_store():
    settings = Settings(profile="production", rasa_token="t")
    assert settings.db_url.startswith("postgresql") and settings.tracker_db_url.startswith("postgresql")
    assert settings.db_url != settings.tracker_db_url
    assert settings.rate_limit_store.startswith("redis://")
    assert settings.endpoints_file == "endpoints.production.yml"
    assert len(settings.rasa_urls) == 2 and settings.action_worker_count == 2
    env = settings.rasa_env()
    assert env["SHOPBOT_RASA_TRACKER_URL"].startswith("postgresql://")  # psycopg2 in Rasa's venv
    from core.processes import process_env

    env = process_env(settings)
    assert env["ACTION_SERVER_SANIC_WORKERS"] == "2"
    # two Rasa instances on the same cores: one math thread each, or they spin against each other
    assert env["OMP_NUM_THREADS"] == env["TF_INTRA_OP_PARALLELISM_THREADS"] == "1"
    dev = Settings(rasa_token="t")
    assert dev.db_url.startswith("sqlite") and dev.rasa_urls == ["http://127.0.0.1:5005"]


def test_the_production_endpoints_file_names_only_variables_rasa_is_given():
    import re

    root = Path(__file__).resolve().parents[2]
    wanted = set(re.findall(r"\$\{(\w+)\}", (root / "endpoints.production.yml").read_text()))
    given = set(Settings(profile="production", rasa_token="t").rasa_env())
    assert wanted and wanted <= given, wanted - given
