"""The production lock store (rasa_plugins/stores/lock_store.py) against real Redis: tickets issued at
the same moment by several Rasa processes are all distinct — Rasa's own RedisLockStore hands
the same ticket to two of them (then two turns of one conversation run at once)."""
from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from tests.conftest import service_unavailable


def race(settings, class_path: str) -> dict:
    run = subprocess.run([settings.rasa_bin("python"), "tests/support/lock_race.py", class_path,
                          f"daogou_race_{uuid.uuid4().hex[:8]}", "6", "30"],
                         cwd=settings.root, env={**os.environ, "PYTHONPATH": str(settings.root)},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture
def redis_up(built):
    import redis

    try:
        redis.Redis.from_url(built.redis_url, socket_timeout=3).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis not reachable at {built.redis_url}: {exc}")
    return built


def test_tickets_issued_at_once_by_several_processes_are_all_distinct(redis_up):
    atomic = race(redis_up, "rasa_plugins.stores.lock_store.AtomicRedisLockStore")
    assert atomic == {"issued": 180, "distinct": 180, "held": 180}
