"""Shared fixtures: the project's built artefacts and a real Rasa + action server stack."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.build import build_all
from bot.processes import (action_command, consumer_command, process_env, rasa_command,
                           wait_until_up)
from bot.settings import Settings, get_settings

RASA_LOAD_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def built() -> Settings:
    """Project settings with every artefact built (no-op when `make test` already built them)."""
    settings = get_settings()
    build_all(settings, log=lambda _: None)
    return settings


@pytest.fixture
def shop(built: Settings, tmp_path: Path) -> Settings:
    """Settings on a private copy of the built shop database and recommender models."""
    import shutil

    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(built.var / "shop.db", var / "shop.db")
    shutil.copytree(built.cf_dir, var / "cf")
    return built.model_copy(update={"var_dir": var, "database_url": f"sqlite:///{var / 'shop.db'}"})


class Stack:
    """A real Rasa server and action server on free ports, with their own tracker DB.

    `settings` may ask for several Rasa instances (rasa_port, rasa_port + 1, …); the
    production profile adds the broker consumer (tests/test_production.py).
    """

    def __init__(self, settings: Settings, workdir: Path, **overrides) -> None:
        self.settings = settings.model_copy(update={
            "rasa_port": free_port_pair(), "action_port": free_port(), "web_port": free_port(),
            "tracker_db": workdir / "tracker.db", "rasa_token": "test-token",
            "identity_secret": "test-identity-secret-0123456789abcdef", "action_secret": "test-action-secret", **overrides,
        })
        self.env = process_env(self.settings)
        self.logs = workdir
        self.rasas: dict[int, subprocess.Popen] = {}
        self.actions: subprocess.Popen | None = None
        self.consumer: subprocess.Popen | None = None

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        return subprocess.Popen(argv, env=self.env, cwd=self.settings.root, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def start_actions(self) -> None:
        self.actions = self._spawn("actions", action_command(self.settings))
        wait_until_up(f"http://127.0.0.1:{self.settings.action_port}/health", 120, self.actions)

    def start_rasa(self, *instances: int) -> None:
        """Start these Rasa instances (default: the first) side by side; wait for all to load."""
        for instance in instances or (0,):
            self.rasas[instance] = self._spawn(f"rasa{instance}", rasa_command(self.settings, instance))
        for instance in instances or (0,):
            wait_until_up(f"{self.url(instance)}/", RASA_LOAD_TIMEOUT, self.rasas[instance])

    def start_consumer(self) -> None:
        self.consumer = self._spawn("events", consumer_command(self.settings))

    def url(self, instance: int = 0) -> str:
        return self.settings.rasa_urls[instance]

    @staticmethod
    def _stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop_actions(self, sig: int = signal.SIGTERM) -> None:
        self._stop(self.actions, sig)

    def stop_rasa(self, instance: int = 0, sig: int = signal.SIGTERM) -> None:
        self._stop(self.rasas.get(instance), sig)

    def stop_all(self) -> None:
        for instance in list(self.rasas):
            self.stop_rasa(instance)
        self.stop_actions()
        self._stop(self.consumer)

    def say(self, sender: str, message: str, instance: int = 0) -> list[dict]:
        """One turn through Rasa's internal REST channel, as the web relay sends it."""
        reply = httpx.post(f"{self.url(instance)}/webhooks/rest/webhook",
                           json={"sender": sender, "message": message}, timeout=60,
                           headers={"Authorization": f"Bearer {self.settings.api_token()}"})
        reply.raise_for_status()
        return reply.json()

    def token(self, user_id: str, ttl: int = 600) -> str:
        return shop_token(self.settings, user_id, ttl)

    def tracker(self, sender: str, instance: int = 0) -> dict:
        reply = httpx.get(f"{self.url(instance)}/conversations/{sender}/tracker",
                          params={"token": "test-token"}, timeout=30)
        reply.raise_for_status()
        return reply.json()


def shop_token(settings: Settings, user_id: str, ttl: int = 600) -> str:
    """What the shop's backend hands the widget for its logged-in user."""
    from core.identity import mint_identity

    return mint_identity(settings.secret("identity_secret"), user_id, settings.identity_issuer, ttl)


def free_port_pair() -> int:
    """A free port whose successor is free too (a second Rasa instance listens there)."""
    from bot.processes import port_free

    while True:
        port = free_port()
        if port < 65535 and port_free("127.0.0.1", port + 1):
            return port


@pytest.fixture
def client_for():
    """Make a TestClient of the web app whose settings are the given ones."""
    from fastapi.testclient import TestClient

    from bot.web.app import app
    from bot.web.deps import settings_dep

    def make(settings: Settings) -> TestClient:
        app.dependency_overrides[settings_dep] = lambda: settings
        return TestClient(app, raise_server_exceptions=False)

    yield make
    app.dependency_overrides.clear()


@pytest.fixture(scope="module")
def stack(built: Settings, tmp_path_factory) -> Iterator[Stack]:
    stack = Stack(built, tmp_path_factory.mktemp("stack"))
    try:
        stack.start_actions()
        stack.start_rasa()
        yield stack
    finally:
        stack.stop_all()


POSTGRES_ADMIN_URL = os.environ.get("SHOPBOT_TEST_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def service_unavailable(reason: str) -> None:
    """Skip, or fail when SHOPBOT_REQUIRE_SERVICES=1 (set by .ci/run: CI has the services)."""
    if os.environ.get("SHOPBOT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def create_postgres_database(prefix: str) -> str:
    """A new empty PostgreSQL database on the test server; its name. Skips (fails in CI) without one."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        service_unavailable(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    finally:
        admin.dispose()
    return name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    from sqlalchemy import create_engine, text

    from store.db import engine_for

    name = create_postgres_database("daogou_test")
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
