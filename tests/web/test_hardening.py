"""Abuse at the web app's door: every endpoint given malformed JSON, wrong types and huge
bodies answers 4xx with a message; rate limits answer 429 in Chinese; every page carries a
CSP; /metrics reports turns and intents; the Rasa token never reaches a browser."""
from __future__ import annotations

import re
import uuid

import pytest
from fastapi.routing import iter_route_contexts

from web.app import app
from tests.conftest import free_port, shop_token

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


# POST endpoints that read no body (a session is minted from the Authorization header alone).
BODYLESS = {("POST", "/api/session")}


@pytest.mark.parametrize(("method", "path"), write_routes())
def test_hostile_bodies_get_4xx_never_5xx(offline, method, path):
    lowest = 200 if (method, path) in BODYLESS else 300
    for body in HOSTILE_BODIES:
        reply = offline.request(method, path, content=body.encode("utf-8", "surrogatepass"),
                                headers={"content-type": "application/json"}, follow_redirects=False)
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
