"""Conversations written into a tracker store by Rasa itself (tests/support/rasa_replay.py in .venv-rasa),
and a shop database with the chat funnel's clicks, add-to-cart events and order lines, for
tests/web/console/test_console_conversations.py and tests/web/console/test_console_analytics.py."""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.clock import SHOP_TIME
from web.console.auth import add_staff
from core.settings import PROJECT_ROOT, Settings, get_settings
from store.db import engine_for, migrate, session_scope
from store.models import Interaction, Order, OrderItem
from tests.conftest import POSTGRES_ADMIN_URL, create_postgres_database

RASA_PYTHON = Settings().rasa_bin("python")
# Three days ago at 10:00 shop time: inside the default 30-day analytics range, and a whole
# day of its own for the date filters.
DAY = datetime.now(SHOP_TIME).date() - timedelta(days=3)
T0 = datetime.combine(DAY, time(10), SHOP_TIME).timestamp()
OLD_DAY = DAY - timedelta(days=40)
T_OLD = datetime.combine(OLD_DAY, time(9), SHOP_TIME).timestamp()

XSS = "<img src=x onerror=alert(1)>"
CARD_XSS = "<script>alert(1)</script>降噪耳机"
FORMULA_INTENT = "=HYPERLINK(\"http://evil.example\",\"x\")"
BULK = 55  # one-message conversations, to make the list page
AGENT, PASSWORD = "reviewer", "review-pass-1"  # the staff account of `console`


def user(text_: str, intent: str, confidence: float, ts: float, entities: list[dict] | None = None,
         ranking: list[tuple[str, float]] | None = None) -> dict:
    ranking = ranking or [(intent, confidence)]
    return {"event": "user", "text": text_, "timestamp": ts, "input_channel": "rest",
            "parse_data": {"text": text_, "intent": {"name": intent, "confidence": confidence},
                           "entities": entities or [],
                           "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}}


def bot(text_: str | None, ts: float, buttons: list[str] | None = None, custom: dict | None = None,
        agent: str | None = None) -> dict:
    data: dict = {}
    if buttons:
        data["buttons"] = [{"title": b, "payload": b} for b in buttons]
    if custom is not None:
        data["custom"] = custom
    event = {"event": "bot", "text": text_, "timestamp": ts, "data": data}
    if agent:
        event["metadata"] = {"agent": agent}
    return event


def action(name: str, ts: float, policy: str = "RulePolicy", confidence: float = 1.0) -> dict:
    return {"event": "action", "name": name, "timestamp": ts, "policy": policy, "confidence": confidence}


def slot(name: str, value, ts: float) -> dict:
    return {"event": "slot", "name": name, "value": value, "timestamp": ts}


def cards(*items: tuple[str, str, float]) -> dict:
    return {"type": "products", "products": [
        {"id": pid, "title": title, "brand": "测试", "category": "蓝牙耳机", "price": price,
         "list_price": price, "color": "黑色", "rating": 4.5, "image": f"/images/{pid}.svg",
         "score": 0.9, "reason": ""} for pid, title, price in items]}


def session(ts: float) -> list[dict]:
    return [action("action_session_start", ts, None, None), {"event": "session_started", "timestamp": ts},
            action("action_listen", ts)]


def conversations() -> list[dict]:
    """The test conversations (sender → Rasa event dicts); see the expectations below."""
    t = T0
    alice = [*session(t),
             user("我想买蓝牙耳机", "search_product", 0.93, t + 1,
                  [{"entity": "category", "value": "蓝牙耳机", "start": 3, "end": 7,
                    "extractor": "DIETClassifier", "confidence_entity": 0.987}],
                  [("search_product", 0.93), ("refine_search", 0.04), ("ask_recommendation", 0.02),
                   ("greet", 0.01)]),
             action("action_search_products", t + 2, "TEDPolicy", 0.98),
             bot("为您找到这些蓝牙耳机：\n1. …", t + 3, buttons=["再便宜点", "第一个加入购物车"]),
             bot(None, t + 3.1, custom=cards(("P1", CARD_XSS, 199.0), ("P2", "运动耳机", 99.5),
                                             ("P3", "头戴耳机", 599.0))),
             slot("search_query", {"category": "蓝牙耳机"}, t + 3.2),
             action("action_listen", t + 3.3),
             user("第一个加入购物车", "add_to_cart", 0.88, t + 10),
             action("action_add_to_cart", t + 11),
             bot("已加入购物车：" + CARD_XSS, t + 12),
             user("去结算", "checkout", 0.97, t + 20), action("action_checkout", t + 21),
             bot("应付 ¥199，确认下单吗？", t + 22, buttons=["确认下单"]),
             user("确认下单", "checkout", 0.91, t + 30), action("action_checkout", t + 31),
             bot("下单成功！订单号 DD2026", t + 32)]
    b = T0 + 600
    bob = [*session(b),
           user("太差了，投诉", "complain", 0.95, b + 1),
           action("action_handoff", b + 2),
           slot("handoff_requested", True, b + 3), slot("handoff_reason", "negative_sentiment", b + 3.1),
           bot("非常抱歉，马上为您转人工客服。", b + 4),
           {"event": "pause", "timestamp": b + 60},
           bot("您好，我是人工客服小李，接下来由我为您服务。", b + 61, agent="小李",
               custom={"type": "handoff", "state": "agent", "agent": "小李"}),
           user(XSS, "out_of_scope", 0.41, b + 70)]
    c = T0 + 1200
    carol = [*session(c),
             user("asdfgh", "nlu_fallback", 0.3, c + 1), action("action_handle_fallback", c + 2),
             bot("不好意思，我没太明白。", c + 3),
             user("qwerty", "nlu_fallback", 0.25, c + 10), action("action_handle_fallback", c + 11),
             slot("handoff_requested", True, c + 12), slot("handoff_reason", "repeated_fallback", c + 12.1),
             bot("我帮您转人工。", c + 13),
             {"event": "pause", "timestamp": c + 20}, {"event": "resume", "timestamp": c + 40},
             slot("handoff_requested", False, c + 40.1),
             user("嗯嗯", FORMULA_INTENT, 0.2, c + 50),
             action("action_default_fallback", c + 51, "RulePolicy", 0.3),
             user("有没有运动耳机", "search_product", 0.9, c + 60),
             action("action_search_products", c + 61, "TEDPolicy", 0.95),
             bot(None, c + 62, custom=cards(("P2", "运动耳机", 99.5), ("P4", "骨传导耳机", 399.0)))]
    e = T0 + 1800
    erin = [*session(e), user("转人工", "human_handoff", 0.99, e + 1), action("action_handoff", e + 2),
            slot("handoff_requested", True, e + 3), slot("handoff_reason", "requested", e + 3.1),
            bot("好的，正在为您转接人工客服，请稍等。", e + 4)]
    dave = [*session(T_OLD), user("你好", "greet", 0.99, T_OLD + 1), bot("您好！", T_OLD + 2)]
    out = [{"sender_id": "shopper-alice", "events": alice}, {"sender_id": "shopper-bob", "events": bob},
           {"sender_id": "shopper-carol", "events": carol}, {"sender_id": "shopper-erin", "events": erin},
           {"sender_id": "shopper-dave", "events": dave},
           {"sender_id": "promo_50%off", "events": [user("在吗", "greet", 0.9, T0 - 3600)]}]
    out += [{"sender_id": f"bulk-{n:03d}", "events": [user("你好", "greet", 0.99, T0 - 86400 + n)]}
            for n in range(BULK)]
    return out


# What the conversations above must give.
IN_RANGE = ["shopper-alice", "shopper-bob", "shopper-carol", "shopper-erin", "promo_50%off"] + [f"bulk-{n:03d}" for n in range(BULK)]
USER_TURNS = {"shopper-alice": 4, "shopper-bob": 2, "shopper-carol": 4, "shopper-erin": 1, "shopper-dave": 1,
              "promo_50%off": 1, **{f"bulk-{n:03d}": 1 for n in range(BULK)}}
LATEST_FIRST = ["shopper-erin", "shopper-carol", "shopper-bob", "shopper-alice", "promo_50%off",
                *(f"bulk-{n:03d}" for n in reversed(range(BULK))), "shopper-dave"]
FALLBACKS = {"shopper-carol": 3}  # two nlu_fallback + one action_default_fallback
# The funnel, per shopper × product: alice was shown P1–P3, clicked P1 and P2, added and ordered
# P1; carol was shown P2 and P4 and typed both into her cart without a click. Typed adds outnumber
# clicks (ADD_ROWS > CLICK_ROWS), yet each step holds only pairs of the step before.
SHOWN, ENGAGED, ADDED, ORDERED = 5, 4, 3, 1
CLICK_ROWS, ADD_ROWS = 2, 4

# Sender ids that a URL path cannot carry as they are: each is listed, opened and polled in
# tests/web/console/test_console_conversations.py (a tracker store of their own, `odd_tracker`).
ODD = "shop/用户 1?x=%2F#a"
LONG = "顾客/" + "长" * 248 + "?#%x"  # 255 characters, Rasa's sender_id column
ODD_SENDERS = [ODD, "a/b/c", "../shopper-bob", "x/../shopper-alice", "50%off%2F", "promo?code=1&y=2",
               "#top", " 两头空格 ", "<b>x</b>\"'&", LONG]

BAD_RANGES = [  # (from / to, the reason a 422 gives): every console page and API taking dates
    ({"to": "9999-12-31"}, "结束日期超出范围：9999-12-31"),
    ({"from": "0001-01-01"}, "开始日期超出范围：0001-01-01"),
    ({"from": "1999-12-31"}, "开始日期超出范围"),
    ({"to": "2100-01-01"}, "结束日期超出范围"),
    ({"from": "2026-13-45"}, "开始日期格式不正确"),
    ({"to": "2026-02-30"}, "结束日期格式不正确"),
    ({"from": "20260105"}, "开始日期格式不正确"),
    ({"to": "明天"}, "结束日期格式不正确"),
    ({"from": "275760-01-01"}, "开始日期格式不正确"),  # the largest year a date input offers
    ({"from": "2026-05-02", "to": "2026-05-01"}, "开始日期 2026-05-02 不能晚于结束日期 2026-05-01"),
]


def odd_conversations() -> list[dict]:
    """One short conversation per odd sender id, the last of ODD_SENDERS the newest."""
    return [{"sender_id": sender, "events": [user(f"我是{sender}", "greet", 0.9, T0 + 3000 + 10 * n),
                                              bot(XSS, T0 + 3001 + 10 * n)]}
            for n, sender in enumerate(ODD_SENDERS)]


def replay(store: dict, convs: list[dict], workdir: Path) -> None:
    """Have Rasa's SQLTrackerStore write the conversations (a .venv-rasa subprocess)."""
    spec = workdir / f"replay-{uuid.uuid4().hex[:6]}.json"
    spec.write_text(json.dumps({"store": store, "conversations": convs}, ensure_ascii=False), encoding="utf-8")
    with spec.open("rb") as stdin:
        done = subprocess.run([RASA_PYTHON, str(PROJECT_ROOT / "tests" / "support" / "rasa_replay.py")],
                              stdin=stdin, capture_output=True, timeout=180,
                              env={**os.environ, "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    assert done.returncode == 0, done.stderr.decode()[-3000:]


def sqlite_tracker_db(workdir: Path, convs: list[dict] | None = None) -> str:
    """A SQLite tracker store written by Rasa (`conversations()` unless told otherwise)."""
    path = workdir / "tracker.db"
    replay({"dialect": "sqlite", "db": str(path)}, convs or conversations(), workdir)
    return f"sqlite:///{path}"


def postgres_tracker(workdir: Path, convs: list[dict] | None = None) -> tuple[str, str]:
    """A fresh PostgreSQL database written by Rasa (`conversations()` unless told otherwise):
    (psycopg URL for us, its name to drop)."""
    name = create_postgres_database("daogou_tracker")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name)
    replay({"dialect": "postgresql", "host": url.host, "port": url.port or 5432, "db": name,
            "username": url.username, "password": url.password}, convs or conversations(), workdir)
    return url.render_as_string(hide_password=False), name


def drop_postgres(name: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def shop_db(workdir: Path) -> str:
    """A migrated shop database with the funnel's events: only chat events and orders of products
    shown in the range count (SHOWN … ORDERED); the rest are there to be left out."""
    url = f"sqlite:///{workdir / 'shop.db'}"
    migrate(url)
    at = lambda ts: datetime.fromtimestamp(ts, timezone.utc)
    with session_scope(url) as s:
        s.add_all([
            Interaction(dataset="chat", user_id="shopper-alice", item_id="P1", event="click", timestamp=at(T0 + 5)),
            Interaction(dataset="chat", user_id="shopper-alice", item_id="P2", event="click", timestamp=at(T0 + 6)),
            Interaction(dataset="chat", user_id="shopper-alice", item_id="P1", event="add_to_cart", timestamp=at(T0 + 11)),
            Interaction(dataset="chat", user_id="shopper-alice", item_id="P1", event="purchase", timestamp=at(T0 + 31)),
            Interaction(dataset="chat", user_id="shopper-carol", item_id="P2", event="add_to_cart", timestamp=at(T0 + 1263)),
            Interaction(dataset="chat", user_id="shopper-carol", item_id="P4", event="add_to_cart", timestamp=at(T0 + 1264)),
            # left out: a product carol added by name but was never shown
            Interaction(dataset="chat", user_id="shopper-carol", item_id="P9", event="add_to_cart", timestamp=at(T0 + 1265)),
            # left out: the shop's own history, a shopper who never chatted, a sender outside the range
            Interaction(dataset="shop", user_id="shopper-alice", item_id="P3", event="click", timestamp=at(T0 + 7)),
            Interaction(dataset="chat", user_id="web-only", item_id="P1", event="click", timestamp=at(T0 + 8)),
            Interaction(dataset="chat", user_id="shopper-dave", item_id="P1", event="click", timestamp=at(T0 + 9)),
            Order(id="DD1", user_id="shopper-alice", status="待付款", created_at=at(T0 + 31), total=298.0,
                  items=[OrderItem(product_id="P1", quantity=1, price=199.0),
                         OrderItem(product_id="P8", quantity=1, price=99.0)]),  # P8 was never shown
            Order(id="DD0", user_id="shopper-alice", status="已完成", created_at=at(T_OLD), total=99.0,
                  items=[OrderItem(product_id="P2", quantity=1, price=99.0)]),
            Order(id="DD2", user_id="web-only", status="待付款", created_at=at(T0 + 40), total=99.0,
                  items=[OrderItem(product_id="P1", quantity=1, price=99.0)]),
        ])
    return url


# ---------------------------------------------------------------- fixtures (import them by name)


@pytest.fixture(scope="module")
def sqlite_tracker(tmp_path_factory) -> str:
    return sqlite_tracker_db(tmp_path_factory.mktemp("tracker"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tracker_url(request, sqlite_tracker, tmp_path_factory) -> Iterator[str]:
    """The same conversations written by Rasa into SQLite and into PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_tracker
        return
    url, name = postgres_tracker(tmp_path_factory.mktemp("pg"))
    try:
        yield url
    finally:
        engine_for(url).dispose()
        drop_postgres(name)


def private_limits() -> str:
    """A rate-limit storage of its own (the limiter is cached per URI): login throttling in one
    test never sees another's failed attempts."""
    return f"memory://?test={uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def console(sqlite_tracker, tmp_path_factory) -> Settings:
    """Settings on a shop database with a staff account, reading the SQLite tracker store."""
    folder = tmp_path_factory.mktemp("console")
    settings = get_settings().model_copy(update={"database_url": shop_db(folder),
                                                 "tracker_url": sqlite_tracker,
                                                 "rate_limit_storage": private_limits()})
    add_staff(settings.db_url, AGENT, PASSWORD, "agent")
    return settings


def logged_in_client(client_for, settings: Settings):
    """A TestClient logged in as the agent of these settings."""
    client = client_for(settings)
    reply = client.post("/console/login", data={"username": AGENT, "password": PASSWORD, "next": "/console"},
                        follow_redirects=False)
    assert reply.status_code == 303
    return client


@pytest.fixture
def client(client_for, console):
    """A TestClient logged in as the agent of `console`."""
    return logged_in_client(client_for, console)


@pytest.fixture(scope="module")
def odd_tracker(tmp_path_factory) -> str:
    """A SQLite tracker store Rasa wrote with the conversations of ODD_SENDERS."""
    workdir = tmp_path_factory.mktemp("odd-tracker")
    replay({"dialect": "sqlite", "db": str(workdir / "tracker.db")}, odd_conversations(), workdir)
    return f"sqlite:///{workdir / 'tracker.db'}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def odd_tracker_url(request, odd_tracker, tmp_path_factory) -> Iterator[str]:
    """The conversations of ODD_SENDERS written by Rasa into SQLite and into PostgreSQL."""
    if request.param == "sqlite":
        yield odd_tracker
        return
    url, name = postgres_tracker(tmp_path_factory.mktemp("odd-pg"), odd_conversations())
    try:
        yield url
    finally:
        engine_for(url).dispose()
        drop_postgres(name)


@pytest.fixture(scope="module")
def odd_console(odd_tracker, tmp_path_factory) -> Settings:
    """Settings reading `odd_tracker`, on a console database with the agent."""
    folder = tmp_path_factory.mktemp("odd-console")
    settings = get_settings().model_copy(update={"database_url": f"sqlite:///{folder / 'console.db'}",
                                                 "tracker_url": odd_tracker,
                                                 "rate_limit_storage": private_limits()})
    add_staff(settings.db_url, AGENT, PASSWORD, "agent")
    return settings


class DecodedOnce(httpx.BaseTransport):
    """Starlette's TestClient percent-decodes httpx's already decoded path a second time (a sender
    id's "%2F" would arrive as "/"); escaping each "%" once more makes the app see the path decoded
    once, as uvicorn hands it over (test_odd_sender_ids_over_http checks that under uvicorn)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path, mark, query = request.url.raw_path.partition(b"?")
        request.url = request.url.copy_with(raw_path=path.replace(b"%", b"%25") + mark + query)
        return self.inner.handle_request(request)


@pytest.fixture
def odd_client(client_for, odd_console):
    """A TestClient logged in as the agent of `odd_console`, whose paths arrive decoded once."""
    client = logged_in_client(client_for, odd_console)
    client._transport = DecodedOnce(client._transport)
    return client


SANIC_ROUTER = """
import json, sys
from sanic import Sanic
from sanic.response import empty
app = Sanic("console_probe")
async def handler(request, conversation_id):
    return empty()
app.add_route(handler, "/conversations/<conversation_id:path>/tracker", methods=["GET"])
app.add_route(handler, "/conversations/<conversation_id:path>/tracker/events", methods=["POST"], name="events")
app.router.finalize()
requests = json.load(sys.stdin)
print(json.dumps([app.router.get(path, method, None)[2]["conversation_id"] for method, path in requests]))
"""


def sanic_reads(requests: list[tuple[str, str]]) -> list[str]:
    """The conversation id Rasa's Sanic router reads from each (method, raw path): Rasa 3.6's own
    route patterns, matched in .venv-rasa exactly as Sanic matches a request."""
    done = subprocess.run([RASA_PYTHON, "-c", SANIC_ROUTER], input=json.dumps(requests).encode(),
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return json.loads(done.stdout)
