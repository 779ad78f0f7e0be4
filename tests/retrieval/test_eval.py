"""Retrieval evaluation: the labelled set is sound, and hybrid beats both single signals."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from retrieval.evaluate import grade, load_queries
from core.services import read_catalog


@pytest.fixture(scope="module")
def labelled(built):
    return load_queries(built.root / "data/eval/retrieval_queries.jsonl")


def test_labelled_set_is_large_varied_and_answerable(built, labelled):
    assert len(labelled) >= 200
    products, _ = read_catalog(built)
    categories = {p.category for p in products}
    assert {q["relevant"]["category"] for q in labelled} == categories
    for q in labelled:
        best = sum(grade(p, q["relevant"]) == 2 and p.stock > 0 for p in products)
        assert best >= 3, q["query"]


@pytest.mark.slow  # every query in every mode: minutes on 2 cores
def test_eval_cli_prints_all_modes_and_hybrid_wins(built):
    out = subprocess.run([sys.executable, "-m", "cli.main", "eval", "retrieval", "--json"],
                         capture_output=True, text=True, cwd=built.root, check=True)
    scores = json.loads(out.stdout.strip().splitlines()[-1])
    assert scores["queries"] >= 200
    for mode in ("bm25", "dense", "hybrid"):
        assert set(scores[mode]) == {"ndcg", "mrr", "p5"}
        assert 0 < scores[mode]["ndcg"] <= 1
    assert scores["hybrid"]["ndcg"] > scores["bm25"]["ndcg"]
    assert scores["hybrid"]["ndcg"] > scores["dense"]["ndcg"]
