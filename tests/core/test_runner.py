"""`shopbot run` starts the whole chain as one process group and Ctrl-C stops all of it."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from core.build import rasa_inputs_fingerprint
from core.processes import wait_until_up
from core.settings import Settings
from tests.conftest import RASA_LOAD_TIMEOUT, free_port, private_copy

pytestmark = pytest.mark.integration


def on_copies(built: Settings, folder: Path) -> dict[str, str]:
    """The environment for `shopbot` on copies of var/ and of the newest Rasa model, and a tracker
    of its own. The copied model is stamped with the copy's Rasa inputs fingerprint (the same
    files, but the fingerprint names the jieba dictionary's path), so the build check passes."""
    copy = private_copy(built, folder)
    models = folder / "models"
    models.mkdir()
    shutil.copy(max(built.path(built.models_dir).glob("*.tar.gz"), key=os.path.getmtime), models)
    (models / ".inputs_fingerprint").write_text(rasa_inputs_fingerprint(copy))
    return {**os.environ, "SHOPBOT_VAR_DIR": str(copy.var), "SHOPBOT_DATABASE_URL": copy.db_url,
            "SHOPBOT_TRACKER_DB": str(copy.tracker_db), "SHOPBOT_MODELS_DIR": str(models)}


def test_run_serves_the_chain_and_ctrl_c_stops_everything(rasa_model, tmp_path):
    ports = {"SHOPBOT_RASA_PORT": free_port(), "SHOPBOT_ACTION_PORT": free_port(),
             "SHOPBOT_WEB_PORT": free_port()}
    env = {**on_copies(rasa_model, tmp_path), **{k: str(v) for k, v in ports.items()}}
    runner = subprocess.Popen([sys.executable, "-m", "cli.main", "run"], env=env, cwd=rasa_model.root,
                              stdout=open(tmp_path / "run.log", "wb"), stderr=subprocess.STDOUT)
    web = f"http://127.0.0.1:{ports['SHOPBOT_WEB_PORT']}"
    try:
        wait_until_up(f"http://127.0.0.1:{ports['SHOPBOT_RASA_PORT']}/", RASA_LOAD_TIMEOUT, runner)
        wait_until_up(f"{web}/healthz", 60, runner)  # 200 only when Rasa and the actions answer it
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


def test_shell_talks_to_the_assistant_through_the_action_server(rasa_model, tmp_path):
    env = {**on_copies(rasa_model, tmp_path), "SHOPBOT_ACTION_PORT": str(free_port())}
    out = subprocess.run([sys.executable, "-m", "cli.main", "shell"], input="我想买手机\n/stop\n",
                         capture_output=True, text=True, cwd=rasa_model.root, env=env,
                         timeout=RASA_LOAD_TIMEOUT)
    assert "为你找到这几款手机" in out.stdout, out.stdout[-2000:]
    assert '"type": "products"' in out.stdout
    categories = set(re.findall(r'"category": "([^"]+)"', out.stdout))
    assert categories == {"手机"}
