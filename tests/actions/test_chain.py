"""End to end through the real Rasa server and action server (Rasa takes ~60 s to load)."""
from __future__ import annotations

import httpx
import pytest

from tests.support.chat import CHINESE, new_sender, products_of as _products

pytestmark = pytest.mark.integration


def test_shopper_asking_for_a_phone_gets_chinese_text_and_phone_cards(stack):
    messages = stack.say(new_sender("shopper-phone"), "想换一部新手机")
    texts = [m["text"] for m in messages if m.get("text")]
    assert texts and all(CHINESE.search(t) for t in texts)
    products = _products(messages)
    assert len(products) == stack.settings.search_k
    assert {p["category"] for p in products} == {"手机"}
    for p in products:
        assert set(p) >= {"id", "title", "brand", "category", "price", "color", "image", "score"}
        assert p["price"] > 0 and p["image"].endswith(".svg")


def test_greeting_and_goodbye_are_answered_in_chinese(stack):
    shopper = new_sender("shopper-greet")
    for message in ("嗨，你好啊", "好的，再见啦"):
        texts = [m["text"] for m in stack.say(shopper, message) if m.get("text")]
        assert texts and CHINESE.search(texts[0]), message


def test_other_categories_find_their_products(stack):
    products = _products(stack.say(new_sender("shopper-earbuds"), "有没有降噪的蓝牙耳机"))
    assert {p["category"] for p in products} == {"蓝牙耳机"}


def test_dead_action_server_gets_a_polite_apology_then_recovers(stack):
    shopper = new_sender("shopper-outage")
    stack.stop_actions()
    try:
        messages = stack.say(shopper, "我想买运动鞋")
        texts = [m["text"] for m in messages if m.get("text")]
        assert texts, "the shopper must not be met with silence"
        assert "抱歉" in texts[0]
        assert not any(m.get("custom") for m in messages)
        # A policy question still gets its answer: it needs no action server.
        texts = [m["text"] for m in stack.say(shopper, "收到不合适可以退吗") if m.get("text")]
        assert texts and "7天" in texts[0] and "退" in texts[0], texts
    finally:
        stack.start_actions()  # the shared stack's other tests need it
    assert {p["category"] for p in _products(stack.say(shopper, "我想买运动鞋"))} == {"运动鞋"}


def test_conversation_survives_a_rasa_restart(stack):
    shopper = new_sender("shopper-restart")
    stack.say(shopper, "嗨，你好啊")
    stack.say(shopper, "我想买吹风机")
    before = [e for e in stack.tracker(shopper)["events"] if e["event"] == "user"]
    stack.stop_rasa()
    try:
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{stack.settings.rasa_url}/", timeout=2)
    finally:
        stack.start_rasa()  # the shared stack's other tests need it
    after = [e for e in stack.tracker(shopper)["events"] if e["event"] == "user"]
    assert [e["text"] for e in after] == [e["text"] for e in before] == ["嗨，你好啊", "我想买吹风机"]
    # and the restored conversation goes on
    assert _products(stack.say(shopper, "我想买保温杯"))


def test_web_page_chat_goes_through_the_real_chain(stack, client_for):
    client = client_for(stack.settings)
    reply = client.post("/api/chat", json={"message": "想买个扫地机器人"})
    assert reply.status_code == 200
    assert {p["category"] for p in _products(reply.json()["messages"])} == {"扫地机器人"}
    health = client.get("/healthz").json()
    assert health["ok"] is True and health["rasa"]["ok"] and health["action_server"]["ok"]


def test_privacy_forget_removes_the_real_conversation(stack, tmp_path):
    import json
    import subprocess
    import sys

    shopper = new_sender("shopper-forget-me")
    stack.say(shopper, "我想买口红")
    assert any(e["event"] == "user" for e in stack.tracker(shopper)["events"])
    cli = [sys.executable, "-m", "cli.main", "privacy"]  # on the stack's databases (stack.env)
    exported = subprocess.run(cli + ["export", "--user", shopper], env=stack.env,
                              cwd=stack.settings.root, capture_output=True, text=True, check=True)
    texts = [e["data"].get("text") for e in json.loads(exported.stdout)["conversations"]]
    assert "我想买口红" in texts
    forgot = subprocess.run(cli + ["forget", "--user", shopper, "--yes", "--nlu-file", str(tmp_path / "none.yml")],
                            env=stack.env, cwd=stack.settings.root, capture_output=True, text=True, check=True)
    assert json.loads(forgot.stdout)["conversation_events"] > 0
    events = stack.tracker(shopper)["events"]
    assert not any(e["event"] == "user" for e in events)
