"""Commands and environment for the three serving processes; used by `shopbot run` and tests."""
from __future__ import annotations

import os
import socket
import sys
import time

import httpx

from bot.settings import Settings


def process_env(settings: Settings) -> dict[str, str]:
    """Environment for every child: settings as SHOPBOT_* plus what endpoints.yml reads."""
    env = dict(os.environ)
    env.update(settings.rasa_env())
    env.update({
        "SHOPBOT_HOST": settings.host,
        "SHOPBOT_RASA_PORT": str(settings.rasa_port),
        "SHOPBOT_ACTION_PORT": str(settings.action_port),
        "SHOPBOT_WEB_PORT": str(settings.web_port),
        "SHOPBOT_RASA_TOKEN": settings.api_token(),
        "SHOPBOT_DATABASE_URL": settings.db_url,
        "SHOPBOT_TRACKER_DB": str(settings.path(settings.tracker_db)),
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    })
    return env


def rasa_command(settings: Settings) -> list[str]:
    return [str(settings.root / ".venv-rasa" / "bin" / "rasa"), "run", "--enable-api",
            "--auth-token", settings.api_token(), "--interface", settings.host,
            "--port", str(settings.rasa_port), "--model", str(settings.path(settings.models_dir)),
            "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
            "--cors", f"http://{settings.host}:{settings.web_port}"]


def action_command(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
            "--port", str(settings.action_port)]


def web_command(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bot.web.app:app", "--host", settings.host,
            "--port", str(settings.web_port)]


def commands(settings: Settings) -> dict[str, list[str]]:
    return {"rasa": rasa_command(settings), "actions": action_command(settings),
            "web": web_command(settings)}


def port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_up(url: str, timeout: float, proc=None) -> float:
    """Poll `url` until it answers 200; returns seconds waited. Fails fast if `proc` died."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")
