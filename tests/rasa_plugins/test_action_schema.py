"""Rasa's check of action server replies, made cheap (rasa_plugins/channels/action_schema.py): a reply
Rasa would refuse is still refused with Rasa's own error, and a good one still passes."""
from __future__ import annotations

import json
import os
import subprocess

from core.settings import get_settings


def test_same_verdicts_and_errors_as_rasa_for_every_event_type_and_broken_replies():
    settings = get_settings()
    run = subprocess.run([settings.rasa_bin("python"), "tests/support/action_schema_agreement.py"], cwd=settings.root,
                         env={**os.environ, "PYTHONPATH": str(settings.root)},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["disagreements"] == []
    # The corpus holds both kinds: every event type valid, and broken variants of each.
    assert summary["replies"] - summary["rejected"] >= 23 and summary["rejected"] >= 80
