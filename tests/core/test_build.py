"""Builds are skipped when their inputs are unchanged, and `shopbot doctor` is satisfied."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.build import build_all


def test_second_build_skips_every_step(rasa_model):
    results = build_all(rasa_model, log=lambda _: None)
    assert [r.step for r in results] == ["catalog", "lexicon", "index", "cf", "rasa"]
    assert [r.step for r in results if r.built] == []


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
