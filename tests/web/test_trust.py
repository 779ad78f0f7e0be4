"""The trust boundary against real processes (Rasa, the action server, the web app), tried as an
attacker on this machine would: impersonation on every path, internal services, message size
and floods, listening interfaces, secrets in process listings."""
from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from store.db import session_scope
from store.models import Order
from tests.support.chat import cart_of, new_sender, texts_of
from tests.support.socketio_wire import Refused, SocketClient
from tests.core.test_identity import forged_tokens
from tests.support.web_process import start_web

pytestmark = pytest.mark.integration
LONG = "我想买耳机" * 1600  # 8,000 characters


@dataclass
class Victim:
    user_id: str
    orders: list[str]
    tracking: list[str]


@pytest.fixture(scope="module")
def web(stack, tmp_path_factory):
    app = start_web(stack.settings, tmp_path_factory.mktemp("trust-web"),
                    {"SHOPBOT_RATE_LIMIT_IP": "100000/minute"})
    yield app
    app.stop()


@pytest.fixture(scope="module")
def victim(stack) -> Victim:
    """The shipped shopper with the most orders: what an impersonator would want to see."""
    with session_scope(stack.settings.db_url) as session:
        user = session.execute(select(Order.user_id).group_by(Order.user_id)
                               .order_by(func.count().desc(), Order.user_id).limit(1)).scalar_one()
        orders = session.scalars(select(Order).where(Order.user_id == user)).all()
        return Victim(user, [o.id for o in orders], [o.tracking_no for o in orders if o.tracking_no])


def footprint(stack, user: str) -> tuple[list, list]:
    """What an attacker could change for `user`: cart lines and orders."""
    with session_scope(stack.settings.db_url) as session:
        orders = sorted(session.scalars(select(Order.id).where(Order.user_id == user)))
    return cart_of(stack.settings.db_url, user), orders


def revealed(victim: Victim, text: str) -> list[str]:
    return [secret for secret in [*victim.orders, *victim.tracking] if secret in text]


def relay_texts(reply: httpx.Response) -> str:
    assert reply.status_code == 200, reply.text
    return "\n".join(texts_of(reply.json()["messages"]))


def test_a_body_sender_on_the_relay_reveals_nothing_and_writes_nothing(stack, web, victim):
    before = footprint(stack, victim.user_id)
    with httpx.Client(base_url=web.url, timeout=60) as client:
        first = client.post("/api/chat", json={"sender": victim.user_id, "message": "我的订单到哪了"})
        session = first.json()["session"]
        assert session["sender"] != victim.user_id and not session["verified"]
        me = {"Authorization": f"Bearer {session['token']}"}
        answers = [relay_texts(first)]
        for message in (f"查一下订单 {victim.orders[0]}", "有什么适合我的", "我想买蓝牙耳机",
                        "第一个加入购物车", "去结算", "确认下单"):
            answers.append(relay_texts(client.post("/api/chat", headers=me,
                                                   json={"sender": victim.user_id, "message": message})))
    assert "登录" in answers[0] and "登录" in answers[1] and "登录" in answers[-1]
    assert not revealed(victim, "\n".join(answers))
    assert not any("因为你买过" in a for a in answers)
    assert footprint(stack, victim.user_id) == before
    assert footprint(stack, session["sender"])[1] == []  # the anonymous cart holds the item, no order


def test_a_valid_token_shows_the_shoppers_own_orders(stack, web, victim):
    me = {"Authorization": f"Bearer {stack.token(victim.user_id)}"}
    with httpx.Client(base_url=web.url, timeout=60, headers=me) as client:
        asked = client.post("/api/chat", json={"message": "我的订单到哪了"})
        buttons = [b["title"] for m in asked.json()["messages"] for b in m.get("buttons") or []]
        assert any(order in title for title in buttons for order in victim.orders), asked.json()
        status = relay_texts(client.post("/api/chat", json={"message": f"查一下订单 {victim.orders[0]}"}))
    assert f"订单 {victim.orders[0]}" in status


def test_an_anonymous_shopper_asking_for_orders_is_asked_to_log_in(web, victim):
    reply = httpx.post(f"{web.url}/api/chat", json={"message": "帮我查下我的订单"}, timeout=60)
    text = relay_texts(reply)
    assert "登录" in text and "DD" not in text


def test_forged_tokens_are_refused_on_every_public_path(stack, web, victim):
    before = footprint(stack, victim.user_id)
    settings = stack.settings
    for kind, token in forged_tokens(settings.secret("identity_secret"), settings.identity_issuer,
                                     victim.user_id).items():
        bearer = {"Authorization": f"Bearer {token}"}
        for path, body in (("/api/chat", {"message": "我的订单到哪了"}), ("/api/session", None),
                           ("/api/events", {"product_id": "SKU010001", "event": "click"})):
            reply = httpx.post(f"{web.url}{path}", json=body, headers=bearer, timeout=30)
            assert reply.status_code == 401, (kind, path, reply.text)
            assert "身份验证失败" in reply.json()["detail"] and not revealed(victim, reply.text)
        with pytest.raises(Refused, match="身份验证失败"):
            SocketClient.open(stack.url(), token=token)
    assert footprint(stack, victim.user_id) == before


def test_another_shoppers_socketio_session_id_joins_nothing(stack, victim):
    own = SocketClient.open(stack.url(), token=stack.token(victim.user_id))
    own.emit("session_request", {})
    assert own.wait_for("session_confirm") == victim.user_id
    attacker = SocketClient.open(stack.url())  # a script: no Origin, no token
    attacker.emit("session_request", {"session_id": victim.user_id})
    assert attacker.wait_for("session_confirm") != victim.user_id
    probe = "我最近买的东西到哪了，订单帮我看看"
    attacker.emit("user_uttered", {"message": probe, "session_id": victim.user_id})
    attacker.wait_for("bot_uttered")
    assert any("登录" in t for t in attacker.bot_texts())
    # A human agent writes to the victim's widget (the console's path: Rasa's API, socket.io output).
    agent = f"人工客服：您的订单 {victim.orders[0]} 已发货"
    httpx.post(f"{stack.url()}/conversations/{victim.user_id}/tracker/events",
               params={"token": stack.settings.api_token(), "output_channel": "socketio",
                       "execute_side_effects": "true"},
               json={"event": "bot", "text": agent}, timeout=30).raise_for_status()
    own.collect(3)
    attacker.collect(2)
    assert agent in own.bot_texts()
    assert not revealed(victim, "\n".join(attacker.bot_texts()))
    said = [e.get("text") for e in stack.tracker(victim.user_id)["events"] if e["event"] == "user"]
    assert probe not in said  # the attacker's turn went to the attacker's own conversation
    own.close()
    attacker.close()


def test_the_action_server_takes_only_rasa(stack, victim):
    before = footprint(stack, victim.user_id)
    tracker = {"sender_id": victim.user_id, "slots": {"awaiting": "checkout"}, "events": [], "active_loop": {},
               "latest_message": {"text": "确认下单", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []}}
    call = {"next_action": "action_confirm", "sender_id": victim.user_id, "tracker": tracker,
            "domain": {}, "version": "3.6.21"}
    url = stack.settings.action_url
    secret = stack.settings.secret("action_secret")
    assert httpx.post(url, json=call, timeout=30).status_code == 401
    assert httpx.post(url, json=call, headers={"X-Daogou-Action-Secret": "guess"}, timeout=30).status_code == 401
    plain = httpx.post(url, content=str(call), timeout=30,
                       headers={"X-Daogou-Action-Secret": secret, "Content-Type": "text/plain"})
    assert plain.status_code == 415
    assert httpx.get(url.replace("/webhook", "/actions"), timeout=30).status_code == 401
    assert footprint(stack, victim.user_id) == before
    # Rasa itself, holding the secret, is served (every conversation in this suite went this way).
    assert httpx.get(url.replace("/webhook", "/health"), timeout=30).status_code == 200


def test_rasas_rest_channel_and_http_api_are_closed_to_outsiders(stack, victim):
    rest = f"{stack.url()}/webhooks/rest/webhook"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {stack.token(victim.user_id)}"}):
        reply = httpx.post(rest, json={"sender": victim.user_id, "message": "我的订单"}, headers=headers, timeout=30)
        assert reply.status_code == 401 and not revealed(victim, reply.text)
    assert httpx.get(f"{stack.url()}/conversations/{victim.user_id}/tracker", timeout=30).status_code == 401
    assert httpx.post(f"{stack.url()}/model/parse", json={"text": "你好"}, timeout=30).status_code == 401


def _timed(turn) -> tuple[float, object]:
    started = time.perf_counter()
    result = turn()
    return time.perf_counter() - started, result


def test_an_8000_character_message_is_answered_at_once_on_every_channel(stack, web):
    bystander = lambda: stack.say(new_sender("trust-bystander"), "我想买蓝牙耳机")
    alone, _ = _timed(bystander)
    socket = SocketClient.open(stack.url())

    def over_socket() -> str:
        socket.emit("user_uttered", {"message": LONG})
        return socket.wait_for("bot_uttered")["text"]

    channels = {
        "relay": lambda: relay_texts(httpx.post(f"{web.url}/api/chat", json={"message": LONG}, timeout=30)),
        "rasa rest": lambda: texts_of(stack.say(new_sender("trust-long"), LONG))[0],
        "socket.io": over_socket,
    }
    results: dict[str, tuple[float, str]] = {}
    crowd = [threading.Thread(target=lambda n=n, f=f: results.__setitem__(n, _timed(f)))
             for n, f in channels.items()]
    for thread in crowd:
        thread.start()
    together, _ = _timed(bystander)
    for thread in crowd:
        thread.join(timeout=60)
    socket.close()
    for name, (seconds, text) in results.items():
        assert "精简到" in text, (name, text)
        assert seconds < 3, (name, seconds)  # generous: the figures are in bench/trust.py
    assert together < alone + 2, (alone, together)


def test_socketio_floods_are_limited(stack):
    flood = SocketClient.open(stack.url())
    for n in range(40):
        flood.emit("user_uttered", {"message": f"你好{n}"})
    flood.collect(15)
    texts = flood.bot_texts()
    assert texts.count("您发消息太快啦，请稍等片刻再试～") >= 15, texts
    flood.close()


def test_no_server_of_the_stack_listens_on_every_interface(stack, web):
    ports = {stack.settings.rasa_port, stack.settings.action_port, stack.settings.web_port}
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in listening.splitlines():
        local = line.split()[3]
        address, _, port = local.rpartition(":")
        if int(port) in ports:
            found[int(port)] = address
    assert set(found) == ports, listening
    assert all(address not in ("0.0.0.0", "*", "[::]") for address in found.values()), found


def test_no_secret_shows_in_any_process_listing(stack, web):
    secrets = [stack.settings.api_token(), stack.settings.secret("identity_secret"),
               stack.settings.secret("action_secret")]
    listings = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            listings.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    assert any("rasa_plugins.channels.serve" in line for line in listings)  # the stack's Rasa is there
    assert not [line for line in listings if any(s in line for s in secrets)]
