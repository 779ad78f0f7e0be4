"""Builds are skipped when their inputs are unchanged and redone when they change (on private
copies, never the developer's var/), and `shopbot doctor` is satisfied."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from core.build import build_all, rasa_inputs_fingerprint
from core.services import make_searcher, read_catalog
from tests.conftest import private_copy


def test_second_build_skips_every_step(rasa_model):
    results = build_all(rasa_model, log=lambda _: None)
    assert [r.step for r in results] == ["catalog", "lexicon", "index", "cf", "rasa"]
    assert [r.step for r in results if r.built] == []


@pytest.fixture
def own_shop(built, tmp_path):
    """`built` on a private var/, a private copy of the shop's files (without the shipped vectors,
    so only var/'s embedding cache can spare encoding) and a root of its own for generated files."""
    catalog = tmp_path / "catalog"
    shutil.copytree(built.path(built.catalog_dir), catalog, ignore=shutil.ignore_patterns("embeddings-*"))
    return private_copy(built, tmp_path).model_copy(update={"catalog_dir": catalog, "root": tmp_path / "root"})


def rename_brand(products_file, product_id: str, brand: str) -> str:
    """Give one product of the shop's file a new brand (in its title too); its new title."""
    rows = [json.loads(line) for line in products_file.read_text(encoding="utf-8").splitlines()]
    row = next(r for r in rows if r["id"] == product_id)
    row["title"] = row["title"].replace(row["brand"], brand, 1)
    row["brand"] = brand
    products_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return row["title"]


@pytest.mark.slow  # reloads the whole shop (~15 s) and loads the encoder
def test_a_changed_products_file_rebuilds_catalog_lexicon_and_index(built, own_shop):
    """A shop edits one product in its file: the next build reloads the catalog, rewrites the jieba
    dictionary (so Rasa's retrain fingerprint changes), re-encodes that product alone, and a search
    for the new brand finds it; the build after that has nothing to do."""
    as_built = own_shop.model_copy(update={"root": built.root})  # reads config, domain and data/ only
    before = rasa_inputs_fingerprint(as_built)
    title = rename_brand(own_shop.catalog_dir / "products.jsonl", "SKU010001", "澜屿")

    results = {r.step: r for r in build_all(own_shop, only=["catalog", "lexicon", "index"], log=lambda _: None)}
    assert all(r.built for r in results.values()), results
    assert results["index"].detail.startswith(f"{len(read_catalog(own_shop)[0])} products, 1 encoded")
    assert {p.id: p.title for p in read_catalog(own_shop)[0]}["SKU010001"] == title
    assert "澜屿 2000 nz" in (own_shop.jieba_dir / "userdict.txt").read_text(encoding="utf-8").splitlines()
    assert rasa_inputs_fingerprint(as_built) != before  # `shopbot setup` retrains Rasa
    found = make_searcher(own_shop).search("澜屿的手机", k=3)
    assert [r.id for r in found] == ["SKU010001"] and found[0].title == title
    assert not any(r.built for r in build_all(own_shop, only=["catalog", "lexicon", "index"], log=lambda _: None))


def test_a_changed_jieba_dictionary_means_a_rasa_retrain(built, tmp_path):
    """A word added to the jieba dictionary changes Rasa's retrain fingerprint (`shopbot setup`
    retrains: the tokenizer now segments differently); rewriting it unchanged does not."""
    copy = private_copy(built, tmp_path)
    dictionary = copy.jieba_dir / "userdict.txt"
    before = rasa_inputs_fingerprint(copy)
    dictionary.write_bytes(dictionary.read_bytes())
    assert rasa_inputs_fingerprint(copy) == before
    with dictionary.open("a", encoding="utf-8") as words:
        words.write("澜屿 2000 nz\n")
    assert rasa_inputs_fingerprint(copy) != before


def test_jieba_dictionary_keeps_product_words_whole(built):
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(built.jieba_dir / "userdict.txt"))
    assert "手机" in tokenizer.lcut("我想买手机")
    assert "扫地机器人" in tokenizer.lcut("想要个扫地机器人")


def test_doctor_is_happy_on_a_built_project(rasa_model):
    out = subprocess.run([sys.executable, "-m", "cli.main", "doctor"], capture_output=True,
                         text=True, cwd=rasa_model.root)
    assert out.returncode == 0, out.stdout
    assert "all good" in out.stdout


@pytest.mark.slow  # `shopbot doctor` in a subprocess: ~20 s on 2 cores
def test_doctor_names_each_missing_artefact_and_its_fix(built, tmp_path):
    env = {**os.environ, "SHOPBOT_VAR_DIR": str(tmp_path / "var"),
           "SHOPBOT_MODELS_DIR": str(tmp_path / "models")}
    out = subprocess.run([sys.executable, "-m", "cli.main", "doctor"], capture_output=True,
                         text=True, cwd=built.root, env=env)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    for check in ("embedding index", "CF model", "rasa model", "database"):
        line = next(i for i, text in enumerate(lines) if check in text)
        assert lines[line].startswith("!!") and lines[line + 1].strip().startswith("->")
    assert "4 problem(s)" in out.stdout
