"""Tests keep out of the developer's own data: a real conversation that fills a cart writes into
the session's copy of var/, never into var/shop.db, var/cf, var/metrics or the tracker store."""
from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.chat import cart_of, new_sender, products_of, texts_of

pytestmark = pytest.mark.integration


def written_at_run_time(settings: Settings) -> dict[str, str]:
    """SHA-256 of every non-empty file the serving processes write under these settings: the shop
    database and its WAL, recommender models, action metrics, the SQLite tracker store. (An empty
    WAL left by a read-only connection holds nothing.)"""
    var = settings.var
    files = [var / "shop.db", var / "shop.db-wal", settings.path(settings.tracker_db),
             *(var / "cf").rglob("*"), *(var / "metrics").rglob("*")]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in files if f.is_file() and f.stat().st_size}


def rows_of(db: Path, sender: str) -> dict[str, int]:
    """How many cart lines and events of `sender` the SQLite shop database `db` holds."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table} WHERE user_id = ?", (sender,)).fetchone()[0]
                for table in ("cart_items", "interactions")}


def test_a_conversation_that_fills_a_cart_leaves_the_developers_var_untouched(stack, built):
    before = written_at_run_time(built)
    shopper = new_sender("isolation")
    cards = products_of(stack.say(shopper, "我想买保温杯"))
    assert any("已加入购物车" in t for t in texts_of(stack.say(shopper, "第一个加入购物车")))
    # written, into the stack's copy …
    assert [pid for pid, _ in cart_of(stack.settings.db_url, shopper)] == [cards[0]["id"]]
    assert rows_of(stack.settings.var / "shop.db", shopper)["interactions"] >= 1
    # … and not into the developer's database, models, metrics or tracker
    assert rows_of(built.var / "shop.db", shopper) == {"cart_items": 0, "interactions": 0}
    assert written_at_run_time(built) == before
