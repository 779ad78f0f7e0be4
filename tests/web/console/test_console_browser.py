"""The staff console in headless Chromium against the real stack (Rasa + action server +
web app): human handoff end to end with the shopper's widget, teaching, analytics."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import delete

from web.console.auth import add_staff
from web.console.teach import export_annotations
from store.db import session_scope
from store.models import StaffUser
from tests.web.test_widget import (REPLY_TIMEOUT_MS, WIDGET, browser, open_shopper,  # noqa: F401 (fixtures)
                               stack_web)

pytestmark = pytest.mark.integration
PASSWORD = "console-pass-1"


@pytest.fixture(scope="module")
def agent(stack) -> Iterator[str]:
    """A staff account in the stack's shop database, removed again afterwards."""
    name = f"agent-{uuid.uuid4().hex[:6]}"
    add_staff(stack.settings.db_url, name, PASSWORD, "agent")
    yield name
    with session_scope(stack.settings.db_url) as session:
        session.execute(delete(StaffUser).where(StaffUser.username == name))


@pytest.fixture
def staff_page(browser, stack_web, agent):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{stack_web.url}/console")
    page.fill("input[name=username]", agent)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.locator(".top .who").wait_for()
    yield page
    context.close()


def test_agent_takes_over_replies_and_hands_back(stack, stack_web, open_shopper, staff_page):
    shopper = open_shopper(stack_web.url + "/")
    shopper.page.locator(f"{WIDGET}[data-transport='socket']").wait_for(state="attached", timeout=30_000)
    shopper.say("转人工")
    shopper.wait_for_bot_text("人工")
    shopper.wait_idle()
    sender = shopper.sender

    # The conversation shows up flagged in the live list (no reload: the list refreshes itself).
    staff_page.check("input[name=handoff]")
    staff_page.click(".filters button[type=submit]")
    row = staff_page.locator(f"tr[data-sender='{sender}']")
    row.wait_for(timeout=15_000)
    assert "需要人工" in row.inner_text()
    row.locator("a").click()
    staff_page.locator(".turn.user .text", has_text="转人工").first.wait_for()
    assert "human_handoff" in staff_page.locator(".turn.user .intent").first.inner_text()

    staff_page.click("#handoff .takeover")
    staff_page.locator("#handoff textarea").wait_for()
    shopper.wait_for_bot_text(f"人工客服{staff_page.locator('.top .who').inner_text().split('（')[0]}")
    assert "人工客服" in shopper.widget("header .status").inner_text()

    # While the agent has it, the bot is silent: the shopper's message only reaches the console.
    shopper.say("我的耳机有杂音怎么办")
    staff_page.locator(".turn.user .text", has_text="我的耳机有杂音怎么办").wait_for(timeout=15_000)
    staff_page.fill("#handoff textarea", "您好，麻烦提供一下订单号，我帮您申请换货。")
    staff_page.click("#handoff .send")
    shopper.wait_for_bot_text("我帮您申请换货")
    assert shopper.widget(".msg.agent .bubble").filter(has_text="我帮您申请换货").count() == 1
    bot_texts = shopper.bubbles("bot")
    assert not any("没太明白" in t for t in bot_texts[bot_texts.index(next(t for t in bot_texts if "我帮您申请换货" in t)):])

    staff_page.click("#handoff .handback")
    staff_page.locator("#handoff .takeover").wait_for()
    shopper.wait_for_bot_text("导购小助手回来啦")
    tracker = stack.tracker(sender)
    assert tracker["paused"] is False and tracker["slots"]["handoff_requested"] is False

    # The bot answers again, with its context intact.
    shopper.say("我想买蓝牙耳机")
    shopper.widget(".card").first.wait_for(timeout=REPLY_TIMEOUT_MS)
    assert shopper.errors == []


def test_an_annotation_made_in_the_console_exports_as_yaml(stack, stack_web, staff_page, tmp_path):
    sender = f"teach-{uuid.uuid4().hex[:6]}"
    stack.say(sender, "黑色那款还有货吗")
    staff_page.goto(f"{stack_web.url}/console/conversations/{sender}")
    turn = staff_page.locator(".turn.user", has_text="黑色那款还有货吗").first
    turn.locator("summary").click()
    turn.locator("select[name=intent]").select_option("ask_product_detail")
    turn.locator("textarea[name=entities]").fill("黑色:color")
    turn.locator("button[type=submit]").click()
    turn.locator(".result", has_text="已保存").wait_for()
    out = tmp_path / "annotations.yml"
    assert export_annotations(stack.settings.db_url, out) >= 1
    text = out.read_text(encoding="utf-8")
    assert "- intent: ask_product_detail" in text and "[黑色](color)那款还有货吗" in text


def test_a_shopping_conversation_shows_in_analytics_the_list_and_the_transcript(stack, stack_web, staff_page):
    sender = f"buyer-{uuid.uuid4().hex[:6]}"
    cards = [m["custom"]["products"] for m in stack.say(sender, "我想买蓝牙耳机")
             if (m.get("custom") or {}).get("type") == "products"][0]
    httpx.post(f"{stack_web.url}/api/events", json={"product_id": cards[0]["id"], "event": "click"},
               headers={"Authorization": f"Bearer {stack.token(sender)}"}, timeout=10).raise_for_status()
    assert any("已加入购物车" in (m.get("text") or "") for m in stack.say(sender, "第一个加入购物车"))
    stack.say(sender, "去结算")
    assert any("下单成功" in (m.get("text") or "") for m in stack.say(sender, "确认下单"))
    page = staff_page
    page.goto(f"{stack_web.url}/console/analytics")
    funnel = [int(page.locator(f"#funnel td[data-step='{n}']").inner_text()) for n in range(4)]
    assert all(n > 0 for n in funnel), funnel
    assert funnel[0] >= len(cards)
    assert int(page.locator("#summary td[data-metric='conversations']").inner_text()) >= 1
    assert page.locator("svg.chart").count() == 3
    assert int(page.locator("#intents td[data-intent='search_product']").inner_text()) >= 1
    csv = page.request.get(f"{stack_web.url}/console/analytics.csv?kind=funnel")
    assert csv.ok and "shown" in csv.text() and csv.headers["content-type"].startswith("text/csv")

    # The same conversation in the list and its transcript, as Rasa recorded it.
    page.goto(f"{stack_web.url}/console?user={sender}")
    row = page.locator(f"tr[data-sender='{sender}']")
    row.wait_for()
    assert row.locator("td.num").first.inner_text() == "4"  # four shopper messages
    row.locator("a").click()
    first = page.locator(".turn.user", has_text="我想买蓝牙耳机").first
    first.wait_for()
    assert "search_product" in first.locator(".intent").inner_text()
    assert page.locator(".turn.bot .products li").count() >= len(cards)
    assert cards[0]["title"] in page.locator(".turn.bot .products").first.inner_text()
    assert page.locator(".turn.action", has_text="action_search_products").count() >= 1
    page.locator(".turn.user .text", has_text="确认下单").wait_for()
    assert page.locator(".turn.bot .text", has_text="下单成功").count() == 1
