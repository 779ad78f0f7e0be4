"""`shopbot run` starts the whole chain as one process group and Ctrl-C stops all of it."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from bot.processes import wait_until_up
from tests.conftest import RASA_LOAD_TIMEOUT, free_port

pytestmark = pytest.mark.integration


def test_run_serves_the_chain_and_ctrl_c_stops_everything(built, tmp_path):
    ports = {"SHOPBOT_RASA_PORT": free_port(), "SHOPBOT_ACTION_PORT": free_port(),
             "SHOPBOT_WEB_PORT": free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()},
           "SHOPBOT_TRACKER_DB": str(tmp_path / "tracker.db")}
    runner = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=built.root,
                              stdout=open(tmp_path / "run.log", "wb"), stderr=subprocess.STDOUT)
    web = f"http://127.0.0.1:{ports['SHOPBOT_WEB_PORT']}"
    try:
        wait_until_up(f"http://127.0.0.1:{ports['SHOPBOT_RASA_PORT']}/", RASA_LOAD_TIMEOUT, runner)
        health = httpx.get(f"{web}/healthz", timeout=10).json()
        assert health["ok"] is True, health
        reply = httpx.post(f"{web}/api/chat", json={"sender": "runner", "message": "我想买手机"},
                           timeout=60).json()
        products = [m["custom"] for m in reply["messages"] if "custom" in m][0]["products"]
        assert {p["category"] for p in products} == {"手机"}
        log = (tmp_path / "run.log").read_text(encoding="utf-8", errors="replace")
        assert f"open http://127.0.0.1:{ports['SHOPBOT_WEB_PORT']}/" in log
        assert "up to date" in log and "built (" not in log
        children = psutil.Process(runner.pid).children(recursive=True)
        assert len(children) >= 3
    finally:
        runner.send_signal(signal.SIGINT)
        runner.wait(timeout=60)
    deadline = time.monotonic() + 30
    while any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children):
        assert time.monotonic() < deadline, "servers still running after Ctrl-C"
        time.sleep(0.5)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{web}/healthz", timeout=2)


def test_shell_talks_to_the_assistant_through_the_action_server(built, tmp_path):
    env = {**os.environ, "SHOPBOT_ACTION_PORT": str(free_port()),
           "SHOPBOT_TRACKER_DB": str(tmp_path / "tracker.db")}
    out = subprocess.run([sys.executable, "-m", "bot.cli", "shell"], input="我想买手机\n/stop\n",
                         capture_output=True, text=True, cwd=built.root, env=env,
                         timeout=RASA_LOAD_TIMEOUT)
    assert "为你找到这几款手机" in out.stdout, out.stdout[-2000:]
    assert '"type": "products"' in out.stdout
    categories = set(re.findall(r'"category": "([^"]+)"', out.stdout))
    assert categories == {"手机"}
