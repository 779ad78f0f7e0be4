"""Abuse at the web app's door: every endpoint given malformed JSON, wrong types and huge
bodies answers 4xx with a message; rate limits answer 429 in Chinese; every page carries a
CSP; /metrics reports turns and intents; the Rasa token never reaches a browser."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response

from core.settings import Settings
from web.app import app
from web.console.auth import add_staff
from tests.support.chat import new_sender
from tests.conftest import free_port, private_copy, shop_token
from tests.support.console_data import private_limits
from tests.web.console.test_console_auth import csrf_of, login

HOSTILE_BODIES = ['{"sender": "s1"', "[]", "null", '"text"', "12", '{"sender": 1, "message": {}}',
                  '{"user_id": ["x"], "product_id": {"a": 1}, "event": 3}', "\x00\x01\x02",
                  '{"text": "' + "长" * 5000 + '"}', "{" * 5000]


@pytest.fixture
def offline(built, client_for):
    settings = built.model_copy(update={"rasa_port": free_port(), "action_port": free_port(),
                                        "rate_limit_ip": "100000/minute", "rate_limit_sender": "100000/minute"})
    return client_for(settings)


def write_routes() -> list[tuple[str, str]]:
    """(method, path) of every state-changing endpoint, path parameters filled in."""
    found = []
    for route in iter_route_contexts(app.routes):
        for method in sorted((getattr(route, "methods", None) or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            found.append((method, re.sub(r"\{[^}]+\}", "x1", route.path)))
    return found


def test_there_are_write_endpoints_to_check():
    assert {("POST", "/api/chat"), ("POST", "/api/events"), ("POST", "/console/login")} <= set(write_routes())


ADMIN, PASSWORD = "door-admin", "correct-horse-1"
# Write endpoints whose work is done by the Rasa server: the session's real stack answers them.
CONVERSATION = "/console/api/conversations/x1"
NEEDS_RASA = {("POST", "/api/chat"), ("POST", f"{CONVERSATION}/takeover"), ("POST", f"{CONVERSATION}/messages"),
              ("POST", f"{CONVERSATION}/handback")}


@pytest.fixture(scope="module")
def own_shop(built, tmp_path_factory) -> Settings:
    """A private copy of the shop with a console admin: what well-formed requests write lands there."""
    settings = private_copy(built, tmp_path_factory.mktemp("doors")).model_copy(update={
        "rasa_port": free_port(), "action_port": free_port(),
        "rate_limit_ip": "100000/minute", "rate_limit_sender": "100000/minute"})
    add_staff(settings.db_url, ADMIN, PASSWORD, "admin")
    return settings


@dataclass
class Caller:
    """Someone each write endpoint lets in: a shopper with the shop's identity token, and an admin
    logged in to the console (session cookie) sending the session's CSRF token."""
    client: TestClient
    settings: Settings
    shopper: str = field(default_factory=lambda: new_sender("door"))
    csrf: str = ""

    def log_in(self) -> None:
        assert login(self.client, ADMIN, PASSWORD).status_code == 303
        self.csrf = csrf_of(self.client)

    def send(self, method: str, path: str, **request) -> Response:
        headers = {"Authorization": f"Bearer {shop_token(self.settings, self.shopper)}", "X-CSRF-Token": self.csrf,
                   **request.pop("headers", {})}
        return self.client.request(method, path, headers=headers, follow_redirects=False, **request)


@dataclass
class Door:
    """One write endpoint as a caller allowed through uses it."""
    path: str  # real path parameters
    good: dict  # the well-formed request: json= or data=
    ok: int  # what it answers
    location: str | None = None  # where a well-formed form post redirects
    reads_body: bool = True  # False: a body is ignored, so a hostile one is answered like none
    ends_session: bool = False  # logout: log in again before each call


def door(caller: Caller, method: str, path: str) -> Door:
    """The endpoint `write_routes` found, ready for a well-formed request (a conversation taken
    over first, an annotation to delete)."""
    conversation = f"/console/api/conversations/{new_sender('door-shopper')}"
    if path in (f"{CONVERSATION}/messages", f"{CONVERSATION}/handback"):
        assert caller.send("POST", f"{conversation}/takeover").status_code == 200
    annotation = {"sender_id": caller.shopper, "text": "有卖蓝牙耳机吗", "intent": "search_product"}
    doors = {
        ("POST", "/api/session"): lambda: Door(path, {}, 200, reads_body=False),
        ("POST", "/api/chat"): lambda: Door(path, {"json": {"message": "有卖蓝牙耳机吗"}}, 200),
        ("POST", "/api/events"): lambda: Door(path, {"json": {"product_id": "SKU010001", "event": "view"}}, 201),
        ("POST", "/console/login"): lambda: Door(path, {"data": {"username": ADMIN, "password": PASSWORD}}, 303),
        ("POST", "/console/logout"): lambda: Door(path, {}, 303, "/console/login", reads_body=False,
                                                  ends_session=True),
        ("POST", "/console/staff"): lambda: Door(path, {"data": {"action": "add", "username": new_sender("agent"),
                                                                 "password": PASSWORD, "role": "agent"}},
                                                 303, "/console/staff"),
        ("POST", f"{CONVERSATION}/takeover"): lambda: Door(f"{conversation}/takeover", {}, 200, reads_body=False),
        ("POST", f"{CONVERSATION}/messages"): lambda: Door(f"{conversation}/messages",
                                                           {"json": {"text": "您好，我来帮您看看"}}, 200),
        ("POST", f"{CONVERSATION}/handback"): lambda: Door(f"{conversation}/handback", {}, 200, reads_body=False),
        ("POST", "/console/api/annotations"): lambda: Door(path, {"json": annotation}, 201),
        ("DELETE", "/console/api/annotations/x1"): lambda: Door(
            f"/console/api/annotations/{caller.send('POST', '/console/api/annotations', json=annotation).json()['id']}",
            {}, 200, reads_body=False),
    }
    assert (method, path) in doors, f"{method} {path}: say here how a well-formed request looks"
    return doors[(method, path)]()


@pytest.mark.parametrize(("method", "path"), [pytest.param(*route, marks=pytest.mark.slow) if route in NEEDS_RASA
                                              else route for route in write_routes()])
def test_hostile_bodies_get_4xx_never_5xx(request, own_shop, client_for, method, path):
    """Called by someone it lets in (a shopper's token; an admin's console session with its CSRF
    token), each write endpoint does its work for a well-formed request and refuses malformed
    JSON, wrong types and absurd bodies itself with a 4xx and a reason, never a 500; an endpoint
    that reads no body answers them as it would answer none (never a 500)."""
    settings = own_shop.model_copy(update={"rate_limit_storage": private_limits()})
    if (method, path) in NEEDS_RASA:
        rasa = request.getfixturevalue("stack").settings
        settings = settings.model_copy(update={"rasa_port": rasa.rasa_port, "rasa_token": rasa.rasa_token})
    caller = Caller(client_for(settings), settings)
    caller.log_in()
    endpoint = door(caller, method, path)
    good = caller.send(method, endpoint.path, **endpoint.good)
    assert good.status_code == endpoint.ok, (method, endpoint.path, good.status_code, good.text[:300])
    assert good.headers.get("location") == endpoint.location or endpoint.location is None, good.headers
    if good.headers.get("content-type", "").startswith("application/json"):
        assert not good.json().get("degraded"), good.json()  # the relay reached Rasa
    lowest = 400 if endpoint.reads_body else 200
    for body in HOSTILE_BODIES:
        if endpoint.ends_session:
            caller.log_in()
        reply = caller.send(method, endpoint.path, content=body.encode("utf-8", "surrogatepass"),
                            headers={"content-type": "application/json"})
        assert lowest <= reply.status_code < 500, (method, path, body[:30], reply.status_code, reply.text[:200])
        if reply.status_code >= 400 and reply.headers.get("content-type", "").startswith("application/json"):
            assert reply.json().get("detail"), (method, path)


@pytest.mark.parametrize(("method", "path"), write_routes())
def test_huge_bodies_are_refused_with_413(offline, method, path):
    reply = offline.request(method, path, content=b'{"message": "' + b"a" * 200_000 + b'"}',
                            headers={"content-type": "application/json"})
    assert reply.status_code == 413
    assert "请求内容过大" in reply.json()["detail"]


def test_a_streamed_body_over_the_limit_is_refused(offline):
    def chunks():
        for _ in range(100):
            yield b"x" * 4096

    reply = offline.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
    assert reply.status_code == 413


def test_chat_is_rate_limited_per_sender_and_per_ip(built, client_for):
    settings = built.model_copy(update={"rasa_port": free_port(), "rate_limit_sender": "3/minute",
                                        "rate_limit_ip": "5/minute", "rate_limit_storage": f"memory://{uuid.uuid4().hex}"})
    client = client_for(settings)
    token = lambda user: shop_token(settings, user, 60)
    say = lambda user: client.post("/api/chat", json={"message": "你好"},
                                   headers={"Authorization": f"Bearer {token(user)}"})
    assert [say("fast").status_code for _ in range(3)] == [200, 200, 200]
    limited = say("fast")
    assert limited.status_code == 429 and limited.headers["retry-after"]
    assert "太快" in limited.json()["messages"][0]["text"]  # the widget shows it as a bot line
    assert say("another").status_code == 200  # other shoppers still get through …
    assert say("a-third").status_code == 429  # … until this IP has used its five
    events = client.post("/api/events", json={"product_id": "SKU010001", "event": "click"},
                         headers={"Authorization": f"Bearer {token('u1')}"})
    assert events.status_code == 429 and "太快" in events.json()["detail"]


@pytest.mark.parametrize("path", ["/", "/console/login", "/api/products/SKU010001", "/healthz", "/metrics"])
def test_every_response_has_security_headers(offline, path):
    headers = offline.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-request-id"]


def test_the_rasa_token_never_reaches_a_browser(built, client_for):
    settings = built.model_copy(update={"rasa_token": "secret-rasa-token-123"})
    client = client_for(settings)
    for path in ("/", "/api/widget/config", "/static/widget/daogou.js", "/console/login", "/metrics"):
        assert "secret-rasa-token-123" not in client.get(path).text


def test_metrics_report_turns_requests_and_intents(offline, built):
    offline.post("/api/chat", json={"sender": "m1", "message": "你好"})
    assert offline.get("/metrics").status_code == 401  # Prometheus sends its token
    text = offline.get("/metrics", headers={"Authorization": f"Bearer {built.secret('metrics_token')}"}).text
    assert "daogou_http_request_seconds_count{" in text
    assert 'route="/api/chat"' in text
    assert "daogou_rasa_errors_total" in text  # Rasa is down here: the relay counted it
    assert re.search(r"^daogou_rasa_errors_total [1-9]", text, re.M)


SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/static/widget/daogou.js", None), ("GET", "/console", None),  # a module; a redirect to login
    ("GET", "/no-such-page", None), ("GET", "/api/products/NO-SUCH-SKU", None),  # 404s
    ("POST", "/api/chat", b"[]"), ("POST", "/api/chat", b'{"message": "' + b"a" * 200_000 + b'"}'),  # 422, 413
])
def test_error_and_redirect_responses_carry_every_security_header(offline, method, path, body):
    """Not only pages: a script, a redirect, a 404, a 422 and a 413 each carry the CSP, nosniff, a
    referrer policy that leaks no path to other sites, X-Frame-Options SAMEORIGIN and a request id
    (the one the client sent, so a support ticket finds its log line)."""
    request_id = uuid.uuid4().hex
    reply = offline.request(method, path, content=body, follow_redirects=False,
                            headers={"content-type": "application/json", "x-request-id": request_id})
    headers = reply.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in SAFE_REFERRER_POLICIES
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["x-request-id"] == request_id, (reply.status_code, dict(headers))
    assert offline.get(path).headers["x-request-id"] not in ("", request_id)  # a fresh one otherwise
