"""The shopper's chat widget in a real browser (headless Debian Chromium through Playwright).

Two kinds of tests:
- against the web app alone (Rasa deliberately absent; the relay `/api/chat` is faked with
  `page.route` where a bot reply is needed): the demo page, rendering, escaping, card
  references, events, phone layout, reload, REST fallback and a cross-origin embed;
- against the real stack (`stack` fixture: Rasa + action server) plus a uvicorn web app
  pointed at it: the acceptance journey of issue 7.

Needs the `playwright` Python package and Chromium at $SHOPBOT_CHROMIUM (default
/usr/bin/chromium, Debian's `chromium` package); without them the tests skip, or fail
under SHOPBOT_REQUIRE_SERVICES=1 (CI). See docs/widget.md.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import select

from core.settings import Settings
from store.db import session_scope
from store.models import Interaction
from core.credentials import bearer
from core.identity import verify
from tests.support.chat import cart_of
from tests.conftest import free_port, private_copy, service_unavailable, shop_token
from tests.support.web_process import WebApp, start_web

pytestmark = pytest.mark.integration

CHROMIUM = os.environ.get("SHOPBOT_CHROMIUM", "/usr/bin/chromium")
XSS = "<img src=x onerror=alert(1)>"
XSS_FLAG = '<img src=x onerror="window.__xss=1">'
REPLY_TIMEOUT_MS = 90_000  # the first turns after Rasa loads can be slow on 2 busy cores
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
WIDGET = "#daogou-widget"  # Playwright's CSS engine pierces the widget's open shadow root


# ---------------------------------------------------------------- servers and browser


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("the playwright package is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        service_unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set SHOPBOT_CHROMIUM)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@dataclass
class OtherShop:
    """Another shop's site: a static file server on `localhost` (a different origin from the
    app's 127.0.0.1, and still loopback, which Chromium's local-network rules require)."""
    root: Path
    origin: str


@pytest.fixture(scope="module")
def other_shop(tmp_path_factory) -> Iterator[OtherShop]:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    root = tmp_path_factory.mktemp("other-shop")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.func.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield OtherShop(root, f"http://localhost:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def offline_web(built: Settings, other_shop: OtherShop, tmp_path_factory) -> Iterator[WebApp]:
    """The web app with nothing listening where Rasa and the action server should be, on a copy
    of var/ (the widget's clicks are written); it lets the other shop's origin embed the widget
    (SHOPBOT_WIDGET_ORIGINS)."""
    workdir = tmp_path_factory.mktemp("web")
    settings = private_copy(built, workdir).model_copy(update={
        "rasa_port": free_port(), "action_port": free_port(), "web_port": free_port()})
    app = start_web(settings, workdir, {"SHOPBOT_WIDGET_ORIGINS": other_shop.origin, "SHOPBOT_DEMO_LOGIN": "true"})
    yield app
    app.stop()


@pytest.fixture(scope="module")
def stack_web(stack, tmp_path_factory) -> Iterator[WebApp]:
    """The web app pointed at the real stack, on the origin Rasa's socket.io channel allows."""
    app = start_web(stack.settings, tmp_path_factory.mktemp("web"))
    yield app
    app.stop()


@dataclass
class Shopper:
    """One browser page with the widget, and everything that went wrong in it."""
    page: object
    errors: list[str] = field(default_factory=list)

    def widget(self, selector: str = ""):
        return self.page.locator(f"{WIDGET} {selector}".strip())

    @property
    def sender(self) -> str:
        return self.page.locator(WIDGET).get_attribute("data-sender")

    def say(self, text: str) -> None:
        box = self.widget("input")
        box.fill(text)
        box.press("Enter")

    def bubbles(self, who: str) -> list[str]:
        return self.widget(f".msg.{who} .bubble:not(.dots)").all_inner_texts()

    def wait_for_bot_text(self, fragment: str, timeout: float = REPLY_TIMEOUT_MS) -> None:
        self.widget(".msg.bot .bubble").filter(has_text=fragment).first.wait_for(timeout=timeout)

    def wait_idle(self, timeout: float = REPLY_TIMEOUT_MS) -> None:
        self.page.wait_for_function(
            "() => document.querySelector('#daogou-widget')?.dataset.busy === 'false'", timeout=timeout)


@pytest.fixture
def open_shopper(browser):
    contexts = []

    def make(url: str, *, phone: bool = False, ignore: tuple[str, ...] = ("WebSocket connection to",)) -> Shopper:
        context = browser.new_context(locale="zh-CN", **(PHONE if phone else {}))
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.dismiss())  # an alert() would also be caught below
        shopper = Shopper(page)

        def on_console(message) -> None:
            if message.type == "error" and not any(part in message.text for part in ignore):
                shopper.errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: shopper.errors.append(f"pageerror: {exc}"))
        page.on("dialog", lambda dialog: shopper.errors.append(f"dialog: {dialog.message}"))
        page.goto(url)
        shopper.widget(".log").wait_for()
        return shopper

    yield make
    for context in contexts:
        context.close()


def fake_relay(page, replies: list[list[dict]]) -> list[dict]:
    """Answer the widget's POST /api/chat with the given bot messages, one list per request;
    returns the request bodies seen, each with the identity it carried as `token`."""
    seen: list[dict] = []

    def handle(route) -> None:
        seen.append({**json.loads(route.request.post_data), "token": bearer(route.request.headers.get("authorization"))})
        messages = replies[min(len(seen), len(replies)) - 1]
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({"messages": messages}, ensure_ascii=False))

    page.route("**/api/chat", handle)
    return seen


def subject(settings: Settings, token: str) -> str:
    """Whom a token the widget sent names, as the server verifies it."""
    return verify(settings.secret("identity_secret"), token, settings.identity_issuer).sender_id


def capture_events(page) -> list[dict]:
    events: list[dict] = []

    def handle(route) -> None:
        events.append({**json.loads(route.request.post_data), "token": bearer(route.request.headers.get("authorization"))})
        route.fulfill(status=201, content_type="application/json", body='{"ok": true}')

    page.route("**/api/events", handle)
    return events


def cards(*titles: str, ids: tuple[str, ...] = ()) -> list[dict]:
    ids = ids or tuple(f"SKU01000{n}" for n in range(1, len(titles) + 1))
    return [{"id": pid, "title": title, "brand": "华为", "category": "手机", "price": 1999.0,
             "list_price": 2299.0, "color": "黑色", "rating": 4.7, "image": f"/images/{pid}.svg",
             "score": 0.9, "reason": "评分高"} for pid, title in zip(ids, titles)]


def no_injected_markup(shopper: Shopper) -> None:
    assert shopper.widget("img[src='x']").count() == 0
    assert shopper.page.locator("img[src='x']").count() == 0
    assert shopper.page.evaluate("() => window.__xss") is None


# ---------------------------------------------------------------- web app alone


def test_demo_shop_page_shows_the_catalog_and_the_widget(offline_web, open_shopper):
    shopper = open_shopper(offline_web.url + "/")
    page = shopper.page
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    tiles = page.locator(".grid .tile")
    assert tiles.count() == 24
    first = tiles.first
    assert first.locator(".tile-title").inner_text().strip()
    assert first.locator(".tile-price").inner_text().startswith("¥")
    # Rasa (and so its socket.io channel) is down here: the widget falls back to the REST relay.
    page.locator(f"{WIDGET}[data-transport='rest']").wait_for(state="attached", timeout=30_000)
    shopper.widget(".panel").wait_for(state="visible")
    assert "导购小助手" in shopper.widget("header").inner_text()
    assert any("我想买蓝牙耳机" in text for text in shopper.widget(".quick-reply").all_inner_texts())
    page.wait_for_load_state("networkidle")
    assert shopper.errors == []


def test_category_filter_and_hostile_query_are_escaped(offline_web, open_shopper):
    shopper = open_shopper(offline_web.url + "/?category=" + XSS)
    assert shopper.page.locator("h1").inner_text().startswith(XSS)
    assert shopper.page.locator(".grid .empty").count() == 1
    no_injected_markup(shopper)


def test_rasa_down_gets_a_polite_reply_over_rest(offline_web, open_shopper):
    shopper = open_shopper(offline_web.url + "/")
    shopper.say(XSS)
    shopper.wait_for_bot_text("抱歉")
    assert shopper.bubbles("user")[-1] == XSS  # the shopper's own message, as text
    no_injected_markup(shopper)
    assert shopper.errors == []


def test_everything_from_the_bot_and_the_catalog_renders_as_text(offline_web, open_shopper):
    shopper = open_shopper(offline_web.url + "/")
    hostile = cards(XSS, XSS_FLAG)
    hostile[0].update(brand=XSS, reason=XSS_FLAG, image="javascript:alert(1)")
    fake_relay(shopper.page, [[
        {"recipient_id": "x", "text": XSS, "buttons": [{"title": XSS_FLAG, "payload": "/affirm"}]},
        {"recipient_id": "x", "custom": {"type": "products", "products": hostile}},
        {"recipient_id": "x", "custom": {"type": "comparison", "products": hostile,
                                         "rows": [{"label": XSS, "values": [XSS_FLAG, XSS]}]}},
    ]])
    shopper.say(XSS_FLAG)
    shopper.widget(".comparison table").wait_for()
    assert XSS in shopper.bubbles("bot")
    assert shopper.widget(".quick-reply").last.inner_text() == XSS_FLAG
    titles = shopper.widget(".card .card-title").all_inner_texts()
    assert titles == [XSS, XSS_FLAG]
    assert shopper.widget(".card .brand").first.inner_text() == XSS
    assert shopper.widget(".card .card-reason").first.inner_text() == XSS_FLAG
    assert shopper.widget(".card").first.locator("img").count() == 0  # javascript: URL dropped
    table = shopper.widget(".comparison").inner_text()
    assert XSS in table and XSS_FLAG in table
    no_injected_markup(shopper)
    assert shopper.errors == []


def test_cards_render_every_field_and_their_buttons_send_references(offline_web, open_shopper):
    shopper = open_shopper(offline_web.url + "/")
    listed = cards("华为 FreeBuds 5", "小米 Buds 4", "漫步者 W820NB")
    detail_card = listed[1]
    sent = fake_relay(shopper.page, [
        [{"recipient_id": "x", "text": "为你找到 3 款：\n1. …"},
         {"recipient_id": "x", "custom": {"type": "products", "products": listed}}],
        [{"recipient_id": "x", "text": "已加入购物车：小米 Buds 4 × 1",
          "buttons": [{"title": "去结算", "payload": "去结算"}]}],
        [{"recipient_id": "x", "text": f"【{detail_card['title']}】\n价格：¥1999"},
         {"recipient_id": "x", "custom": {"type": "products", "products": [detail_card]}}],
        [{"recipient_id": "x", "text": "好的"}],
    ])
    events = capture_events(shopper.page)
    shopper.say("我想买蓝牙耳机")
    shopper.widget(".card").nth(2).wait_for()
    second = shopper.widget(".card").nth(1)
    assert second.locator(".price").inner_text() == "¥1999"
    assert second.locator("s.list-price").inner_text() == "¥2299"
    assert second.locator(".brand").inner_text() == "华为"
    assert second.locator(".rating").inner_text() == "★ 4.7"
    assert second.locator(".card-reason").inner_text() == "评分高"
    assert second.locator("img").get_attribute("src").endswith("/images/SKU010002.svg")

    second.get_by_role("button", name="加入购物车").click()
    shopper.wait_for_bot_text("已加入购物车")
    assert sent[-1]["message"] == "第二个加入购物车" and "sender" not in sent[-1]
    assert subject(offline_web.settings, sent[-1]["token"]) == shopper.sender
    assert {k: v for k, v in events[-1].items() if k != "token"} == {"product_id": "SKU010002", "event": "click"}
    assert subject(offline_web.settings, events[-1]["token"]) == shopper.sender

    shopper.widget(".quick-reply").filter(has_text="去结算").wait_for()
    shopper.widget(".card").nth(1).get_by_role("button", name="详情").click()
    shopper.wait_for_bot_text("【小米 Buds 4】")
    assert sent[-1]["message"] == "第二个详细介绍一下"
    # The detail card is still the list's second product: the list reference stays exact.
    shopper.widget(".card").nth(3).get_by_role("button", name="加入购物车").click()
    shopper.wait_idle()
    assert sent[-1]["message"] == "第二个加入购物车"
    assert len(events) == 3
    assert shopper.widget(".quick-reply").first.is_disabled()  # old quick replies retire
    assert shopper.errors == []


def test_cards_of_an_older_list_are_disabled(offline_web, open_shopper):
    shopper = open_shopper(offline_web.url + "/")
    fake_relay(shopper.page, [
        [{"recipient_id": "x", "custom": {"type": "products", "products": cards("甲", "乙")}}],
        [{"recipient_id": "x", "custom": {"type": "products",
                                          "products": cards("丙", "丁", ids=("SKU010005", "SKU010001"))}}],
    ])
    shopper.say("看看耳机")
    shopper.widget(".card").nth(1).wait_for()
    shopper.say("换个牌子")
    shopper.widget(".card").nth(3).wait_for()
    buttons = shopper.widget(".card .add-to-cart")
    # 甲 (SKU010001) is still listed (now second), 乙 is not, 丙 and 丁 are the current list.
    assert [buttons.nth(n).is_enabled() for n in range(4)] == [True, False, True, True]


def test_a_product_detail_outside_the_list_is_referred_to_as_this_one(offline_web, open_shopper):
    shopper = open_shopper(offline_web.url + "/")
    other = cards("丙", ids=("SKU010007",))[0]
    sent = fake_relay(shopper.page, [
        [{"recipient_id": "x", "custom": {"type": "products", "products": cards("甲", "乙")}}],
        [{"recipient_id": "x", "text": "【丙】\n价格：¥1999"},
         {"recipient_id": "x", "custom": {"type": "products", "products": [other]}}],
        [{"recipient_id": "x", "text": "已加入购物车：丙 × 1"}],
    ])
    shopper.say("看看耳机")
    shopper.widget(".card").nth(1).wait_for()
    shopper.say("丙怎么样")
    shopper.widget(".card").nth(2).wait_for()
    shopper.widget(".card").nth(2).get_by_role("button", name="加入购物车").click()
    shopper.wait_for_bot_text("已加入购物车")
    assert sent[-1]["message"] == "这个加入购物车"
    # the list is still the list: its cards keep their ordinal references
    assert shopper.widget(".card .add-to-cart").nth(0).is_enabled()


def test_phone_sized_viewport(offline_web, open_shopper):
    shopper = open_shopper(offline_web.url + "/", phone=True)
    page = shopper.page
    fake_relay(page, [[{"recipient_id": "x", "text": "为你找到 5 款蓝牙耳机，左右滑动看看："},
                       {"recipient_id": "x", "custom": {"type": "products",
                                                        "products": cards(*"一二三四五")}}]])
    panel = shopper.widget(".panel").bounding_box()
    assert panel["x"] == 0 and panel["width"] == 375 and panel["height"] == 667
    shopper.say("我想买蓝牙耳机")
    shopper.widget(".card").nth(4).wait_for(state="attached")
    first = shopper.widget(".card").first.bounding_box()
    assert first["x"] >= 0 and first["x"] + first["width"] <= 375
    button = shopper.widget(".card").first.get_by_role("button", name="加入购物车").bounding_box()
    assert button["y"] + button["height"] <= 667  # the log scrolled the new cards into view
    composer = shopper.widget(".composer").bounding_box()
    assert composer["y"] + composer["height"] <= 667
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    shopper.widget(".close").click()
    shopper.widget(".launcher").wait_for(state="visible")
    assert shopper.errors == []


def test_reload_keeps_the_conversation_and_the_identity(offline_web, open_shopper):
    shopper = open_shopper(offline_web.url + "/")
    sent = fake_relay(shopper.page, [[{"recipient_id": "x", "text": "为你找到："},
                                      {"recipient_id": "x", "custom": {"type": "products",
                                                                       "products": cards("甲", "乙")}}]])
    sender = shopper.sender
    assert sender.startswith("anon-")  # issued by the server, not made up by the page
    shopper.say("我想买蓝牙耳机")
    shopper.widget(".card").nth(1).wait_for()
    shopper.page.reload()
    shopper.widget(".card").nth(1).wait_for()
    assert shopper.sender == sender
    assert "我想买蓝牙耳机" in shopper.bubbles("user")
    assert shopper.widget(".card .add-to-cart").nth(1).is_enabled()
    shopper.widget(".card").nth(1).get_by_role("button", name="加入购物车").click()
    shopper.wait_idle()
    assert sent[-1]["message"] == "第二个加入购物车"
    assert subject(offline_web.settings, sent[-1]["token"]) == sender


def test_the_shops_identity_token_on_the_script_tag_makes_the_shopper_that_user(offline_web, open_shopper):
    # The demo shop logs in as ?user_id= only because offline_web turns SHOPBOT_DEMO_LOGIN on.
    shopper = open_shopper(offline_web.url + "/?user_id=U000123")
    sent = fake_relay(shopper.page, [[{"recipient_id": "x", "text": "你好"}]])
    assert shopper.sender == "U000123"
    shopper.say("你好")
    shopper.wait_for_bot_text("你好")
    assert subject(offline_web.settings, sent[0]["token"]) == "U000123"


def test_an_expired_identity_token_leaves_the_shopper_anonymous_with_a_notice(offline_web, other_shop, open_shopper):
    expired = jwt.encode({"sub": "U000123", "iss": offline_web.settings.identity_issuer, "exp": 1},
                         offline_web.settings.secret("identity_secret"), algorithm="HS256")
    (other_shop.root / "expired.html").write_text(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,">'
        f'</head><body><script type="module" src="{offline_web.url}/static/widget/daogou.js" '
        f'data-identity-token="{expired}" data-transport="rest" data-open="true"></script></body></html>',
        encoding="utf-8")
    shopper = open_shopper(f"{other_shop.origin}/expired.html", ignore=("401",))
    shopper.widget(".notice-text").filter(has_text="登录信息已过期").wait_for()
    assert shopper.sender.startswith("anon-")


def test_one_script_tag_on_another_origin_with_socketio_down_falls_back_to_rest(
        offline_web, other_shop, open_shopper):
    """Another shop's page embeds the widget with one tag; its socket.io server is down."""
    dead = free_port()
    (other_shop.root / "index.html").write_text(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,">'
        '</head><body><h1>别家商城</h1>'
        f'<script type="module" src="{offline_web.url}/static/widget/daogou.js" '
        f'data-identity-token="{shop_token(offline_web.settings, "shop-u1")}" '
        f'data-server="http://127.0.0.1:{dead}" data-open="true"></script></body></html>', encoding="utf-8")
    # the failed WebSocket handshake to the dead socket.io server is logged by Chromium itself
    shopper = open_shopper(f"{other_shop.origin}/index.html", ignore=("WebSocket",))
    shopper.page.locator(f"{WIDGET}[data-transport='rest']").wait_for(state="attached", timeout=30_000)
    assert shopper.sender == "shop-u1"
    shopper.say("我想买手机")
    shopper.wait_for_bot_text("抱歉", timeout=30_000)  # the real relay, across origins (CORS)
    assert shopper.errors == []


def test_widget_config_offers_rasas_socketio_channel(offline_web):
    config = httpx.get(f"{offline_web.url}/api/widget/config", timeout=10).json()
    assert config["rest_url"] == "/api/chat" and config["events_url"] == "/api/events"
    assert config["socketio"] == {"url": offline_web.settings.rasa_url, "path": "/socket.io",
                                  "channel": "rasa_plugins.channels.socketio.SocketIOChannel"}


# ---------------------------------------------------------------- the real stack


def test_shopper_finds_earbuds_adds_one_to_the_cart(stack, stack_web, open_shopper):
    shopper = open_shopper(stack_web.url + "/")
    shopper.say("我想买蓝牙耳机")
    shopper.widget(".card").first.wait_for(timeout=REPLY_TIMEOUT_MS)
    shopper.wait_idle()
    first_list = shopper.widget(".card")
    assert first_list.count() >= 2
    assert all(t.strip() for t in shopper.widget(".card .card-title").all_inner_texts())
    assert all(p.startswith("¥") for p in shopper.widget(".card .price").all_inner_texts())
    chosen = first_list.nth(1)
    product_id = chosen.get_attribute("data-product-id")
    chosen.get_by_role("button", name="加入购物车").click()
    shopper.wait_for_bot_text("已加入购物车")
    shopper.wait_idle()
    if shots := os.environ.get("SHOPBOT_SCREENSHOT_DIR"):  # README's picture: docs/widget.png
        shopper.page.screenshot(path=str(Path(shots) / "widget.png"))
    settings = stack.settings
    assert [pid for pid, _ in cart_of(settings.db_url, shopper.sender)] == [product_id]
    with session_scope(settings.db_url) as session:
        clicks = session.scalars(select(Interaction).where(Interaction.user_id == shopper.sender,
                                                          Interaction.event == "click")).all()
        assert [c.item_id for c in clicks] == [product_id]
    assert shopper.errors == []


def test_xss_message_renders_as_text_through_rasa(stack, stack_web, open_shopper):
    shopper = open_shopper(stack_web.url + "/")
    shopper.say(XSS)
    shopper.wait_idle()
    assert shopper.bubbles("user")[-1] == XSS
    assert len(shopper.bubbles("bot")) >= 2  # the greeting and Rasa's answer
    no_injected_markup(shopper)
    assert shopper.errors == []


def test_phone_viewport_against_the_stack(stack, stack_web, open_shopper):
    shopper = open_shopper(stack_web.url + "/", phone=True)
    shopper.say("我想买蓝牙耳机")
    shopper.widget(".card").first.wait_for(timeout=REPLY_TIMEOUT_MS)
    shopper.wait_idle()
    button = shopper.widget(".card").first.get_by_role("button", name="加入购物车")
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    button.click()
    shopper.wait_for_bot_text("已加入购物车")
    assert shopper.page.evaluate("() => document.documentElement.scrollWidth") <= 375
    assert shopper.errors == []


def test_reload_keeps_the_conversation_with_rasa(stack, stack_web, open_shopper):
    shopper = open_shopper(stack_web.url + "/")
    shopper.say("我想买蓝牙耳机")
    shopper.widget(".card").first.wait_for(timeout=REPLY_TIMEOUT_MS)
    shopper.wait_idle()
    before = shopper.widget(".card .card-title").all_inner_texts()
    sender = shopper.sender
    shopper.page.reload()
    shopper.widget(".card").first.wait_for()
    assert shopper.sender == sender
    assert shopper.widget(".card .card-title").all_inner_texts() == before
    # Rasa kept the dialogue too: "第一个" still means the first card shown before the reload.
    product_id = shopper.widget(".card").first.get_attribute("data-product-id")
    shopper.widget(".card").first.get_by_role("button", name="加入购物车").click()
    shopper.wait_for_bot_text("已加入购物车")
    assert [pid for pid, _ in cart_of(stack.settings.db_url, sender)] == [product_id]


def socketio_events(frame: str | bytes) -> list[tuple[str, object]]:
    """The socket.io event in one WebSocket frame ("42[name, data]"), if it carries one."""
    if isinstance(frame, bytes) or not frame.startswith("42"):
        return []
    name, *data = json.loads(frame[2:])
    return [(name, data[0] if data else None)]


def test_socketio_session_survives_a_dropped_connection(stack, stack_web, open_shopper):
    """After the connection drops, the widget reconnects over socket.io and the shopper's next
    click is answered on the new connection, in the same conversation (the REST relay is
    blocked in this browser, so a reply can only have come over socket.io)."""
    config = httpx.get(f"{stack_web.url}/api/widget/config", timeout=10).json()
    if not config["socketio"]:
        pytest.fail("credentials.yml enables no socket.io channel with session persistence")
    shopper = open_shopper(stack_web.url + "/")
    relayed: list[str] = []
    shopper.page.route("**/api/chat", lambda route: (relayed.append(route.request.post_data), route.abort()))
    shopper.page.locator(f"{WIDGET}[data-transport='socket']").wait_for(state="attached", timeout=30_000)
    shopper.say("我想买蓝牙耳机")
    shopper.widget(".card").first.wait_for(timeout=REPLY_TIMEOUT_MS)
    shopper.wait_idle()
    with shopper.page.expect_websocket(timeout=30_000) as reopened:
        shopper.page.evaluate("() => window.__daogouWidget.connection.socket.io.engine.close()")
    received: list[tuple[str, object]] = []
    reopened.value.on("framereceived", lambda frame: received.extend(socketio_events(frame)))
    shopper.page.locator(f"{WIDGET}[data-transport='socket']").wait_for(state="attached", timeout=30_000)
    shopper.widget(".card").first.get_by_role("button", name="加入购物车").click()
    shopper.wait_for_bot_text("已加入购物车")
    assert relayed == []
    assert any(name == "bot_uttered" and "已加入购物车" in (data.get("text") or "")
               for name, data in received), received
    assert cart_of(stack.settings.db_url, shopper.sender)


def test_socketio_unique_sender_per_shopper(stack, stack_web, open_shopper):
    """Two shoppers never see each other's replies (rooms are per session id = sender id)."""
    config = httpx.get(f"{stack_web.url}/api/widget/config", timeout=10).json()
    if not config["socketio"]:
        pytest.fail("credentials.yml enables no socket.io channel with session persistence")
    a = open_shopper(stack_web.url + "/")
    b = open_shopper(stack_web.url + "/")
    assert a.sender != b.sender
    a.say("我想买蓝牙耳机")
    a.widget(".card").first.wait_for(timeout=REPLY_TIMEOUT_MS)
    a.wait_idle()
    assert b.widget(".card").count() == 0


def test_only_the_shops_own_pages_may_open_the_chat_socket(stack):
    """Another site's page cannot chat as a shopper: engine.io refuses its handshake."""
    handshake = f"{stack.settings.rasa_url}/socket.io/?EIO=4&transport=polling"
    shop = f"http://{stack.settings.host}:{stack.settings.web_port}"
    allowed = httpx.get(handshake, headers={"Origin": shop}, timeout=10)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == shop
    refused = httpx.get(handshake, headers={"Origin": "http://evil.example"}, timeout=10)
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
