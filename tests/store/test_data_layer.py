"""The data layer on SQLite and PostgreSQL: imports with per-line errors, exports,
interactions (ours and MovieLens), migrations and privacy."""
from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

import store.catalog
from store.catalog import export_products, import_categories, import_products
from store.db import downgrade, engine_for, migrate, session_scope
from store.history import import_interactions
from store.models import CartItem, Interaction, Order, Product, User
from store.privacy import export_user, forget_user
from store.shopdata import import_carts, import_orders, import_users

PHONE = {"id": "P1", "title": "华为 Mate 60 12GB+256GB 雅丹黑 5G手机", "brand": "华为",
         "category": "手机", "price": 5999, "color": "黑色", "tags": ["拍照"],
         "attributes": {"系列": "Mate 60"}}
EARBUDS = {**PHONE, "id": "P2", "title": "小米 Redmi Buds 5 蓝牙耳机", "brand": "小米",
           "category": "蓝牙耳机", "price": 199}


def write_lines(path, rows) -> None:
    """Rows are dicts (JSON), str (raw text) or bytes (raw bytes, e.g. bad encoding)."""
    with path.open("wb") as fh:
        for row in rows:
            if isinstance(row, dict):
                row = json.dumps(row, ensure_ascii=False)
            fh.write((row.encode("utf-8") if isinstance(row, str) else row) + b"\n")


@pytest.fixture
def shop(db_url, tmp_path):
    """A database with two categories loaded."""
    categories = tmp_path / "categories.jsonl"
    write_lines(categories, [{"department": "数码", "category": "手机", "aliases": ["手机"]},
                             {"department": "数码", "category": "蓝牙耳机", "aliases": ["耳机"]}])
    assert import_categories(db_url, categories).loaded == 2
    return db_url


def product_ids(url) -> list[str]:
    with session_scope(url) as session:
        return list(session.scalars(select(Product.id).order_by(Product.id)))


def test_bad_rows_are_reported_by_line_and_good_rows_load(shop, tmp_path):
    src = tmp_path / "products.jsonl"
    write_lines(src, [
        PHONE,
        "{not json",
        {**PHONE, "id": "P3", "price": 0},
        {k: v for k, v in PHONE.items() if k != "brand"} | {"id": "P4"},
        {**PHONE, "id": "P5", "category": "飞机"},
        {**PHONE},
        '{"id": "P6", "title": "坏编码'.encode("gbk") + b'"}',
        EARBUDS,
    ])
    report = import_products(shop, src)
    assert report.loaded == 2
    reasons = dict(report.errors)
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7]
    assert "JSON" in reasons[2]
    assert "price" in reasons[3]
    assert "缺少字段 brand" in reasons[4]
    assert "未知类目" in reasons[5]
    assert "重复" in reasons[6]
    assert "UTF-8" in reasons[7]
    assert product_ids(shop) == ["P1", "P2"]


def test_dry_run_validates_without_writing(shop, tmp_path):
    src = tmp_path / "products.jsonl"
    write_lines(src, [PHONE, {**PHONE, "id": "P9", "price": -1}])
    report = import_products(shop, src, dry_run=True)
    assert report.dry_run and report.loaded == 1 and [l for l, _ in report.errors] == [2]
    assert product_ids(shop) == []


def test_failure_mid_import_leaves_nothing_half_written(shop, tmp_path, monkeypatch):
    src = tmp_path / "products.jsonl"
    write_lines(src, [PHONE])
    import_products(shop, src)
    rows = [{**PHONE, "id": f"N{i}", "price": 100 + i} for i in range(1200)]
    write_lines(src, rows)
    real = store.catalog.upsert

    def upsert_then_die(session, model, batch):
        real(session, model, batch[:600])
        raise RuntimeError("connection lost")

    monkeypatch.setattr(store.catalog, "upsert", upsert_then_die)
    with pytest.raises(RuntimeError):
        import_products(shop, src, replace=True)
    assert product_ids(shop) == ["P1"]


def test_csv_import_with_json_cells_and_line_numbers(shop, tmp_path):
    src = tmp_path / "products.csv"
    src.write_text(
        "id,title,brand,category,price,tags,attributes\n"
        'C1,索尼 WH-1000XM5 头戴式降噪耳机,索尼,蓝牙耳机,2299,降噪|音质,"{""系列"": ""WH-1000XM5""}"\n'
        "C2,坏行,索尼,蓝牙耳机,免费,,\n"
        "C3,缺品牌,,蓝牙耳机,99,,\n", encoding="utf-8")
    report = import_products(shop, src)
    assert report.loaded == 1 and [l for l, _ in report.errors] == [3, 4]
    with session_scope(shop) as session:
        c1 = session.get(Product, "C1")
        assert c1.tags == ["降噪", "音质"] and c1.attributes == {"系列": "WH-1000XM5"}
        assert c1.department == "数码" and c1.image == "/images/C1.svg"


@pytest.mark.parametrize("fmt, suffix", [("jsonl", ".jsonl"), ("csv", ".csv")])
def test_export_then_import_round_trips(shop, tmp_path, fmt, suffix):
    src = tmp_path / "products.jsonl"
    write_lines(src, [PHONE, EARBUDS])
    import_products(shop, src)
    out = io.StringIO()
    assert export_products(shop, out, fmt) == 2
    exported = tmp_path / f"export{suffix}"
    exported.write_text(out.getvalue(), encoding="utf-8")
    with session_scope(shop) as session:
        session.execute(Product.__table__.delete())
    report = import_products(shop, exported)
    assert report.errors == [] and report.loaded == 2
    with session_scope(shop) as session:
        assert session.get(Product, "P1").attributes == {"系列": "Mate 60"}


def test_reimport_updates_in_place_and_replace_removes_missing(shop, tmp_path):
    src = tmp_path / "products.jsonl"
    write_lines(src, [PHONE, EARBUDS])
    import_products(shop, src)
    write_lines(src, [{**PHONE, "price": 4999}])
    import_products(shop, src)
    assert product_ids(shop) == ["P1", "P2"]
    import_products(shop, src, replace=True)
    with session_scope(shop) as session:
        assert session.scalars(select(Product.price)).all() == [4999]


def test_shop_interactions_import_validates_rows(shop, tmp_path):
    write_lines(tmp_path / "p.jsonl", [PHONE, EARBUDS])
    import_products(shop, tmp_path / "p.jsonl")
    src = tmp_path / "events.csv"
    src.write_text(
        "user_id,product_id,event,rating,timestamp\n"
        "u1,P1,view,,2026-08-01T10:00:00+00:00\n"
        "u1,P1,purchase,,2026-08-01T10:05:00+00:00\n"
        "u1,P1,rating,5,2026-08-03T10:00:00+00:00\n"
        "u1,NOPE,view,,2026-08-01T10:00:00+00:00\n"
        "u1,P2,teleport,,2026-08-01T10:00:00+00:00\n"
        "u1,P2,rating,9,2026-08-01T10:00:00+00:00\n"
        "u1,P2,view,,\n", encoding="utf-8")
    report = import_interactions(shop, src)
    assert report.loaded == 3
    reasons = dict(report.errors)
    assert sorted(reasons) == [5, 6, 7, 8]
    assert "未知商品" in reasons[5] and "未知事件" in reasons[6]
    assert "评分" in reasons[7] and "timestamp" in reasons[8]
    with session_scope(shop) as session:
        rows = session.execute(select(Interaction.event, Interaction.rating, Interaction.dataset)
                               .order_by(Interaction.timestamp)).all()
    assert [tuple(r) for r in rows] == [("view", None, "shop"), ("purchase", None, "shop"),
                                        ("rating", 5.0, "shop")]


def test_movielens_ratings_import(shop, tmp_path):
    src = tmp_path / "ratings.csv"
    src.write_text("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n"
                   "2,10,7,1260759185\n3,,4,1260759185\n", encoding="utf-8")
    report = import_interactions(shop, src)
    assert report.loaded == 2 and [l for l, _ in report.errors] == [4, 5]
    with session_scope(shop) as session:
        first = session.scalars(select(Interaction).order_by(Interaction.timestamp)).first()
        assert (first.dataset, first.user_id, first.item_id, first.rating) == ("movielens", "1", "31", 2.5)
        assert first.timestamp.replace(tzinfo=timezone.utc) == datetime(2009, 12, 14, 2, 52, 24,
                                                                         tzinfo=timezone.utc)


def test_migrations_go_up_and_down(db_url):
    migrate(db_url)
    tables = set(inspect(engine_for(db_url)).get_table_names())
    assert {"products", "categories", "interactions", "orders", "order_items", "logistics_events",
            "cart_items", "promotions", "users", "alembic_version"} <= tables
    downgrade(db_url, "base")
    assert set(inspect(engine_for(db_url)).get_table_names()) <= {"alembic_version"}
    migrate(db_url)
    assert "products" in inspect(engine_for(db_url)).get_table_names()


def _tracker_with_conversation(tmp_path, sender: str) -> str:
    """A tracker store `events` table shaped like Rasa's SQLTrackerStore's."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    with create_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                          "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                          "action_name VARCHAR(255), data TEXT)"))
        for n, (kind, data) in enumerate([("user", {"text": "我想买手机"}), ("bot", {"text": "好的"})]):
            conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                              "VALUES (:s, :t, :ts, :d)"),
                         {"s": sender, "t": kind, "ts": 1000.0 + n, "d": json.dumps(data)})
        conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                          "VALUES ('someone-else', 'user', 1, '{}')"))
    return url


def test_privacy_export_and_forget(shop, tmp_path):
    write_lines(tmp_path / "p.jsonl", [PHONE, EARBUDS])
    import_products(shop, tmp_path / "p.jsonl")
    write_lines(tmp_path / "users.jsonl", [{"id": "u1", "name": "小红", "gender": "女", "age": 25},
                                           {"id": "u2", "name": "小明"}])
    import_users(shop, tmp_path / "users.jsonl")
    (tmp_path / "e.csv").write_text("user_id,product_id,event,rating,timestamp\n"
                                    "u1,P1,purchase,,2026-08-01T10:00:00+00:00\n"
                                    "u2,P1,view,,2026-08-01T10:00:00+00:00\n", encoding="utf-8")
    import_interactions(shop, tmp_path / "e.csv")
    write_lines(tmp_path / "orders.jsonl", [{
        "id": "DD20260801000001", "user_id": "u1", "status": "已签收",
        "created_at": "2026-08-01T10:00:00+00:00", "total": 5999, "address": "上海市浦东新区",
        "items": [{"product_id": "P1", "quantity": 1, "price": 5999}],
        "logistics": [{"time": "2026-08-02T09:00:00+00:00", "status": "已签收",
                       "description": "【上海】已签收", "location": "上海"}]}])
    assert import_orders(shop, tmp_path / "orders.jsonl").errors == []
    write_lines(tmp_path / "carts.jsonl", [{"user_id": "u1", "items": [
        {"product_id": "P2", "quantity": 2, "added_at": "2026-08-05T10:00:00+00:00"}]}])
    import_carts(shop, tmp_path / "carts.jsonl")
    tracker = _tracker_with_conversation(tmp_path, "u1")

    data = export_user(shop, "u1", tracker)
    assert data["profile"]["name"] == "小红"
    assert [e["event"] for e in data["interactions"]] == ["purchase"]
    assert data["orders"][0]["items"][0]["product_id"] == "P1"
    assert data["orders"][0]["logistics"][0]["status"] == "已签收"
    assert data["cart"][0]["quantity"] == 2
    assert [e["data"]["text"] for e in data["conversations"]] == ["我想买手机", "好的"]
    json.dumps(data)  # the export is plain JSON

    counts = forget_user(shop, "u1", tracker)
    assert counts == {"interactions": 1, "cart_items": 1, "annotations": 0, "nlu_examples": 0,
                      "orders_anonymised": 1, "logistics_redacted": 1, "profile": 1,
                      "conversation_events": 2}
    after = export_user(shop, "u1", tracker)
    assert after["profile"] is None and not any(after[k] for k in ("interactions", "orders", "cart",
                                                                    "conversations"))
    with session_scope(shop) as session:
        order = session.get(Order, "DD20260801000001")
        assert order.user_id.startswith("forgotten-") and order.address == "" and order.total == 5999
        assert [(e.status, e.description, e.location) for e in order.logistics] == [("已签收", "", "")]
        assert session.scalar(select(func.count()).select_from(Interaction)) == 1  # u2's stays
        assert session.get(User, "u2") is not None
        assert session.scalar(select(func.count()).select_from(CartItem)) == 0
    with create_engine(tracker).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM events")).scalar() == 1


def test_an_unfinished_read_never_hides_another_process_writes(tmp_path):
    """The action server (another process) adds a cart line; this process must see it even
    though an earlier query here was left unfinished (on a pooled SQLite connection that pins
    an old WAL snapshot: writes by other processes stayed invisible)."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate(url)
    with session_scope(url) as session:
        for n in range(50):
            session.add(CartItem(user_id=f"u{n}", product_id="SKU1", quantity=1,
                                 added_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    with engine_for(url).connect() as connection:
        unfinished = connection.execute(select(CartItem.user_id))
        unfinished.fetchone()  # still referenced below, never consumed
    other = sqlite3.connect(tmp_path / "shop.db")
    other.execute("INSERT INTO cart_items (user_id, product_id, quantity, added_at) "
                  "VALUES ('late', 'SKU1', 1, '2026-01-02 00:00:00')")
    other.commit()
    other.close()
    with session_scope(url) as session:
        assert session.scalar(select(CartItem.id).where(CartItem.user_id == "late")) is not None
    assert unfinished is not None
