"""Long conversations stay cheap and keep what matters (issue "Lean serving").

Rasa loads, per turn, only the session's last shopper messages and the events that still decide
its state (rasa_plugins/stores/tracker_store.py); a shopper back after half an hour starts a fresh
session (domain.yml session_config) with the cart still in the shop database. Timings are
measured by `python -m bench.tracker_cost`, not asserted here.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess

import pytest
from sqlalchemy import create_engine, text

from tests.support.chat import cart_of, new_sender, products_of, texts_of
from tests.conftest import POSTGRES_ADMIN_URL, create_postgres_database

CHATTER = ["有什么优惠", "包邮吗", "怎么退货", "保修多久", "能开发票吗", "支持花呗吗"]


def window_check(settings, tmp_path, *postgres: str) -> dict:
    """tests/support/tracker_window.py in Rasa's environment: the lean store against Rasa's own."""
    argv = [settings.rasa_bin("python"), "tests/support/tracker_window.py", str(tmp_path)]
    if postgres:
        argv += ["--postgres", *postgres]
    run = subprocess.run(argv, cwd=settings.root, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(settings.root), "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", "postgresql"])
def store_databases(request) -> list[str]:
    """Nothing for SQLite (files in tmp_path); two fresh PostgreSQL databases, dropped after."""
    if request.param == "sqlite":
        yield []
        return
    names = [create_postgres_database("daogou_window") for _ in range(2)]
    server = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield [server, *names]
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_lean_store_keeps_the_state_rasa_would_have(built, tmp_path, store_databases):
    """112 turns with searches, a form longer than the window, a fallback Rasa takes back, an
    undo, a slot reset, a staff takeover, a restart and a new session: after every turn the
    loaded tracker has Rasa's slots, form, pause, latest message and last policy states; the
    stored rows and the events published to the broker are exactly Rasa's; and the tracker
    loaded stays a fraction of the session."""
    result = window_check(built, tmp_path, *store_databases)
    assert result["mismatches"] == []
    assert result["rows_equal"] and result["published_equal"], result
    assert result["rows"] > 700 and result["published"] == result["rows"]
    assert result["largest"]["lean"] < result["largest"]["stock"] / 2, result["largest"]


@pytest.mark.integration
def test_a_long_conversation_remembers_the_shown_list_and_the_cart(stack):
    shopper = new_sender("long")
    stack.say(shopper, "你好")
    earphones = products_of(stack.say(shopper, "我想买蓝牙耳机"))
    assert "已加入购物车" in texts_of(stack.say(shopper, "第二个加入购物车"))[0]
    for turn in range(36):  # far more messages than Rasa loads per turn
        assert texts_of(stack.say(shopper, CHATTER[turn % len(CHATTER)]))

    # "第一个" still means the first of the list shown 37 messages ago
    detail = stack.say(shopper, "第一个详细介绍一下")
    assert products_of(detail)[0]["id"] == earphones[0]["id"]
    assert earphones[0]["title"] in texts_of(detail)[0]
    cart = products_of(stack.say(shopper, "看看购物车"))
    assert [p["id"] for p in cart] == [earphones[1]["id"]]

    # the conversation goes on as usual: a new list, and "第二个" is its second
    phones = products_of(stack.say(shopper, "我想买手机"))
    assert all(p["category"] == "手机" for p in phones)
    stack.say(shopper, "第二个加入购物车")
    assert [pid for pid, _ in cart_of(stack.settings.db_url, shopper)] == \
        [earphones[1]["id"], phones[1]["id"]]

    # and nothing is lost for staff: the whole conversation is stored
    said = [e["text"] for e in stack.tracker(shopper)["events"] if e["event"] == "user"]
    assert len(said) == 43 and said[2] == "第二个加入购物车" and said[-1] == "第二个加入购物车"


def away(stack, sender: str, minutes: float) -> None:
    """As if the shopper's conversation so far had happened `minutes` earlier: every stored event
    of it moved back in Rasa's tracker store (the column and the event's own timestamp)."""
    with sqlite3.connect(stack.settings.tracker_db) as conn:
        conn.execute("UPDATE events SET timestamp = timestamp - :s, "
                     "data = json_set(data, '$.timestamp', json_extract(data, '$.timestamp') - :s) "
                     "WHERE sender_id = :sender", {"s": minutes * 60, "sender": sender})


@pytest.mark.integration
def test_after_half_an_hour_away_the_conversation_starts_afresh_and_the_cart_stays(stack):
    shopper = new_sender("back")
    earphones = products_of(stack.say(shopper, "我想买蓝牙耳机"))
    stack.say(shopper, "第一个加入购物车")
    away(stack, shopper, 10)
    assert products_of(stack.say(shopper, "第二个详细介绍一下"))[0]["id"] == earphones[1]["id"]  # still the same visit

    away(stack, shopper, 35)
    stale = texts_of(stack.say(shopper, "第二个加入购物车"))  # the list from before is not assumed
    assert "想加购哪一款" in stale[0]
    slots = stack.tracker(shopper)["slots"]
    assert slots["shown_products"] is None and slots["search_query"] is None and slots["focus_product"] is None
    assert [p["id"] for p in products_of(stack.say(shopper, "看看购物车"))] == [earphones[0]["id"]]

    events = stack.tracker(shopper)["events"]
    assert sum(e["event"] == "session_started" for e in events) == 2
    assert [pid for pid, _ in cart_of(stack.settings.db_url, shopper)] == [earphones[0]["id"]]
