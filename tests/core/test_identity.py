"""Shopper identity without the servers: tokens (core/identity.py), the web app's session and
relay endpoints, the limits every channel applies, and the secrets' files."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import uuid

import jwt
import pytest

from core.identity import (ANONYMOUS_ISSUER, InvalidIdentity, mint_anonymous, mint_identity, verify)
from core.limits import MovingWindow, client_ip, parse_rate
from tests.conftest import free_port, shop_token

SECRET, ISSUER = "s" * 32, "shop"


def forged_tokens(secret: str, issuer: str, user: str) -> dict[str, str]:
    """Every way a token for `user` can be wrong."""
    now = int(time.time())
    claims = {"sub": user, "iss": issuer, "exp": now + 600}
    return {
        "other secret": jwt.encode(claims, "not-the-shops-secret-0123456789abcdef", algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": now - 3600}, secret, algorithm="HS256"),
        "no expiry": jwt.encode({"sub": user, "iss": issuer}, secret, algorithm="HS256"),
        "wrong issuer": jwt.encode({**claims, "iss": "someone-else"}, secret, algorithm="HS256"),
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "anonymous issuer, user subject": jwt.encode({**claims, "iss": ANONYMOUS_ISSUER}, secret, algorithm="HS256"),
        "tampered": mint_identity(secret, "u99999", issuer, 600)[:-4] + "AAAA",
        "garbage": "not.a.token",
        "huge": "x" * 10_000,
    }


def test_a_shop_token_names_its_user_and_an_anonymous_one_a_server_issued_id():
    assert verify(SECRET, mint_identity(SECRET, "u00042", ISSUER, 60), ISSUER).sender_id == "u00042"
    assert verify(SECRET, mint_identity(SECRET, "u00042", ISSUER, 60), ISSUER).verified
    shopper, token = mint_anonymous(SECRET, 60)
    again = verify(SECRET, token, ISSUER)
    assert again == shopper and not again.verified and again.sender_id.startswith("anon-")
    assert mint_anonymous(SECRET, 60)[0].sender_id != shopper.sender_id  # unguessable, never reused


@pytest.mark.parametrize("kind", list(forged_tokens(SECRET, ISSUER, "u00042")))
def test_forged_tokens_are_refused(kind):
    with pytest.raises(InvalidIdentity):
        verify(SECRET, forged_tokens(SECRET, ISSUER, "u00042")[kind], ISSUER)


@pytest.mark.parametrize("user", ["anon-abc", "", "a/b", "用户1", "..", "x" * 65, "a b"])
def test_the_shop_cannot_mint_an_anonymous_looking_or_unaddressable_user(user):
    with pytest.raises(ValueError):
        mint_identity(SECRET, user, ISSUER, 60)


def test_session_endpoint_derives_the_sender_from_the_token(built, client_for):
    client = client_for(built)
    user = client.post("/api/session", headers={"Authorization": f"Bearer {shop_token(built, 'u00007')}"})
    assert user.status_code == 200 and user.json()["sender"] == "u00007" and user.json()["verified"]
    new = client.post("/api/session").json()
    assert new["sender"].startswith("anon-") and not new["verified"]
    renewed = client.post("/api/session", headers={"Authorization": f"Bearer {new['token']}"}).json()
    assert renewed["sender"] == new["sender"]  # a reload keeps the conversation
    for kind, token in forged_tokens(built.secret("identity_secret"), built.identity_issuer, "u00007").items():
        refused = client.post("/api/session", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401, kind
        assert "身份验证失败" in refused.json()["detail"] and "u00007" not in refused.text


def test_sessions_are_rate_limited_per_ip(built, client_for):
    client = client_for(built.model_copy(update={"rate_limit_ip": "3/minute",
                                                 "rate_limit_storage": f"memory://{uuid.uuid4().hex}"}))
    assert [client.post("/api/session").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_relay_ignores_a_body_sender_and_refuses_forged_tokens(built, client_for):
    settings = built.model_copy(update={"rasa_port": free_port()})  # nothing listens: Rasa "down"
    client = client_for(settings)
    reply = client.post("/api/chat", json={"sender": "u00007", "message": "我的订单"}).json()
    assert reply["session"]["sender"].startswith("anon-") and "u00007" not in json.dumps(reply)
    for kind, token in forged_tokens(built.secret("identity_secret"), built.identity_issuer, "u00007").items():
        refused = client.post("/api/chat", json={"message": "我的订单"}, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401 and "身份验证失败" in refused.json()["detail"], kind


def test_an_over_long_message_is_answered_politely_without_rasa(built, client_for):
    client = client_for(built.model_copy(update={"rasa_port": free_port()}))
    reply = client.post("/api/chat", json={"message": "我想买耳机" * 1600})
    assert reply.status_code == 200 and "精简到 1000 字以内" in reply.json()["messages"][0]["text"]


def test_events_from_the_browser_cannot_forge_cart_adds_or_purchases(shop, client_for):
    client = client_for(shop)
    me = {"Authorization": f"Bearer {shop_token(shop, 'u00007')}"}
    for event in ("purchase", "add_to_cart"):
        assert client.post("/api/events", json={"product_id": "SKU010001", "event": event}, headers=me).status_code == 422
    assert client.post("/api/events", json={"product_id": "SKU010001", "event": "click"}).status_code == 401
    from sqlalchemy import func, select

    from store.db import session_scope
    from store.models import Interaction

    def chat_clicks(user: str) -> int:
        with session_scope(shop.db_url) as session:
            return session.scalar(select(func.count()).where(Interaction.dataset == "chat",
                                                             Interaction.user_id == user))

    before = chat_clicks("u00007"), chat_clicks("u00001")
    written = client.post("/api/events", json={"user_id": "u00001", "product_id": "SKU010001", "event": "click"},
                          headers=me)
    assert written.status_code == 201
    assert (chat_clicks("u00007"), chat_clicks("u00001")) == (before[0] + 1, before[1])  # the token's shopper


def test_api_docs_are_off_and_metrics_need_the_scrapers_token(built, client_for):
    client = client_for(built)
    assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {built.secret('metrics_token')}"})
    assert ok.status_code == 200 and "daogou_http_request_seconds" in ok.text


def test_the_demo_login_is_off_unless_asked_for(built, client_for):
    page = client_for(built).get("/?user_id=u00007").text
    assert "data-identity-token" not in page
    demo = client_for(built.model_copy(update={"demo_login": True})).get("/?user_id=u00007").text
    token = demo.split('data-identity-token="')[1].split('"')[0]
    assert verify(built.secret("identity_secret"), token, built.identity_issuer).sender_id == "u00007"
    for unusable in ("anon-u00007", "用户7"):  # never a shop's user id: the page stays anonymous
        reply = client_for(built.model_copy(update={"demo_login": True})).get("/", params={"user_id": unusable})
        assert reply.status_code == 200 and "data-identity-token" not in reply.text


def test_access_log_names_no_shopper(built, client_for, caplog):
    client = client_for(built)
    with caplog.at_level("INFO", logger="daogou.access"):
        client.post("/api/session", headers={"Authorization": f"Bearer {shop_token(built, 'u00007')}"})
    lines = [r.getMessage() for r in caplog.records if "/api/session" in r.getMessage()]
    assert lines and all("u00007" not in line for line in lines)
    assert json.loads(lines[-1])["sender"].startswith("p-")


def test_cli_prints_a_token_the_server_accepts(built):
    run = subprocess.run([sys.executable, "-m", "cli.main", "identity", "token", "u00042", "--ttl", "120"],
                         cwd=built.root, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    shopper = verify(built.secret("identity_secret"), run.stdout.strip(), built.identity_issuer)
    assert shopper.sender_id == "u00042" and shopper.verified
    claims = jwt.decode(run.stdout.strip(), options={"verify_signature": False})
    assert 110 <= claims["exp"] - claims["iat"] <= 120


def test_secrets_and_databases_are_owner_only(built):
    for name in ("identity_secret", "action_secret", "rasa_token", "metrics_token", "privacy_key"):
        built.secret(name)
        mode = stat.S_IMODE(os.stat(built.var / name).st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert stat.S_IMODE(os.stat(built.var / "shop.db").st_mode) == 0o600


def test_forwarded_headers_are_believed_only_from_trusted_proxies(built):
    from core.processes import web_command

    assert "--no-proxy-headers" in web_command(built)
    behind = web_command(built.model_copy(update={"trusted_proxies": "10.0.0.2"}))
    assert behind[behind.index("--forwarded-allow-ips") + 1] == "10.0.0.2"
    assert client_ip("203.0.113.9", "1.2.3.4", set()) == "203.0.113.9"  # a spoofed header
    assert client_ip("10.0.0.2", "1.2.3.4, 198.51.100.7", {"10.0.0.2"}) == "198.51.100.7"


def test_moving_window_counts_per_key_and_forgets_old_hits():
    window = MovingWindow("3/minute")
    assert [window.hit("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert window.hit("b", now=3)
    assert window.hit("a", now=61)  # the first hit left the window
    assert parse_rate("5/15 minutes") == (5, 900)


def test_no_secret_is_passed_on_a_command_line(built):
    from core.processes import commands, process_env

    env = process_env(built)
    secrets = [env[k] for k in ("SHOPBOT_RASA_TOKEN", "SHOPBOT_IDENTITY_SECRET", "SHOPBOT_ACTION_SECRET",
                                "SHOPBOT_METRICS_TOKEN", "SHOPBOT_PRIVACY_KEY")]
    for name, argv in commands(built).items():
        assert not any(s in " ".join(argv) for s in secrets), name

