"""Shared fixtures: the project's built artefacts, private copies of what tests write, the
session's real Rasa + action server stack, and PostgreSQL test databases.

Isolation (README, "Tests and services"): no test writes into the developer's var/ or tracker
store. Whatever writes gets `private_copy` (the `shop` fixture, every `Stack`); the shared
`stack` serves every test, so each test talks as senders of its own (`tests.support.chat.new_sender`)
and starts again whatever process of it it stops.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from core.build import build_all, build_catalog
from core.processes import (action_command, consumer_command, process_env, rasa_command,
                           wait_until_up)
from core.settings import Settings, get_settings

RASA_LOAD_TIMEOUT = 300


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`slow` (left out of `make test-fast`) for every test that starts Rasa (`integration`),
    needs its model (`rasa_model`), uses the shared `stack` or drives Chromium (`browser`)."""
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("integration") or {"rasa_model", "stack", "browser"} & uses:
            item.add_marker(pytest.mark.slow)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def built() -> Settings:
    """Project settings with the shop's artefacts built: database, lexicon, index, recommender
    models (no-op when `make test` already built them). Read-only: writers use `private_copy`."""
    settings = get_settings()
    build_all(settings, only=["catalog", "lexicon", "index", "cf"], log=lambda _: None)
    return settings


@pytest.fixture(scope="session")
def rasa_model(built: Settings) -> Settings:
    """`built` with the Rasa model current too (`rasa train`, ~5 min, when its inputs changed):
    only tests that run Rasa need it, so `make test-fast` never trains."""
    build_all(built, only=["rasa"], log=lambda _: None)
    return built


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (what its WAL holds included); the source is only read."""
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def private_copy(built: Settings, folder: Path) -> Settings:
    """`built` on a copy of its var/ in `folder` (shop database, recommender models, index,
    secrets; no action metrics) and a tracker DB of its own: what runs on it writes only there."""
    var = folder / "var"
    shutil.copytree(built.var, var, ignore=shutil.ignore_patterns("metrics", "shop.db*", "*tracker*"))
    copy_sqlite(built.var / "shop.db", var / "shop.db")
    return built.model_copy(update={"var_dir": var, "database_url": f"sqlite:///{var / 'shop.db'}",
                                    "tracker_db": folder / "tracker.db", "tracker_url": ""})


@pytest.fixture
def shop(built: Settings, tmp_path: Path) -> Settings:
    """Settings on a private copy of the built shop database and recommender models (this test's own)."""
    return private_copy(built, tmp_path)


class Stack:
    """A real Rasa server and action server on free ports, on a private copy of var/ and its own
    tracker DB (`private_copy`).

    `settings` may ask for several Rasa instances (rasa_port, rasa_port + 1, …); the
    production profile adds the broker consumer (tests/production/test_production.py).
    """

    def __init__(self, settings: Settings, workdir: Path, **overrides) -> None:
        self.settings = private_copy(settings, workdir).model_copy(update={
            "rasa_port": free_port_pair(), "action_port": free_port(), "web_port": free_port(),
            "rasa_token": "test-token", "identity_secret": "test-identity-secret-0123456789abcdef",
            "action_secret": "test-action-secret", **overrides,
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
    from core.processes import port_free

    while True:
        port = free_port()
        if port < 65535 and port_free("127.0.0.1", port + 1):
            return port


@pytest.fixture
def client_for():
    """Make a TestClient of the web app whose settings are the given ones."""
    from fastapi.testclient import TestClient

    from web.app import app
    from web.deps import settings_dep

    def make(settings: Settings) -> TestClient:
        app.dependency_overrides[settings_dep] = lambda: settings
        return TestClient(app, raise_server_exceptions=False)

    yield make
    app.dependency_overrides.clear()


@pytest.fixture(scope="session")
def stack(rasa_model: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The session's one default stack, shared by every module that needs no special settings
    (starting Rasa and the action server takes 15–100 s); a module that does builds its own `Stack`."""
    stack = Stack(rasa_model, tmp_path_factory.mktemp("stack"))
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


def postgres_url(name: str) -> str:
    """The URL of database `name` on the test server."""
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _admin_execute(sql: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


def create_postgres_database(prefix: str, template: str | None = None) -> str:
    """A new PostgreSQL database on the test server, empty or a copy of `template`; its name.
    Skips (fails in CI) without a server."""
    from sqlalchemy.exc import OperationalError

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        _admin_execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None):  # the server answered (e.g. template in use): a failure
            raise
        service_unavailable(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    return name


def drop_postgres_database(name: str) -> None:
    """Drop database `name`, closing this process's pooled connections to it first."""
    from store.db import engine_for

    engine_for(postgres_url(name)).dispose()
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_shop_template(built: Settings) -> Iterator[str]:
    """A PostgreSQL database holding the shipped shop, imported once per session (~30–45 s), that
    tests clone in a second (`create_postgres_database(prefix, template=…)`); dropped at the end."""
    from store.db import engine_for

    name = create_postgres_database("daogou_tpl")
    try:
        build_catalog(built.model_copy(update={"database_url": postgres_url(name)}))
        engine_for(postgres_url(name)).dispose()  # CREATE DATABASE … TEMPLATE needs it unconnected
        yield name
    finally:
        drop_postgres_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    name = create_postgres_database("daogou_test")
    try:
        yield postgres_url(name)
    finally:
        drop_postgres_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def shop_db_url(request: pytest.FixtureRequest, built: Settings, tmp_path: Path) -> Iterator[str]:
    """A database holding the shipped shop: a copy of the built SQLite file, or a clone of the
    session's PostgreSQL template (slow: the first one imports the template), dropped afterwards."""
    if request.param == "sqlite":
        copy_sqlite(built.var / "shop.db", tmp_path / "shop.db")
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    name = create_postgres_database("daogou_shop", template=request.getfixturevalue("postgres_shop_template"))
    try:
        yield postgres_url(name)
    finally:
        drop_postgres_database(name)
