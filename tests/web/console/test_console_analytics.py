"""Console analytics: the numbers from a tracker store Rasa wrote (SQLite and PostgreSQL) and a
shop database, the page's tables and SVG charts, CSV exports (formula injection defused), and
the page's behaviour with a real chat purchase is in tests/web/console/test_console_browser.py."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, time, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from core.event_consumer import handle
from core.settings import Settings
from store.db import session_scope
from store.history import SHOWN_DATASET
from store.models import Interaction, Product
from web.console.analytics import build_report, csv_rows, safe_cell, to_csv
from web.console.charts import bar_chart, column_chart, funnel_chart
from tests.support import console_data as data
from tests.conftest import copy_sqlite
from tests.support.console_data import client, console, sqlite_tracker, tracker_url  # noqa: F401 (fixtures)
from tests.support.console_data import (ADD_ROWS, ADDED, CLICK_ROWS, DAY, ENGAGED, FALLBACKS, FORMULA_INTENT, IN_RANGE,
                                OLD_DAY, ORDERED, SHOP_TIME, SHOWN, USER_TURNS)


def start(day) -> float:
    return datetime.combine(day, time(), SHOP_TIME).timestamp()


def last_30_days():
    today = datetime.now(SHOP_TIME).date()
    return start(today - timedelta(days=29)), start(today + timedelta(days=1))


@pytest.fixture(scope="module")
def shop_url(tmp_path_factory) -> str:
    return data.shop_db(tmp_path_factory.mktemp("shop"))


# ---------------------------------------------------------------- the numbers (both databases)


def test_the_report_counts_conversations_turns_rates_intents_and_the_funnel(tracker_url, shop_url):  # noqa: F811
    report = build_report(tracker_url, shop_url, *last_30_days(), SHOP_TIME)
    turns = sum(USER_TURNS[s] for s in IN_RANGE)
    assert (report.conversations, report.user_turns) == (len(IN_RANGE), turns)
    assert report.fallbacks == sum(FALLBACKS.values()) == 3
    assert report.handoffs == 3  # bob, carol, erin
    assert report.fallback_rate == pytest.approx(3 / turns)
    assert report.handoff_rate == pytest.approx(3 / len(IN_RANGE))
    assert [(s.key, s.count) for s in report.funnel] == [
        ("shown", SHOWN), ("engaged", ENGAGED), ("added", ADDED), ("ordered", ORDERED)]
    assert [s.rate for s in report.funnel] == [None, pytest.approx(ENGAGED / SHOWN),
                                               pytest.approx(ADDED / ENGAGED), pytest.approx(ORDERED / ADDED)]
    intents = {i.intent: i.count for i in report.intents}
    assert intents["greet"] == data.BULK + 1 and intents["nlu_fallback"] == 2 and intents[FORMULA_INTENT] == 1
    assert report.intents[0].intent == "greet"
    assert sum(i.count for i in report.intents) == turns

    assert len(report.daily) == 30 and report.daily[-1].day == datetime.now(SHOP_TIME).date().isoformat()
    by_day = {d.day: (d.conversations, d.user_turns) for d in report.daily}
    assert by_day[DAY.isoformat()] == (5, turns - data.BULK)  # alice, bob, carol, erin, promo
    assert by_day[(DAY - timedelta(days=1)).isoformat()] == (data.BULK, data.BULK)
    assert sum(c for c, _ in by_day.values()) == len(IN_RANGE)


def test_no_funnel_step_exceeds_the_one_before_though_typed_adds_outnumber_clicks(sqlite_tracker, shop_url):  # noqa: F811
    with session_scope(shop_url) as session:
        rows = dict(session.execute(select(Interaction.event, func.count())
                                    .where(Interaction.dataset == "chat",
                                           Interaction.user_id.in_(["shopper-alice", "shopper-carol"]))
                                    .group_by(Interaction.event)).all())
    assert rows["add_to_cart"] == ADD_ROWS > rows["click"] == CLICK_ROWS  # counting events read 200 %
    report = build_report(sqlite_tracker, shop_url, *last_30_days(), SHOP_TIME)
    assert all(s.rate <= 1.0 for s in report.funnel[1:]), [(s.key, s.rate) for s in report.funnel]
    assert [s.count for s in report.funnel] == sorted((s.count for s in report.funnel), reverse=True)
    assert report.step("added") == ADDED  # carol's typed adds count as engaged and added ...
    assert report.step("ordered") == ORDERED  # ... and an ordered product never shown does not


def test_a_comparison_card_shows_its_products_alike_in_the_console_and_the_event_consumer(built, tmp_path):
    copy_sqlite(built.var / "shop.db", tmp_path / "shop.db")
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    with session_scope(shop) as session:
        p1, p2, p3, p4 = session.scalars(select(Product.id).order_by(Product.id).limit(4))
    t = data.T0
    comparison = lambda a, b: {**data.cards((a, "甲", 99.0), (b, "乙", 199.0)), "type": "comparison",
                               "rows": [{"label": "价格", "values": ["¥99", "¥199"]}]}
    convs = [{"sender_id": "shopper-lists", "events": [
                 *data.session(t), data.user("我想买耳机", "search_product", 0.9, t + 1),
                 data.bot(None, t + 2, custom=data.cards((p1, "甲", 99.0), (p2, "乙", 199.0))),
                 data.user("第二个和第三个比一下", "compare_products", 0.9, t + 3),
                 data.bot(None, t + 4, custom=comparison(p2, p3))]},
             {"sender_id": "shopper-compares", "events": [
                 *data.session(t), data.user("对比一下这两款", "compare_products", 0.9, t + 1),
                 data.bot(None, t + 2, custom=comparison(p3, p4))]}]
    report = build_report(data.sqlite_tracker_db(tmp_path, convs), shop, *last_30_days(), SHOP_TIME)
    settings = Settings(database_url=shop)
    for conv in convs:  # the same events as Rasa's broker delivers them to the consumer
        for event in conv["events"]:
            handle(settings, json.dumps({**event, "sender_id": conv["sender_id"]}).encode())
    with session_scope(shop) as session:
        impressions = {(user, item) for user, item in session.execute(
            select(Interaction.user_id, Interaction.item_id).where(Interaction.dataset == SHOWN_DATASET))}
    assert impressions == {("shopper-lists", p1), ("shopper-lists", p2), ("shopper-lists", p3),
                           ("shopper-compares", p3), ("shopper-compares", p4)}
    assert report.step("shown") == len(impressions)


def test_only_chat_events_of_people_who_chatted_in_the_range_count(tracker_url, shop_url):  # noqa: F811
    old = build_report(tracker_url, shop_url, start(OLD_DAY), start(OLD_DAY + timedelta(days=1)), SHOP_TIME)
    assert (old.conversations, old.user_turns, old.handoffs) == (1, 1, 0)  # dave only
    # dave's later click is outside this range; alice's old order was placed by someone not chatting then
    assert [s.count for s in old.funnel] == [0, 0, 0, 0]
    assert [d.day for d in old.daily] == [OLD_DAY.isoformat()]
    empty = build_report(tracker_url, shop_url, start(DAY + timedelta(days=10)), start(DAY + timedelta(days=11)),
                         SHOP_TIME)
    assert (empty.conversations, empty.fallback_rate, empty.handoff_rate, empty.intents) == (0, 0.0, 0.0, [])


def test_no_tracker_table_yet_gives_an_empty_report(tmp_path, shop_url):
    report = build_report(f"sqlite:///{tmp_path / 'none.db'}", shop_url, *last_30_days(), SHOP_TIME)
    assert report.conversations == 0 and [s.count for s in report.funnel] == [0, 0, 0, 0]


# ---------------------------------------------------------------- CSV and charts


@pytest.mark.parametrize("value, safe", [
    ("=1+2", "'=1+2"), ("+86 138", "'+86 138"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("search_product", "search_product"), ("", ""), (-5, -5), (0.25, 0.25)])
def test_cells_that_a_spreadsheet_would_run_are_quoted(value, safe):
    assert safe_cell(value) == safe


def test_csv_exports_parse_back_and_defuse_formulas(sqlite_tracker, shop_url):  # noqa: F811
    report = build_report(sqlite_tracker, shop_url, *last_30_days(), SHOP_TIME)
    parsed = lambda kind: list(csv.reader(io.StringIO(to_csv(csv_rows(report, kind)).removeprefix("\ufeff"))))
    intents = parsed("intents")
    assert intents[0] == ["intent", "user_turns", "share"]
    assert ["'" + FORMULA_INTENT, "1", f"{1 / report.user_turns:.4f}"] in intents
    assert not any(row[0].startswith("=") for row in intents)
    assert parsed("funnel")[1:] == [["shown", "推荐曝光", str(SHOWN), ""],
                                    ["engaged", "点击或问详情", str(ENGAGED), f"{ENGAGED / SHOWN:.4f}"],
                                    ["added", "加入购物车", str(ADDED), f"{ADDED / ENGAGED:.4f}"],
                                    ["ordered", "下单", str(ORDERED), f"{ORDERED / ADDED:.4f}"]]
    summary = dict(parsed("summary")[1:])
    assert summary["conversations"] == str(len(IN_RANGE)) and summary["handoffs"] == "3"
    assert summary["shown"] == str(SHOWN)
    daily = parsed("daily")
    assert daily[0] == ["date", "conversations", "user_turns"] and len(daily) == 31
    with pytest.raises(ValueError):
        csv_rows(report, "bogus")


def test_charts_escape_labels():
    for svg in (bar_chart([("<script>x</script>", 3)], "意图<"), column_chart([("2026-11-01", 2)], "a&b"),
                funnel_chart([("<b>曝光</b>", 5, None), ("点击", 2, 0.4)], "漏斗")):
        assert svg.startswith('<svg class="chart"') and "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in bar_chart([("<script>", 1)], "t") and "40.0%" in funnel_chart([("a", 5, None), ("b", 2, 0.4)], "t")
    assert "暂无数据" in bar_chart([], "t") and "暂无数据" in column_chart([], "t")


# ---------------------------------------------------------------- the page and the CSV route


def cell(body: str, attr: str) -> str:
    return re.search(rf"<td {re.escape(attr)}>([^<]*)</td>", body).group(1)


def test_the_analytics_page_shows_tables_and_three_charts(client):
    body = client.get("/console/analytics").text
    assert cell(body, 'data-metric="conversations"') == str(len(IN_RANGE))
    assert cell(body, 'data-metric="handoffs"') == "3"
    assert [cell(body, f'data-step="{n}"') for n in range(4)] == [str(SHOWN), str(ENGAGED), str(ADDED),
                                                                 str(ORDERED)]
    assert body.count('<svg class="chart"') == 3
    assert cell(body, f'data-day="{DAY.isoformat()}"') == "5"
    assert cell(body, f'data-intent="{escape(FORMULA_INTENT)}"') == "1"
    assert FORMULA_INTENT not in body  # its quotes are escaped like everything else
    today = datetime.now(SHOP_TIME).date()
    assert f'name="from" value="{(today - timedelta(days=29)).isoformat()}"' in body
    assert "kind=funnel&amp;from=" in body

    old = client.get("/console/analytics", params={"from": OLD_DAY.isoformat(), "to": OLD_DAY.isoformat()}).text
    assert cell(old, 'data-metric="conversations"') == "1"
    future = client.get("/console/analytics", params={"from": "2099-12-31"})  # `to` defaults to `from` then
    assert future.status_code == 200 and cell(future.text, 'data-metric="conversations"') == "0"


def test_the_csv_route_sends_an_attachment(client, client_for, console):  # noqa: F811
    params = {"kind": "intents", "from": DAY.isoformat(), "to": DAY.isoformat()}
    reply = client.get("/console/analytics.csv", params=params)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert reply.headers["content-disposition"] == (
        f'attachment; filename="daogou-intents-{DAY.isoformat()}-{DAY.isoformat()}.csv"')
    assert reply.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert ["'" + FORMULA_INTENT, "1"] == rows[[r[0] for r in rows].index("'" + FORMULA_INTENT)][:2]
    assert client.get("/console/analytics.csv", params={"kind": "bogus"}).status_code == 422
    anonymous = client_for(console).get("/console/analytics.csv", follow_redirects=False)
    assert anonymous.status_code == 303


@pytest.mark.parametrize(("params", "reason"), data.BAD_RANGES)
def test_a_bad_date_or_range_is_a_422_with_the_reason_on_the_page_and_every_export(client, params, reason):
    page = client.get("/console/analytics", params=params)
    assert page.status_code == 422 and str(escape(reason)) in page.text
    assert re.search(r'<p class="error" role="alert">[^<]+</p>', page.text)
    assert 'class="filters"' in page.text and '<svg class="chart"' not in page.text and "analytics.csv" not in page.text
    for name, value in params.items():  # shown back, to be corrected
        assert f'name="{name}" value="{escape(value)}"' in page.text
    for kind in ("summary", "daily", "intents", "funnel"):
        export = client.get("/console/analytics.csv", params={"kind": kind, **params})
        assert export.status_code == 422 and reason in export.json()["detail"], kind


def test_the_login_is_checked_before_the_dates(client_for, console):  # noqa: F811
    anonymous = client_for(console)
    for path in ("/console/analytics", "/console/analytics.csv", "/console", "/console/api/conversations",
                 "/console/api/conversations/shopper-bob"):
        reply = anonymous.get(path, params={"to": "9999-12-31", "since": "nan"}, follow_redirects=False)
        assert reply.status_code == (401 if "/api/" in path else 303), path
