"""`rasa test core` on tests/actions/test_stories.yml: every conversation path the assistant supports."""
from __future__ import annotations

import os
import subprocess

import pytest


pytestmark = pytest.mark.integration


def test_every_test_story_passes(rasa_model, tmp_path):
    model = max(rasa_model.path(rasa_model.models_dir).glob("*.tar.gz"), key=os.path.getmtime)
    out = tmp_path / "results"
    run = subprocess.run(
        [rasa_model.rasa_bin(), "test", "core", "--model", str(model), "--stories", "tests/actions/test_stories.yml",
         "--out", str(out), "--fail-on-prediction-errors"],
        cwd=rasa_model.root, env={**os.environ, **rasa_model.rasa_env()}, capture_output=True, text=True,
        timeout=1200)
    failed = out / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8")[:3000] if failed.exists() else run.stdout[-3000:]
    assert run.returncode == 0, details
    assert "story_report.json" in {p.name for p in out.iterdir()}
