"""The production profile against real processes: two Rasa instances and two action workers on
one PostgreSQL tracker store, the Redis lock store, the RabbitMQ event broker and its consumer.

Needs PostgreSQL, Redis and RabbitMQ on loopback: skips with a message where they are absent,
fails under CI's SHOPBOT_REQUIRE_SERVICES=1. One stack serves the module (two Rasa loads), its
catalog a clone of the session's PostgreSQL template; the tests that kill processes come last.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from core.settings import Settings
from store.db import engine_for, ensure_database
from store.history import SHOWN_DATASET
from store.models import Annotation, Interaction
from tests.conftest import POSTGRES_ADMIN_URL, Stack, create_postgres_database, postgres_url, service_unavailable

pytestmark = pytest.mark.integration


def _require_services(settings: Settings) -> None:
    import pika
    import redis

    try:
        with create_engine(POSTGRES_ADMIN_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        service_unavailable(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    try:
        redis.Redis.from_url(settings.redis_url, socket_timeout=3).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis not reachable at {settings.redis_url}: {exc}")
    try:
        pika.BlockingConnection(pika.URLParameters(settings.broker_url)).close()
    except pika.exceptions.AMQPError as exc:
        service_unavailable(f"RabbitMQ not reachable at {settings.broker_url}: {exc!r}")


def _drop(settings: Settings) -> None:
    """Remove the test's databases, queue and exchange."""
    import pika

    for url in (settings.db_url, settings.tracker_db_url):
        engine_for(url).dispose()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for url in (settings.db_url, settings.tracker_db_url):
            name = url.rsplit("/", 1)[1]
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    try:
        connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
        channel = connection.channel()
        channel.queue_delete(settings.broker_queue)
        channel.exchange_delete(settings.broker_exchange)
        connection.close()
    except pika.exceptions.AMQPError:
        pass


@pytest.fixture(scope="module")
def production(rasa_model: Settings, request: pytest.FixtureRequest, tmp_path_factory):
    """Two Rasa instances, two action workers and the broker consumer in the production profile,
    on a clone of the shipped shop in PostgreSQL and a tracker database of their own."""
    _require_services(rasa_model)
    template = request.getfixturevalue("postgres_shop_template")  # after the check: it takes ~40 s
    tag = uuid.uuid4().hex[:10]
    stack = Stack(rasa_model, tmp_path_factory.mktemp("production"), profile="production",
                  postgres_url=POSTGRES_ADMIN_URL.rsplit("/", 1)[0],
                  database_url=postgres_url(create_postgres_database("daogou_t", template)),
                  tracker_url=postgres_url(f"daogou_rasa_t{tag}"), broker_queue=f"daogou_t{tag}")
    settings = stack.settings
    try:
        ensure_database(settings.tracker_db_url)
        stack.start_consumer()
        stack.start_actions()
        stack.start_rasa(0, 1)
        yield stack
    finally:
        stack.stop_all()
        _drop(settings)


def _texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _products(messages: list[dict]) -> list[dict]:
    return [p for m in messages if (m.get("custom") or {}).get("type") == "products"
            for p in m["custom"]["products"]]


def _user_texts(stack: Stack, sender: str, instance: int = 0) -> list[str]:
    return [e["text"] for e in stack.tracker(sender, instance)["events"] if e["event"] == "user"]


def test_a_conversation_alternating_between_instances_keeps_its_state(production):
    listed = _products(production.say("prod-alternate", "我想买蓝牙耳机", instance=0))
    assert len(listed) >= 2
    reply = production.say("prod-alternate", "第二个加入购物车", instance=1)
    assert listed[1]["title"] in _texts(reply)
    assert _user_texts(production, "prod-alternate", 1) == ["我想买蓝牙耳机", "第二个加入购物车"]


def test_simultaneous_turns_of_one_shopper_on_both_instances_never_interleave(production):
    asks = {"我想买手机": "手机", "我想买运动鞋": "运动鞋", "我想买吹风机": "吹风机", "我想买保温杯": "保温杯"}
    with ThreadPoolExecutor(len(asks)) as pool:
        replies = list(pool.map(lambda n_ask: production.say("prod-race", n_ask[1], instance=n_ask[0] % 2),
                                enumerate(asks)))
    for ask, reply in zip(asks, replies):  # each shopper message got its own answer
        assert {p["category"] for p in _products(reply)} == {asks[ask]}
    # In the stored conversation every turn is whole: a user message, its actions, then listen.
    events = [e for e in production.tracker("prod-race")["events"]
              if e["event"] in ("user", "action") and e.get("name") != "action_session_start"]
    turns, current = [], []
    for event in events:
        if event["event"] == "user":
            assert not current, f"a turn started before the previous one finished: {current}"
            current = [event["text"]]
        elif current:
            current.append(event["name"])
            if event["name"] == "action_listen":
                turns.append(current)
                current = []
    assert sorted(t[0] for t in turns) == sorted(asks)
    assert all("action_search_products" in t for t in turns)


def _shown(settings: Settings, sender: str) -> set[str]:
    with engine_for(settings.db_url).connect() as conn:
        return set(conn.scalars(select(Interaction.item_id).where(
            Interaction.dataset == SHOWN_DATASET, Interaction.user_id == sender)))


def _wait_for_shown(settings: Settings, sender: str, ids: set[str], timeout: float = 30) -> set[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ids <= (seen := _shown(settings, sender)):
            return seen
        time.sleep(0.5)
    return _shown(settings, sender)


def test_products_shown_in_chat_reach_the_interactions_table_through_the_broker(production):
    listed = {p["id"] for p in _products(production.say("prod-shown", "我想买保温杯"))}
    assert listed
    assert _wait_for_shown(production.settings, "prod-shown", listed) == listed


def _shipped_shopper_with_orders(settings: Settings) -> str:
    with engine_for(settings.db_url).connect() as conn:
        return conn.execute(text("SELECT user_id FROM orders GROUP BY user_id ORDER BY count(*) DESC, "
                                 "user_id LIMIT 1")).scalar_one()


def test_production_services_are_internal_and_authenticated(production):
    settings = production.settings
    for instance in (0, 1):
        rest = httpx.post(f"{production.url(instance)}/webhooks/rest/webhook",
                          json={"sender": "u00001", "message": "我的订单"}, timeout=30)
        assert rest.status_code == 401
    for _ in range(4):  # a new connection each time: either action worker may answer
        assert httpx.post(settings.action_url, json={"next_action": "action_confirm"}, timeout=30).status_code == 401
    ports = {settings.rasa_port, settings.rasa_port + 1, settings.action_port}
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    bound = {int(port): address for line in listening.splitlines()
             for address, _, port in [line.split()[3].rpartition(":")] if int(port) in ports}
    assert set(bound) == ports and all(a not in ("0.0.0.0", "*", "[::]") for a in bound.values()), bound


def test_the_production_relay_derives_the_shopper_from_the_token(production, client_for):
    victim = _shipped_shopper_with_orders(production.settings)
    web = client_for(production.settings)
    forged = web.post("/api/chat", json={"sender": victim, "message": "我的订单到哪了"}).json()
    assert "登录" in _texts(forged["messages"]) and forged["session"]["sender"] != victim
    mine = web.post("/api/chat", json={"message": "我的订单到哪了"},
                    headers={"Authorization": f"Bearer {production.token(victim)}"}).json()
    assert any(b["payload"].startswith("查订单 DD") for m in mine["messages"] for b in m.get("buttons") or [])


def _rows_naming(url: str, needle: str) -> dict[str, int]:
    """Rows of every table, in every column (cast to text), that contain `needle`."""
    engine = engine_for(url)
    found = {}
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            columns = [c["name"] for c in inspect(engine).get_columns(table)]
            where = " OR ".join(f'CAST("{c}" AS TEXT) LIKE :needle' for c in columns)
            count = conn.execute(text(f'SELECT count(*) FROM "{table}" WHERE {where}'),
                                 {"needle": f"%{needle}%"}).scalar_one()
            if count:
                found[table] = count
    return found


def test_privacy_forget_leaves_no_row_naming_the_shopper_in_either_database(production, tmp_path):
    settings = production.settings
    user = _shipped_shopper_with_orders(settings)
    listed = {p["id"] for p in _products(production.say(user, "我想买保温杯"))}
    production.say(user, "第一个加入购物车")
    assert _wait_for_shown(settings, user, listed) == listed  # the consumer has written them
    with Session(engine_for(settings.db_url)) as session, session.begin():
        session.add(Annotation(sender_id=user, text="我想买保温杯", intent="search_product",
                               staff="tester", created_at=datetime.now(timezone.utc)))
    assert _rows_naming(settings.db_url, user) and _rows_naming(settings.tracker_db_url, user)
    forgot = subprocess.run([sys.executable, "-m", "cli.main", "privacy", "forget", "--user", user, "--yes",
                             "--nlu-file", str(tmp_path / "annotations.yml")],
                            env=production.env, cwd=settings.root, capture_output=True, text=True, timeout=120)
    assert forgot.returncode == 0, forgot.stderr
    assert _rows_naming(settings.db_url, user) == {}
    assert _rows_naming(settings.tracker_db_url, user) == {}


def _drop_connections(settings: Settings) -> int:
    """What a PostgreSQL restart or a proxy timeout does: every client connection is cut."""
    names = [url.rsplit("/", 1)[1] for url in (settings.db_url, settings.tracker_db_url)]
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        cut = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = ANY(:names) AND pid <> pg_backend_pid()"),
                           {"names": names}).scalar_one()
    admin.dispose()
    return cut


def test_turns_succeed_after_postgres_drops_every_connection(production):
    production.say("prod-pg", "你好", instance=0)
    production.say("prod-pg", "你好", instance=1)  # both instances now hold pooled connections
    assert _drop_connections(production.settings) > 0
    listed = _products(production.say("prod-pg", "我想买运动鞋", instance=0))
    assert {p["category"] for p in listed} == {"运动鞋"}
    assert _drop_connections(production.settings) > 0
    assert listed[0]["title"] in _texts(production.say("prod-pg", "第一个加入购物车", instance=1))
    assert _user_texts(production, "prod-pg") == ["你好", "你好", "我想买运动鞋", "第一个加入购物车"]
    # the consumer's connection was cut too; it still records what the shopper saw
    ids = {p["id"] for p in listed}
    assert _wait_for_shown(production.settings, "prod-pg", ids) >= ids


def test_killed_action_server_gets_an_apology_then_the_conversation_continues(production):
    listed = _products(production.say("prod-actions", "我想买吹风机"))
    assert listed
    production.stop_actions(signal.SIGKILL)
    try:
        reply = production.say("prod-actions", "第一个加入购物车", instance=1)
        assert "抱歉" in _texts(reply)
        assert not any(m.get("custom") for m in reply)
    finally:
        production.start_actions()
    # the slots (the list shown before the outage) survived: "第一个" still means the same product
    assert listed[0]["title"] in _texts(production.say("prod-actions", "第一个加入购物车", instance=0))


def test_when_one_rasa_instance_dies_the_other_answers_with_full_context(production, client_for):
    listed = _products(production.say("prod-failover", "我想买手机", instance=1))
    assert len(listed) >= 2
    production.stop_rasa(1, signal.SIGKILL)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{production.url(1)}/", timeout=2)
    assert listed[1]["title"] in _texts(production.say("prod-failover", "第二个加入购物车", instance=0))
    # the web app's relay sends every turn to the living instance
    web = client_for(production.settings)
    for n in range(4):
        body = web.post("/api/chat", json={"sender": "prod-relay", "message": "我想买保温杯"}).json()
        assert not body.get("degraded"), body
        assert _products(body["messages"]), body
