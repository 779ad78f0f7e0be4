"""`shopbot privacy forget|export` on SQLite and PostgreSQL: a shopper (X) with a profile, events
of every dataset, impressions, a cart, orders, staff annotations exported as NLU YAML and a
conversation written by Rasa's own SQLTrackerStore into a second database; another shopper (Y)
alongside. After forgetting X, no row of any table of either database holds X, Y is untouched,
the exported training file keeps Y's lines only, and X's orders carry a random alias."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import MetaData, Table, inspect, select, text
from sqlalchemy.engine import make_url

from web.console.teach import export_annotations, plain_text, read_nlu
from store.db import engine_for, migrate, session_scope
from store.history import SHOWN_DATASET, record_shown
from store.models import (Annotation, CartItem, Interaction, LogisticsEvent, Order, OrderItem,
                          Product, User)
from web.console.nlu_forget import export_scrubber
from store.privacy import ALIAS_PREFIX, export_user, forget_user
from tests.conftest import POSTGRES_ADMIN_URL, create_postgres_database
from tests.support.console_data import action, bot, cards, drop_postgres, replay, session, slot, user

X, Y = "lin-xiaohong-7731", "zhao-daming-2468"
X_NAME, X_ADDRESS = "林晓红", "北京市朝阳区望京街88号"
Y_NAME, Y_ADDRESS = "赵大明", "上海市浦东新区世纪大道100号"
X_SAID = ("我想买紫色口红送给林晓红", "望京街88号今天能送到吗")  # verbatim words: chats and annotations
Y_SAID = ("有没有黑色的降噪耳机", "世纪大道100号可以自提吗")
SHARED = "有优惠券吗"  # both said it; staff corrected both (X's correction is the later one)
HAND_WRITTEN = "你好呀小导"  # an example staff typed into the exported file themselves
X_MARKERS = (X, X_NAME, X_ADDRESS, *X_SAID)
X_ORDERS = (f"DD{X[:4]}0", f"DD{X[:4]}1")
T0 = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)


# ---------------------------------------------------------------- the two shoppers' data


def conversation(sender: str, said: tuple[str, str], name: str, start: float) -> dict:
    """A chat through Rasa's events: product cards shown, the shopper's words, a slot with their name."""
    t = start
    return {"sender_id": sender, "events": [
        *session(t),
        user(said[0], "search_product", 0.91, t + 1),
        action("action_search_products", t + 2, "TEDPolicy", 0.97),
        bot(f"{name}，为您找到这些：", t + 3),
        bot(None, t + 3.1, custom=cards(("P1", "雅诗兰黛口红", 299.0), ("P2", "降噪耳机", 899.0))),
        slot("search_query", {"query": said[0], "recipient": name}, t + 3.2),
        action("action_listen", t + 3.3),
        user(said[1], "ask_order", 0.42, t + 10),
        bot(f"好的，{name}，我帮您查一下。", t + 11),
        user(SHARED, "ask_promotion", 0.5, t + 20),
    ]}


def shopper(sender: str, name: str, address: str) -> list:
    """Profile, interactions of four datasets, a cart and (for X: two) orders with logistics."""
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    rows: list = [User(id=sender, name=name, gender="女", age=30, city="北京", registered_at=T0),
                  CartItem(user_id=sender, product_id="P2", quantity=1, added_at=at(5))]
    rows += [Interaction(dataset=dataset, user_id=sender, item_id=item, event=event, timestamp=at(n))
             for n, (dataset, item, event) in enumerate([("shop", "P1", "purchase"), ("chat", "P1", "click"),
                                                          ("chat", "P2", "add_to_cart"), ("bench", "P9", "view")])]
    for n in range(2 if sender == X else 1):
        order = Order(id=f"DD{sender[:4]}{n}", user_id=sender, status="已签收", created_at=at(30 + n), total=299.0,
                      discount=10.0, coupon="SAVE10", address=address, carrier="顺丰速运",
                      tracking_no=f"SF{1000 + n}{len(sender)}")
        order.items = [OrderItem(product_id="P1", quantity=1, price=299.0)]
        order.logistics = [
            LogisticsEvent(time=at(60), status="已发货", description="【北京仓】商家已发货", location="北京"),
            LogisticsEvent(time=at(90), status="已签收", location=address[:3],
                           description=f"【{address[:6]}】快件已签收，签收人：{name}")]
        rows.append(order)
    return rows


def annotations(sender: str, said: tuple[str, str], minutes: int) -> list[Annotation]:
    """Staff corrections of the shopper's two messages and of SHARED (an entity on the first)."""
    span = said[0].index("口红") if "口红" in said[0] else said[0].index("耳机")
    made = lambda n: T0 + timedelta(minutes=minutes + n)  # noqa: E731
    return [Annotation(sender_id=sender, event_timestamp=1.0, text=said[0], intent="search_product",
                       entities=[{"start": span, "end": span + 2, "entity": "category",
                                  "value": said[0][span:span + 2]}],
                       original_intent="greet", original_confidence=0.4, staff="reviewer", created_at=made(0)),
            Annotation(sender_id=sender, event_timestamp=2.0, text=said[1], intent="ask_order", entities=[],
                       staff="reviewer", created_at=made(1)),
            Annotation(sender_id=sender, event_timestamp=3.0, text=SHARED, entities=[], staff="reviewer",
                       intent="ask_promotion" if sender == Y else "faq/promotion", created_at=made(2))]


def populate(url: str, nlu_file: Path) -> None:
    """Both shoppers in the shop database; their annotations exported into `nlu_file` by the real export."""
    migrate(url)
    with session_scope(url) as s:
        s.add_all([Product(id=pid, title=title, brand="测试", category="测试", price=99.0, list_price=99.0)
                   for pid, title in (("P1", "雅诗兰黛口红"), ("P2", "降噪耳机"))])
        s.add_all(shopper(Y, Y_NAME, Y_ADDRESS) + shopper(X, X_NAME, X_ADDRESS))
        s.add_all(annotations(Y, Y_SAID, 0) + annotations(X, X_SAID, 10))
    for sender in (X, Y):
        with session_scope(url) as s:
            assert record_shown(s, sender, ["P1", "P2"], T0 + timedelta(minutes=2)) == 2
    nlu_file.write_text('version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n'
                        f"      - {HAND_WRITTEN}\n  - synonym: 口红\n    examples: |\n      - 唇膏\n",
                        encoding="utf-8")
    assert export_annotations(url, nlu_file) == 5  # 2 + 2 + SHARED once (X's correction wins)


# ---------------------------------------------------------------- the tracker store (a second database)


@pytest.fixture
def tracker_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Rasa's SQLTrackerStore holding both conversations, on the same kind of database as `db_url`."""
    convs = [conversation(Y, Y_SAID, Y_NAME, T0.timestamp()), conversation(X, X_SAID, X_NAME, T0.timestamp() + 60)]
    if db_url.startswith("sqlite"):
        path = tmp_path / "rasa_tracker.db"
        replay({"dialect": "sqlite", "db": str(path)}, convs, tmp_path)
        yield f"sqlite:///{path}"
        return
    name = create_postgres_database("daogou_tracker")
    server = make_url(POSTGRES_ADMIN_URL)
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        replay({"dialect": "postgresql", "host": server.host, "port": server.port or 5432, "db": name,
                "username": server.username, "password": server.password}, convs, tmp_path)
        yield url
    finally:
        engine_for(url).dispose()
        drop_postgres(name)


@pytest.fixture
def shop(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    """The populated shop database and its exported annotations file."""
    nlu_file = tmp_path / "data" / "nlu" / "annotations.yml"
    nlu_file.parent.mkdir(parents=True)
    populate(db_url, nlu_file)
    return db_url, nlu_file


# ---------------------------------------------------------------- scanning whole databases


def _as_text(value) -> str:
    """A column value as searchable text: JSON (native or in a text column, where Rasa escapes
    non-ASCII as \\uXXXX) decoded, so Chinese words are found whichever way they were stored."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return value + " " + json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    return "" if value is None else str(value)


def every_row(url: str) -> dict[str, set[tuple[str, ...]]]:
    """Every row of every table the database has (found by inspection, not a list), as text."""
    engine = engine_for(url)
    tables = [Table(name, MetaData(), autoload_with=engine) for name in inspect(engine).get_table_names()]
    with engine.connect() as conn:
        return {t.name: {tuple(_as_text(v) for v in row) for row in conn.execute(select(t))} for t in tables}


def holding(rows: dict[str, set[tuple[str, ...]]], markers=X_MARKERS) -> dict[str, set[tuple[str, ...]]]:
    """The rows in which any marker occurs, per table (tables without one left out)."""
    found = {name: {r for r in table if any(m in v for m in markers for v in r)} for name, table in rows.items()}
    return {name: hits for name, hits in found.items() if hits}


def about_x(row: tuple[str, ...]) -> bool:
    """A row that names X, or belongs to one of X's orders (kept, but redacted)."""
    return any(m in v for m in X_MARKERS for v in row) or bool(set(row) & set(X_ORDERS))


def training_text(path: Path) -> str:
    """An NLU file's text as written and with the entity markup taken out (words split by it rejoined)."""
    content = path.read_text(encoding="utf-8")
    return content + "\n" + plain_text(content)


def alias_of_orders(url: str, ids: list[str]) -> set[str]:
    with session_scope(url) as s:
        return {s.get(Order, i).user_id for i in ids}


# ---------------------------------------------------------------- tests


def test_forget_leaves_no_trace_of_the_shopper_and_keeps_everyone_else(shop, tracker_url):
    url, nlu_file = shop
    before = {"shop": every_row(url), "tracker": every_row(tracker_url)}
    assert {"users", "interactions", "cart_items", "orders", "order_items", "logistics_events", "annotations",
            "products", "staff_users", "staff_sessions"} <= set(before["shop"])
    assert "events" in before["tracker"]
    # the scan finds X wherever X was put, so a clean scan afterwards means something
    assert set(holding(before["shop"])) == {"users", "interactions", "cart_items", "orders", "logistics_events",
                                            "annotations"}
    assert set(holding(before["tracker"])) == {"events"}
    y_before = export_user(url, Y, tracker_url)

    counts = forget_user(url, X, tracker_url, export_scrubber([nlu_file]))

    assert counts == {"interactions": 6, "cart_items": 1, "annotations": 3, "nlu_examples": 2,
                      "orders_anonymised": 2, "logistics_redacted": 4, "profile": 1,
                      "conversation_events": len(conversation(X, X_SAID, X_NAME, 0)["events"])}
    after = {"shop": every_row(url), "tracker": every_row(tracker_url)}
    for db in ("shop", "tracker"):
        assert holding(after[db]) == {}, f"{db} database still holds the forgotten shopper"
        for table, rows in before[db].items():  # every row not about X is still there, unchanged
            assert {r for r in rows if not about_x(r)} <= after[db][table], table
    changed = {table: rows - before["shop"][table] for table, rows in after["shop"].items()}
    assert {t for t, rows in changed.items() if rows} == {"orders", "logistics_events"}  # kept, anonymised
    assert export_user(url, Y, tracker_url) == y_before
    assert export_user(url, X, tracker_url) == {"user_id": X, "profile": None, "interactions": [], "orders": [],
                                                "cart": [], "annotations": [], "conversations": []}

    with session_scope(url) as s:
        kept = [s.get(Order, order_id) for order_id in X_ORDERS]
        assert [(o.address, o.total, o.coupon, o.carrier) for o in kept] == [("", 299.0, "SAVE10", "顺丰速运")] * 2
        assert [o.tracking_no for o in kept] == [f"SF1000{len(X)}", f"SF1001{len(X)}"]
        assert all(len(o.items) == 1 for o in kept)
        assert [(e.status, e.description, e.location) for e in kept[0].logistics] == [("已发货", "", ""),
                                                                                       ("已签收", "", "")]


def test_the_exported_training_file_loses_the_shoppers_lines_only(shop, tracker_url):
    url, nlu_file = shop
    assert all(said in training_text(nlu_file) for said in X_SAID + Y_SAID)

    forget_user(url, X, tracker_url, export_scrubber([nlu_file]))

    assert not any(marker in training_text(nlu_file) for marker in X_MARKERS)
    nlu = read_nlu(nlu_file)
    assert nlu.examples["search_product"] == ["有没有黑色的降噪[耳机](category)"]
    assert nlu.examples["ask_order"] == [Y_SAID[1]]
    assert nlu.examples["ask_promotion"] == [SHARED]  # Y's correction of the shared words is back
    assert not nlu.examples.get("faq/promotion")
    assert nlu.examples["greet"] == [HAND_WRITTEN] and nlu.other == [{"synonym": "口红", "examples": "- 唇膏\n"}]
    assert yaml.safe_load(nlu_file.read_text(encoding="utf-8"))["version"] == "3.1"
    assert export_annotations(url, nlu_file) == 0  # the export agrees: nothing of Y's is missing


def test_order_aliases_are_random_not_derived_from_the_user_id(db_url):
    migrate(db_url)
    people = [X, Y, "u00042"]
    with session_scope(db_url) as s:
        s.add_all(Order(id=f"DD{n}{k}", user_id=p, status="已付款", created_at=T0, total=1.0, address="某地")
                  for n, p in enumerate(people) for k in range(2))
    aliases = []
    for n, person in enumerate(people):
        assert forget_user(db_url, person)["orders_anonymised"] == 2
        alias = alias_of_orders(db_url, [f"DD{n}0", f"DD{n}1"])
        assert len(alias) == 1  # one alias for all of a shopper's orders
        aliases += alias
    assert len(set(aliases)) == len(people)
    for person, alias in zip(people, aliases):
        assert alias.startswith(ALIAS_PREFIX) and not alias.startswith("anon-")
        secret = alias.removeprefix(ALIAS_PREFIX)
        assert len(secret) == 16 and person not in alias
        for name in hashlib.algorithms_guaranteed - {"shake_128", "shake_256"}:
            digest = hashlib.new(name, person.encode()).hexdigest()
            assert secret not in digest and digest[:12] not in alias


def test_export_lists_everything_forget_removes(shop, tracker_url):
    url, _ = shop
    data = export_user(url, X, tracker_url)
    json.dumps(data)  # plain JSON
    assert data["profile"]["name"] == X_NAME
    assert sorted({e["dataset"] for e in data["interactions"]}) == ["bench", "chat", SHOWN_DATASET, "shop"]
    assert sorted(e["item_id"] for e in data["interactions"] if e["dataset"] == SHOWN_DATASET) == ["P1", "P2"]
    assert [a["text"] for a in data["annotations"]] == [*X_SAID, SHARED]
    assert data["annotations"][0]["entities"][0]["value"] == "口红" and data["annotations"][0]["staff"] == "reviewer"
    assert [c["product_id"] for c in data["cart"]] == ["P2"]
    assert [o["address"] for o in data["orders"]] == [X_ADDRESS] * 2
    assert data["orders"][0]["items"][0]["product_id"] == "P1"
    assert data["orders"][0]["logistics"][-1]["description"].endswith(X_NAME)
    said = [e["data"]["text"] for e in data["conversations"] if e["type"] == "user"]
    assert said == [*X_SAID, SHARED]
    assert any(e["data"].get("data", {}).get("custom") for e in data["conversations"] if e["type"] == "bot")


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """Point `shopbot` at the given databases through SHOPBOT_* variables (settings are cached)."""
    from core.settings import get_settings

    def point(shop_url: str, tracker: str, production: bool) -> None:
        monkeypatch.setenv("SHOPBOT_DATABASE_URL", shop_url)
        monkeypatch.setenv("SHOPBOT_TRACKER_URL", tracker)
        monkeypatch.setenv("SHOPBOT_TRACKER_DB", str(tmp_path / "not-this-one.db"))  # the dev default
        monkeypatch.setenv("SHOPBOT_PROFILE", "production" if production else "dev")
        get_settings.cache_clear()

    yield point
    monkeypatch.undo()
    get_settings.cache_clear()


def test_the_cli_uses_the_profiles_tracker_store(shop, tracker_url, cli_env, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    url, nlu_file = shop
    cli_env(url, tracker_url, production=not url.startswith("sqlite"))
    runner = CliRunner()
    exported = runner.invoke(app, ["privacy", "export", "--user", X])
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    assert [e["data"]["text"] for e in data["conversations"] if e["type"] == "user"] == [*X_SAID, SHARED]
    assert len(data["annotations"]) == 3

    forgot = runner.invoke(app, ["privacy", "forget", "--user", X, "--yes", "--nlu-file", str(nlu_file)])
    assert forgot.exit_code == 0, forgot.output
    counts = json.loads(forgot.stdout)
    assert counts["conversation_events"] > 0 and counts["nlu_examples"] == 2 and counts["annotations"] == 3
    assert "shopbot train" in forgot.stderr
    assert not (tmp_path / "not-this-one.db").exists()
    with engine_for(tracker_url).connect() as conn:
        senders = {r[0] for r in conn.execute(text("SELECT DISTINCT sender_id FROM events"))}
    assert senders == {Y}


def test_a_broken_training_file_stops_forget_before_anything_changes(shop, tracker_url, cli_env):
    from typer.testing import CliRunner

    from cli.main import app

    url, nlu_file = shop
    nlu_file.write_text("nlu: [unclosed\n", encoding="utf-8")
    cli_env(url, tracker_url, production=False)
    forgot = CliRunner().invoke(app, ["privacy", "forget", "--user", X, "--yes", "--nlu-file", str(nlu_file)])
    assert forgot.exit_code == 1 and "not changed" in forgot.stderr
    data = export_user(url, X, tracker_url)
    assert data["profile"] and len(data["annotations"]) == 3 and data["conversations"]
