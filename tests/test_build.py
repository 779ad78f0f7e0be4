"""Builds are skipped when their inputs are unchanged, and `shopbot doctor` is satisfied."""
from __future__ import annotations

import subprocess
import sys

from bot.build import build_all


def test_second_build_skips_every_step(built):
    results = build_all(built, log=lambda _: None)
    assert [r.step for r in results] == ["catalog", "lexicon", "index", "cf", "rasa"]
    assert [r.step for r in results if r.built] == []


def test_jieba_dictionary_keeps_product_words_whole(built):
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(built.jieba_dir / "userdict.txt"))
    assert "手机" in tokenizer.lcut("我想买手机")
    assert "扫地机器人" in tokenizer.lcut("想要个扫地机器人")


def test_doctor_is_happy_on_a_built_project(built):
    out = subprocess.run([sys.executable, "-m", "bot.cli", "doctor"], capture_output=True,
                         text=True, cwd=built.root)
    assert out.returncode == 0, out.stdout
    assert "all good" in out.stdout
