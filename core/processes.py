"""Commands and environment for the three serving processes; used by `shopbot run` and tests."""
from __future__ import annotations

import os
import socket
import sys
import time

import httpx

from core.settings import Settings
from core.limits import address_set


SINGLE_THREAD_VARS = ("OMP_NUM_THREADS", "TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS")


def process_env(settings: Settings) -> dict[str, str]:
    """Environment for every child: every setting as SHOPBOT_* plus what the endpoints file reads."""
    env = dict(os.environ)
    env.update({f"SHOPBOT_{name.upper()}": str(value)
                for name, value in settings.model_dump().items()})
    env.update(settings.rasa_env())
    env.update({
        # Secrets reach children only through the environment (never argv: any process list shows it).
        "SHOPBOT_RASA_TOKEN": settings.api_token(),
        "SHOPBOT_IDENTITY_SECRET": settings.secret("identity_secret"),
        "SHOPBOT_METRICS_TOKEN": settings.secret("metrics_token"),
        "SHOPBOT_PRIVACY_KEY": settings.secret("privacy_key"),
        "SHOPBOT_DATABASE_URL": settings.db_url,
        "SHOPBOT_TRACKER_URL": settings.tracker_db_url,
        "ACTION_SERVER_SANIC_WORKERS": str(settings.action_worker_count),
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    })
    # One math thread per serving process (overridable): concurrency comes from requests and
    # processes. The e5 engine's OpenMP threads spin while they wait; on 2 cores shared with
    # the action server one query cost 480 ms of CPU with 2 threads and 24 ms with 1, and two
    # Rasa instances answered 2.8 turns/s instead of 14 (README "Serving cost"). Training
    # (`rasa train`, shopbot setup) runs alone and keeps every core.
    for var in SINGLE_THREAD_VARS:
        env.setdefault(var, "1")
    return env


def rasa_command(settings: Settings, instance: int = 0) -> list[str]:
    """Rasa instance `instance` listens on rasa_port + instance; all share the endpoints file.
    No `--cors`: browsers reach Rasa only by socket.io, whose origins the channel checks.
    `rasa_plugins.channels.serve` hands Rasa its API token from the environment, not argv."""
    return [settings.rasa_bin("python"), "-m", "rasa_plugins.channels.serve",
            "run", "--enable-api", "--interface", settings.host,
            "--port", str(settings.rasa_port + instance), "--model", str(settings.path(settings.models_dir)),
            "--endpoints", settings.endpoints_file, "--credentials", "credentials.yml"]


def action_command(settings: Settings) -> list[str]:
    """The action server (rasa_sdk with Prometheus metrics, actions/server.py);
    ACTION_SERVER_SANIC_WORKERS (process_env) sets its worker processes."""
    return [sys.executable, "-m", "actions.server", "--actions", "actions",
            "--port", str(settings.action_port)]


def web_command(settings: Settings) -> list[str]:
    """uvicorn believes X-Forwarded-For only from SHOPBOT_TRUSTED_PROXIES (default: nobody)."""
    proxies = ",".join(sorted(address_set(settings.trusted_proxies)))
    forwarded = ["--proxy-headers", "--forwarded-allow-ips", proxies] if proxies else ["--no-proxy-headers"]
    return [sys.executable, "-m", "uvicorn", "web.app:app", "--host", settings.host,
            "--port", str(settings.web_port), *forwarded]


def consumer_command(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "cli.main", "events", "consume"]


def commands(settings: Settings) -> dict[str, list[str]]:
    """Every serving process by name: one Rasa per instance, plus the broker consumer in production."""
    rasa = {("rasa" if i == 0 else f"rasa{i + 1}"): rasa_command(settings, i)
            for i in range(settings.rasa_count)}
    procs = {**rasa, "actions": action_command(settings), "web": web_command(settings)}
    if settings.production:
        procs["events"] = consumer_command(settings)
    return procs


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
