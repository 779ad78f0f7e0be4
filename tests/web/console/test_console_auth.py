"""Staff console authentication: every /console route refuses anonymous requests (walked from
the app's own routes, so routes added later are covered automatically), login and logout,
sessions, CSRF, roles, the `shopbot staff` CLI, and login in a real browser."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, update
from starlette.routing import Mount, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from web.console.auth import add_staff, now, set_active
from core.settings import Settings, get_settings
from web.app import app
from store.db import downgrade, engine_for, migrate, session_scope
from store.models import Base, StaffSession
from tests.conftest import free_port
from tests.support.console_data import private_limits
from tests.web.test_widget import browser, start_web  # noqa: F401 (a fixture, used by name)

PASSWORD = "correct-horse-1"
AGENT, ADMIN = "agent1", "boss"
CONSOLE_TABLES = {"staff_users", "staff_sessions", "annotations"}
PUBLIC = ("/console/login", "/console/static")
LOGIN_FAILED = "用户名或密码不正确"


def fresh_settings(folder: Path) -> Settings:
    """Settings on a new database in `folder` (the migrations create it on first use), with login
    throttling counters of their own."""
    return get_settings().model_copy(update={
        "database_url": f"sqlite:///{folder / 'console.db'}", "tracker_db": folder / "tracker.db",
        "rate_limit_storage": private_limits()})


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory) -> Settings:
    """A database without any staff, shared by the route walk (which changes nothing)."""
    settings = fresh_settings(tmp_path_factory.mktemp("anonymous"))
    migrate(settings.db_url)
    return settings


@pytest.fixture
def console(tmp_path: Path) -> Settings:
    """Settings on a new database with an agent and an admin."""
    settings = fresh_settings(tmp_path)
    add_staff(settings.db_url, AGENT, PASSWORD, "agent")
    add_staff(settings.db_url, ADMIN, PASSWORD, "admin")
    return settings


def login(client: TestClient, username: str, password: str = PASSWORD, next: str = "/console/annotations"):
    return client.post("/console/login", data={"username": username, "password": password, "next": next},
                       follow_redirects=False)


def logged_in(client_for, settings: Settings, username: str = AGENT) -> TestClient:
    """A client with a console session of `username`."""
    client = client_for(settings)
    assert login(client, username).status_code == 303
    return client


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, as a page hands it to scripts."""
    page = client.get("/console/annotations")
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


# ---------------------------------------------------------------- every route needs a login


def console_routes() -> list[tuple[str, str]]:
    """(method, path) of every /console route of the app but the public ones, with every path
    parameter filled in (with "1", valid for ints and strings); websockets as method WEBSOCKET."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path
        if not path.startswith("/console") or path.startswith(PUBLIC):
            continue
        filled = re.sub(r"\{[^}]+\}", "1", path)
        if isinstance(route.original_route, (WebSocketRoute, APIWebSocketRoute)):
            found.append(("WEBSOCKET", filled))
        elif isinstance(route.original_route, Mount):
            found.append(("GET", filled + "/"))
        else:
            found += [(method, filled) for method in sorted(route.methods)]
    return found


def test_the_route_walk_sees_the_console():
    routes = set(console_routes())
    assert {("GET", "/console"), ("GET", "/console/annotations"), ("GET", "/console/staff"),
            ("POST", "/console/staff"), ("POST", "/console/logout"), ("GET", "/console/api/staff"),
            ("GET", "/console/api/annotations"), ("POST", "/console/api/annotations"),
            ("DELETE", "/console/api/annotations/1")} <= routes
    assert not any(path.startswith(PUBLIC) for _, path in routes)


@pytest.mark.parametrize(("method", "path"), console_routes())
def test_every_console_route_needs_a_login(anonymous, client_for, method, path):
    client = client_for(anonymous)
    if method == "WEBSOCKET":
        with pytest.raises(WebSocketDisconnect):
            with client.websocket_connect(path) as socket:
                socket.receive_text()
        return
    reply = client.request(method, path, follow_redirects=False)
    if path.startswith("/console/api/"):
        assert reply.status_code == 401, (method, path, reply.text)
        if method != "HEAD":
            assert reply.json() == {"detail": "请先登录"}
    else:
        assert reply.status_code == 303, (method, path, reply.text)
        assert reply.headers["location"].startswith("/console/login?next=%2Fconsole")


def test_a_page_sends_you_back_after_login(console, client_for):
    client = client_for(console)
    away = client.get("/console/annotations?exported=false", follow_redirects=False)
    assert away.headers["location"] == "/console/login?next=%2Fconsole%2Fannotations%3Fexported%3Dfalse"
    form = client.get(away.headers["location"])
    assert form.status_code == 200 and 'value="/console/annotations?exported=false"' in form.text
    assert login(client, AGENT, next="/console/annotations?exported=false").headers["location"] == \
        "/console/annotations?exported=false"
    # Already logged in: the login page goes straight on.
    assert client.get("/console/login?next=/console/annotations", follow_redirects=False).headers["location"] == \
        "/console/annotations"


def test_static_files_are_public(console, client_for):
    client = client_for(console)
    for name in ("console.css", "console.js"):
        assert client.get(f"/console/static/{name}").status_code == 200


# ---------------------------------------------------------------- login, sessions, logout


def test_a_failed_login_does_not_say_what_was_wrong(console, client_for):
    client = client_for(console)
    replies = [login(client, AGENT, "wrong-password"), login(client, "nobody", PASSWORD)]
    for reply in replies:
        assert reply.status_code == 401 and "set-cookie" not in reply.headers
        assert re.search(r'class="error"[^>]*>([^<]+)<', reply.text).group(1) == LOGIN_FAILED
    assert client.get("/console/api/annotations").status_code == 401


def test_login_sets_a_hardened_cookie_and_stores_only_its_hash(console, client_for):
    client = client_for(console)
    reply = login(client, AGENT)
    assert reply.status_code == 303 and reply.headers["location"] == "/console/annotations"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("daogou_console=") and "HttpOnly" in cookie and "Path=/console" in cookie
    assert "samesite=lax" in cookie.lower() and "Secure" not in cookie
    token = client.cookies["daogou_console"]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    with session_scope(console.db_url) as session:
        stored = session.scalars(select(StaffSession.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    page = client.get("/console/annotations")
    assert page.status_code == 200 and f"{AGENT}（客服）" in page.text


def test_cookies_are_secure_when_configured(console, client_for):
    secure = console.model_copy(update={"console_secure_cookies": True})
    assert "Secure" in login(client_for(secure), AGENT).headers["set-cookie"]


def test_logout_ends_the_session_for_good(console, client_for):
    client = logged_in(client_for, console)
    token = client.cookies["daogou_console"]
    out = client.post("/console/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    with session_scope(console.db_url) as session:
        assert session.scalars(select(StaffSession)).all() == []
    replay = client_for(console).get("/console/api/annotations", headers={"Cookie": f"daogou_console={token}"})
    assert replay.status_code == 401


def test_an_expired_session_is_no_session(console, client_for):
    client = logged_in(client_for, console)
    with session_scope(console.db_url) as session:
        session.execute(update(StaffSession).values(expires_at=now() - timedelta(minutes=1)))
    assert client.get("/console/api/annotations").status_code == 401


def test_disabled_staff_cannot_log_in_and_lose_their_session(console, client_for):
    client = logged_in(client_for, console)
    assert set_active(console.db_url, AGENT, False)
    assert client.get("/console/api/annotations").status_code == 401
    failed = login(client_for(console), AGENT)
    assert failed.status_code == 401 and LOGIN_FAILED in failed.text


def test_next_only_leads_into_the_console(console, client_for):
    client = client_for(console)
    for target in ("https://evil.example/console", "//evil.example/console", "/api/chat",
                   "/console\\@evil.example", "javascript:alert(1)", ""):
        assert login(client, AGENT, next=target).headers["location"] == "/console", target


# ---------------------------------------------------------------- login throttling

TOO_MANY = re.compile(r"登录尝试次数过多，请 (\d+) 分钟后再试")


def client_at(client_for, settings: Settings, ip: str) -> TestClient:
    """A client of the app with these settings whose requests come from `ip`."""
    client_for(settings)  # installs the settings override (and clears it after the test)
    return TestClient(app, raise_server_exceptions=False, client=(ip, 50000))


def assert_locked(reply, minutes: int | None = None) -> None:
    """429 with Retry-After and the Chinese reason on the login form; no session."""
    assert reply.status_code == 429, reply.text
    assert 1 <= int(reply.headers["retry-after"]) <= 15 * 60
    shown = re.search(r'class="error"[^>]*>([^<]+)<', reply.text).group(1)
    assert TOO_MANY.fullmatch(shown) and "set-cookie" not in reply.headers
    assert 'name="password"' in reply.text  # the form is there to try again later
    if minutes is not None:
        assert TOO_MANY.fullmatch(shown).group(1) == str(minutes)


def test_an_account_is_locked_after_five_failures_even_for_the_right_password(console, client_for):
    defaults = {name: Settings.model_fields[name].default
                for name in ("console_login_limit_account", "console_login_limit_ip")}
    assert defaults == {"console_login_limit_account": "5/15 minutes", "console_login_limit_ip": "20/15 minutes"}
    console = console.model_copy(update=defaults)
    client = client_at(client_for, console, "203.0.113.7")
    for _ in range(5):
        assert login(client, AGENT, "wrong-password").status_code == 401
    assert_locked(login(client, AGENT), minutes=15)
    api = client.post("/console/login", data={"username": AGENT, "password": PASSWORD},
                      headers={"Accept": "application/json"}, follow_redirects=False)
    assert api.status_code == 429 and "retry-after" in api.headers
    assert TOO_MANY.fullmatch(api.json()["detail"])
    # The account is locked from everywhere; another account from another address is not.
    assert_locked(login(client_at(client_for, console, "198.51.100.1"), AGENT))
    assert login(client_at(client_for, console, "198.51.100.2"), ADMIN).status_code == 303


def test_an_address_is_locked_after_its_failures_on_any_accounts(console, client_for):
    strict = console.model_copy(update={"console_login_limit_ip": "4/15 minutes"})
    attacker = client_at(client_for, strict, "203.0.113.8")
    for name in ("a", "b", "c", AGENT):  # spread over accounts, under each account's limit
        assert login(attacker, name, "guess-123").status_code == 401
    assert_locked(login(attacker, ADMIN))
    assert_locked(login(attacker, "anyone-else", "guess-123"))
    assert login(client_at(client_for, strict, "203.0.113.9"), AGENT).status_code == 303


def test_only_failures_count(console, client_for):
    strict = console.model_copy(update={"console_login_limit_account": "2/15 minutes",
                                        "console_login_limit_ip": "3/15 minutes"})
    client = client_at(client_for, strict, "203.0.113.10")
    assert login(client, AGENT, "wrong-password").status_code == 401
    for _ in range(6):  # twice the allowance of both counters, all successful
        assert login(client, AGENT).status_code == 303
    assert login(client, AGENT, "wrong-password").status_code == 401
    assert_locked(login(client, AGENT))


def test_a_lockout_ends_when_the_failures_leave_the_window(console, client_for):
    brief = console.model_copy(update={"console_login_limit_account": "2/2 seconds"})
    client = client_at(client_for, brief, "203.0.113.11")
    for _ in range(2):
        assert login(client, AGENT, "wrong-password").status_code == 401
    locked = login(client, AGENT)
    assert_locked(locked, minutes=1)
    assert int(locked.headers["retry-after"]) <= 2
    time.sleep(int(locked.headers["retry-after"]) + 0.2)
    assert login(client, AGENT).status_code == 303


# ---------------------------------------------------------------- CSRF and roles


def test_state_changes_need_the_sessions_csrf_token(console, client_for):
    client = logged_in(client_for, console)
    other = logged_in(client_for, console, ADMIN)
    body = {"sender_id": "s1", "text": "要黑色的", "intent": "refine_search", "entities": []}
    assert client.post("/console/api/annotations", json=body).status_code == 403
    for forged in ("forged", csrf_of(other)):
        reply = client.post("/console/api/annotations", json=body, headers={"X-CSRF-Token": forged})
        assert reply.status_code == 403 and reply.json()["detail"] == "请求已过期，请刷新页面后重试"
    for forged in ("", "令牌", csrf_of(other)):
        assert client.post("/console/logout", data={"csrf_token": forged}).status_code == 403
    assert client.post("/console/api/annotations", json=body,
                       headers={"X-CSRF-Token": csrf_of(client)}).status_code == 201


def test_only_admins_manage_staff(console, client_for):
    agent = logged_in(client_for, console)
    assert agent.get("/console/staff").status_code == 403
    assert agent.get("/console/api/staff").status_code == 403
    assert 'href="/console/staff"' not in agent.get("/console/annotations").text
    assert agent.post("/console/staff", data={"csrf_token": csrf_of(agent), "action": "add", "username": "x",
                                              "password": "long-enough-pw"}).status_code == 403

    admin = logged_in(client_for, console, ADMIN)
    assert 'href="/console/staff"' in admin.get("/console/annotations").text
    token = csrf_of(admin)
    made = admin.post("/console/staff", data={"csrf_token": token, "action": "add", "username": "新同事",
                                              "password": "long-enough-pw", "role": "agent"})
    assert made.status_code == 200 and "新同事" in made.text
    assert {"username": "新同事", "role": "agent", "active": True} == {
        k: v for k, v in next(u for u in admin.get("/console/api/staff").json()["staff"]
                              if u["username"] == "新同事").items() if k != "created_at"}
    assert login(client_for(console), "新同事", "long-enough-pw").status_code == 303
    weak = admin.post("/console/staff", data={"csrf_token": token, "action": "add", "username": "y",
                                              "password": "short"})
    assert "密码至少 8 位" in weak.text
    itself = admin.post("/console/staff", data={"csrf_token": token, "action": "disable", "username": ADMIN})
    assert "不能停用自己的账号" in itself.text
    admin.post("/console/staff", data={"csrf_token": token, "action": "disable", "username": AGENT})
    assert agent.get("/console/api/annotations").status_code == 401


# ---------------------------------------------------------------- schema and CLI


def test_the_migration_matches_the_models_and_goes_down(tmp_path):
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    migrate(url)
    with engine_for(url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if any(name in repr(d) for name in CONSOLE_TABLES)] == []
    downgrade(url, "0001")
    assert not CONSOLE_TABLES & set(inspect(engine_for(url)).get_table_names())
    migrate(url)
    assert CONSOLE_TABLES <= set(inspect(engine_for(url)).get_table_names())


def shopbot(settings: Settings, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    """Run the real `shopbot` CLI against these settings' database."""
    return subprocess.run([str(settings.root / ".venv" / "bin" / "shopbot"), *args], input=stdin,
                          capture_output=True, text=True, cwd=settings.root, timeout=120,
                          env={**os.environ, "SHOPBOT_DATABASE_URL": settings.db_url, **env})


def test_staff_cli_adds_lists_and_disables(console, client_for):
    added = shopbot(console, "staff", "add", "clerk", "--role", "admin", "--password-stdin", stdin="clerk-pass-1\n")
    assert added.returncode == 0, added.stderr
    scripted = shopbot(console, "staff", "add", "robot", SHOPBOT_STAFF_PASSWORD="robot-pass-1")
    assert scripted.returncode == 0, scripted.stderr
    refused = shopbot(console, "staff", "add", "x", "--role", "root", "--password-stdin", stdin="long-enough\n")
    assert refused.returncode == 2 and "角色只能是 agent / admin" in refused.stderr
    assert login(client_for(console), "clerk", "clerk-pass-1").status_code == 303
    assert login(client_for(console), "robot", "robot-pass-1").status_code == 303
    assert shopbot(console, "staff", "disable", "clerk").returncode == 0
    lines = set(shopbot(console, "staff", "list").stdout.splitlines())
    assert lines == {"clerk\tadmin\tdisabled", "robot\tagent\tactive", f"{AGENT}\tagent\tactive",
                     f"{ADMIN}\tadmin\tactive"}
    assert login(client_for(console), "clerk", "clerk-pass-1").status_code == 401


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def console_web(tmp_path_factory):
    """The web app (uvicorn, no Rasa needed) on its own database with one agent."""
    workdir = tmp_path_factory.mktemp("console-web")
    settings = get_settings().model_copy(update={
        "database_url": f"sqlite:///{workdir / 'console.db'}", "tracker_db": workdir / "tracker.db",
        "web_port": free_port(), "rasa_port": free_port(), "action_port": free_port()})
    add_staff(settings.db_url, AGENT, PASSWORD, "agent")
    web = start_web(settings, workdir)
    yield web
    web.stop()


@pytest.mark.integration
def test_login_in_the_browser(browser, console_web):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{console_web.url}/console/annotations")
    assert "/console/login?next=" in page.url
    page.fill("input[name=username]", AGENT)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == LOGIN_FAILED
    assert page.input_value("input[name=username]") == AGENT
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/annotations")
    assert page.locator(".top .who").inner_text() == f"{AGENT}（客服）"
    assert page.locator("h1").inner_text().startswith("标注")
    cookie = next(c for c in context.cookies() if c["name"] == "daogou_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read the session
    page.click(".logout button")
    page.wait_for_url("**/console/login")
    page.goto(f"{console_web.url}/console/annotations")
    assert "/console/login?next=" in page.url
    context.close()
