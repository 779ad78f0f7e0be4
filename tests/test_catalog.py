"""Catalog import: good rows load in one transaction, bad rows are reported by line."""
from __future__ import annotations

import json

from sqlalchemy import select

from store.catalog import all_products, load_products, read_products
from store.db import session_scope
from store.models import Product

GOOD = {"id": "P1", "title": "华为 Mate 60 12GB+256GB 黑色 5G手机", "brand": "华为",
        "category": "手机", "price": 5999, "color": "黑色", "tags": ["拍照"]}


def _write_jsonl(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                              for r in rows) + "\n", encoding="utf-8")


def test_bad_rows_are_reported_by_line_and_good_rows_load(tmp_path):
    src = tmp_path / "products.jsonl"
    _write_jsonl(src, [
        GOOD,
        "{not json",
        {**GOOD, "id": "P2", "price": -3},
        {**GOOD, "id": "P3", "title": ""},
        {**GOOD, "id": "P1"},
        {**GOOD, "id": "P4", "title": "小米 Redmi Buds 5 蓝牙耳机", "category": "蓝牙耳机", "price": 199},
    ])
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    report = load_products(url, src)
    assert report.loaded == 2
    assert [line for line, _ in report.errors] == [2, 3, 4, 5]
    assert "price" in report.errors[1][1] and "重复" in report.errors[3][1]
    assert [p.id for p in all_products(url)] == ["P1", "P4"]


def test_csv_rows_with_json_cells_and_line_numbers(tmp_path):
    src = tmp_path / "products.csv"
    src.write_text(
        "id,title,brand,category,price,tags,attributes\n"
        'C1,索尼 WH-1000XM5 头戴式降噪耳机,索尼,蓝牙耳机,2299,降噪|音质,"{""规格"": ""头戴式""}"\n'
        "C2,坏行,索尼,蓝牙耳机,免费,,\n", encoding="utf-8")
    rows, errors = read_products(src)
    assert [r.id for r in rows] == ["C1"]
    assert rows[0].tags == ["降噪", "音质"] and rows[0].attributes == {"规格": "头戴式"}
    assert errors and errors[0][0] == 3


def test_reimport_updates_in_place(tmp_path):
    src = tmp_path / "products.jsonl"
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    _write_jsonl(src, [GOOD])
    load_products(url, src)
    _write_jsonl(src, [{**GOOD, "price": 4999}])
    load_products(url, src)
    with session_scope(url) as session:
        prices = session.scalars(select(Product.price)).all()
    assert prices == [4999]


def test_shipped_catalog_is_valid_and_varied(built):
    rows, errors = read_products(built.path(built.catalog_file))
    assert errors == []
    categories = {r.category for r in rows}
    assert len(rows) >= 200 and len(categories) >= 12
    for category in categories:
        assert len({r.brand for r in rows if r.category == category}) >= 4, category
