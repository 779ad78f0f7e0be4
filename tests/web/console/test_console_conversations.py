"""Conversation review in the staff console: the list and transcripts read from a tracker store
that Rasa's own SQLTrackerStore wrote (SQLite and PostgreSQL), the pages and JSON APIs, and the
live list / transcript polling and the 纠正 control in headless Chromium (web app only)."""
from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from markupsafe import escape

from web.console import handoff
from web.console.senders import RASA_CANNOT, rasa_conversation_url
from web.console.tracker import Filters, conversation_state, list_conversations, transcript
from tests.support import console_data as data
from tests.support.console_data import (BULK, CARD_XSS, DAY, FALLBACKS, IN_RANGE, LATEST_FIRST, LONG, ODD, ODD_SENDERS,
                                OLD_DAY, T0, USER_TURNS, XSS)
from tests.support.console_data import (AGENT, PASSWORD, client, console, odd_client, odd_console,  # noqa: F401 (fixtures)
                                odd_tracker, odd_tracker_url, sqlite_tracker, tracker_url)
from tests.web.test_widget import browser, start_web  # noqa: F401 (a fixture, used by name)


def senders(url: str, **filters) -> list[str]:
    rows, _ = list_conversations(url, Filters(limit=100, **filters))
    return [r.sender_id for r in rows]


# ---------------------------------------------------------------- the query layer (both databases)


def test_the_list_is_newest_first_with_counts_last_text_and_state(tracker_url):
    rows, total = list_conversations(tracker_url, Filters(limit=100))
    assert total == len(LATEST_FIRST) and [r.sender_id for r in rows] == LATEST_FIRST
    by = {r.sender_id: r for r in rows}
    assert {s: r.user_turns for s, r in by.items()} == USER_TURNS
    assert {s: r.fallbacks for s, r in by.items() if r.fallbacks} == FALLBACKS
    assert by["shopper-alice"].last_text == "确认下单" and by["shopper-bob"].last_text == XSS
    assert by["shopper-alice"].first_at == T0 and by["shopper-alice"].last_at == T0 + 32
    state = lambda s: (by[s].handoff_requested, by[s].needs_agent, by[s].paused)
    assert state("shopper-erin") == (True, True, False)    # asked for a human, nobody took it yet
    assert state("shopper-bob") == (True, False, True)     # an agent has it
    assert state("shopper-carol") == (True, False, False)  # taken over and handed back
    assert state("shopper-alice") == (False, False, False)
    assert conversation_state(tracker_url, "shopper-bob") == (True, False, True)


def test_list_filters_and_pages(tracker_url):
    assert set(senders(tracker_url, handoff=True)) == {"shopper-bob", "shopper-carol", "shopper-erin"}
    assert senders(tracker_url, fallback=True) == ["shopper-carol"]
    assert senders(tracker_url, handoff=True, fallback=True) == ["shopper-carol"]
    # a substring of the sender id, any case; LIKE wildcards in it are literal
    assert senders(tracker_url, user="_50%") == ["promo_50%off"]
    assert senders(tracker_url, user="SHOPPER-B") == ["shopper-bob"]
    assert senders(tracker_url, user="nobody") == []
    day = lambda d: data.datetime.combine(d, data.time(), data.SHOP_TIME).timestamp()
    assert senders(tracker_url, since=day(OLD_DAY), until=day(OLD_DAY + timedelta(days=1))) == ["shopper-dave"]
    assert set(senders(tracker_url, since=day(DAY), until=day(DAY + timedelta(days=1)))) == set(IN_RANGE) - {
        f"bulk-{n:03d}" for n in range(BULK)}
    page2, total = list_conversations(tracker_url, Filters(offset=50, limit=50))
    assert total == len(LATEST_FIRST) and [r.sender_id for r in page2] == LATEST_FIRST[50:]
    assert list_conversations(tracker_url, Filters(offset=500, limit=50)) == ([], len(LATEST_FIRST))


def test_a_transcript_has_nlu_details_bot_messages_actions_and_slots(tracker_url):
    t = transcript(tracker_url, "shopper-alice")
    assert t.exists and not t.paused
    kinds = [x.kind for x in t.turns]
    assert kinds[:2] == ["action", "user"] and kinds.count("user") == 4
    assert all(x.text != "action_listen" for x in t.turns)  # Rasa's listen steps are noise
    first = t.turns[1]
    assert first.text == "我想买蓝牙耳机" and first.timestamp == T0 + 1
    assert first.details["intent"] == "search_product" and first.details["confidence"] == 0.93
    assert first.details["entities"] == [{"entity": "category", "value": "蓝牙耳机", "start": 3, "end": 7,
                                          "extractor": "DIETClassifier", "confidence": 0.987}]
    assert [r["name"] for r in first.details["ranking"]] == ["search_product", "refine_search",
                                                             "ask_recommendation"]  # top 3 of 4
    action = t.turns[2]
    assert (action.kind, action.text, action.details) == ("action", "action_search_products",
                                                           {"policy": "TEDPolicy", "confidence": 0.98})
    text_reply, cards_reply = t.turns[3], t.turns[4]
    assert [b["title"] for b in text_reply.details["buttons"]] == ["再便宜点", "第一个加入购物车"]
    assert cards_reply.details["custom"] == {"type": "products", "products": [
        {"id": "P1", "title": CARD_XSS, "price": 199.0}, {"id": "P2", "title": "运动耳机", "price": 99.5},
        {"id": "P3", "title": "头戴耳机", "price": 599.0}]}
    slot = next(x for x in t.turns if x.kind == "slot")
    assert (slot.text, slot.details["value"]) == ("search_query", {"category": "蓝牙耳机"})


def test_agent_messages_pause_markers_and_polling_cursors(tracker_url):
    bob = transcript(tracker_url, "shopper-bob")
    assert bob.paused and bob.handoff_requested and not bob.needs_agent
    kinds = [x.kind for x in bob.turns]
    assert "pause" in kinds and kinds.index("pause") < len(kinds) - 1
    agent = next(x for x in bob.turns if x.kind == "bot" and x.details["agent"])
    assert agent.details["agent"] == "小李" and agent.details["custom"] == {
        "type": "handoff", "state": "agent", "agent": "小李"}
    assert bob.turns[-1].kind == "user" and bob.turns[-1].text == XSS  # recorded while paused
    carol = transcript(tracker_url, "shopper-carol")
    assert [x.kind for x in carol.turns if x.kind in ("pause", "resume")] == ["pause", "resume"]
    assert not carol.paused and not carol.needs_agent and carol.handoff_requested

    # polling: after the cursor nothing is new; from the middle only the rest; since a timestamp
    assert transcript(tracker_url, "shopper-bob", after=bob.cursor).turns == []
    middle = bob.turns[3].id
    assert [x.id for x in transcript(tracker_url, "shopper-bob", after=middle).turns] == [
        x.id for x in bob.turns if x.id > middle]
    later = transcript(tracker_url, "shopper-bob", since=T0 + 600 + 60)
    assert [x.kind for x in later.turns] == ["bot", "user"] and later.paused
    nobody = transcript(tracker_url, "nobody")
    assert (nobody.exists, nobody.turns, nobody.paused) == (False, [], False)


def test_no_tracker_table_yet_means_an_empty_list(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert list_conversations(url, Filters()) == ([], 0)
    assert transcript(url, "x").turns == []


# ---------------------------------------------------------------- pages and JSON


def test_anonymous_requests_are_refused(client_for, console):  # noqa: F811
    anon = client_for(console)
    assert anon.get("/console", follow_redirects=False).status_code == 303
    assert anon.get("/console/conversations/shopper-bob", follow_redirects=False).status_code == 303
    assert anon.get("/console/api/conversations").status_code == 401
    assert anon.get("/console/api/conversations/shopper-bob").status_code == 401


def test_the_list_page_marks_flagged_conversations_and_escapes(client):
    page = client.get("/console")
    assert page.status_code == 200
    body = page.text
    row = lambda s: re.search(rf'<tr data-sender="{re.escape(html.escape(s))}".*?</tr>', body, re.S).group(0)
    assert "需要人工" in row("shopper-erin") and "人工接管中" in row("shopper-bob")
    assert "曾转人工" in row("shopper-carol") and "badge" not in row("shopper-alice")
    assert html.escape(XSS) in row("shopper-bob") and XSS not in body
    assert "第 1 / 2 页" in body and 'href="/console?page=2"' in body
    assert "/console/static/conversations.js" in body

    filtered = client.get("/console", params={"handoff": "true", "user": "shopper"}).text
    assert 'data-query="handoff=true&amp;user=shopper"' in filtered  # the refresh keeps the filters
    assert re.search(r'name="handoff" value="true"\s+checked', filtered)
    assert set(re.findall(r'<tr data-sender="([^"]+)"', filtered)) == {"shopper-bob", "shopper-carol", "shopper-erin"}


def test_the_list_api_takes_the_same_filters(client):
    api = lambda **p: client.get("/console/api/conversations", params=p).json()
    everything = api()
    assert everything["total"] == len(LATEST_FIRST) and everything["page_size"] == 50
    assert [c["sender_id"] for c in everything["conversations"]] == LATEST_FIRST[:50]
    assert [c["sender_id"] for c in api(page=2)["conversations"]] == LATEST_FIRST[50:]
    erin = everything["conversations"][0]
    assert erin == {"sender_id": "shopper-erin", "first_at": T0 + 1800, "last_at": T0 + 1804, "user_turns": 1,
                    "fallbacks": 0, "last_text": "转人工", "handoff_requested": True, "needs_agent": True,
                    "paused": False}
    assert [c["sender_id"] for c in api(fallback="1")["conversations"]] == ["shopper-carol"]
    assert [c["sender_id"] for c in api(**{"from": OLD_DAY.isoformat(), "to": OLD_DAY.isoformat()})
            ["conversations"]] == ["shopper-dave"]
    assert api(**{"from": "", "to": ""})["total"] == len(LATEST_FIRST)  # untouched date inputs: no limit
    assert api(**{"from": "2000-01-01", "to": "2099-12-31"})["total"] == len(LATEST_FIRST)  # the widest range
    assert client.get("/console/api/conversations", params={"page": 0}).status_code == 422


def test_the_transcript_page_shows_nlu_cards_and_a_correction_form_per_message(client):
    body = client.get("/console/conversations/shopper-alice").text
    assert "search_product" in body and "0.93" in body and "category=蓝牙耳机" in body
    assert "DIETClassifier 0.99" in body and "候选：search_product 0.93，refine_search 0.04" in body
    assert html.escape(CARD_XSS) in body and CARD_XSS not in body
    assert "运动耳机 · ¥99.5" in body and "action_search_products" in body and "TEDPolicy" in body
    assert '<section id="handoff" data-sender="shopper-alice" data-paused="false"></section>' in body
    assert body.count('<form class="annotate"') == 4 + 1  # each shopper message + the template
    options = re.findall(r'<option value="([^"]+)"', body)
    assert {"search_product", "add_to_cart", "human_handoff"} <= set(options)
    assert any(o.startswith("faq/") for o in options)
    assert re.search(r'data-cursor="\d+"', body)

    bob = client.get("/console/conversations/shopper-bob").text
    assert "人工客服 小李" in bob and "— 人工接管，机器人暂停 —" in bob and 'data-paused="true"' in bob
    assert html.escape(XSS) in bob and XSS not in bob
    assert client.get("/console/conversations/nobody").status_code == 200


def test_the_transcript_api_polls_by_cursor_or_timestamp(client):
    whole = client.get("/console/api/conversations/shopper-bob").json()
    assert whole["paused"] is True and whole["exists"] is True
    assert [t["kind"] for t in whole["turns"]][-3:] == ["pause", "bot", "user"]
    assert client.get("/console/api/conversations/shopper-bob", params={"after": whole["cursor"]}).json()["turns"] == []
    since = client.get("/console/api/conversations/shopper-bob", params={"since": T0 + 600 + 60}).json()
    assert [t["text"] for t in since["turns"]] == ["您好，我是人工客服小李，接下来由我为您服务。", XSS]
    assert client.get("/console/api/conversations/shopper-bob", params={"after": -1}).status_code == 422


def test_a_correction_posts_what_the_page_holds_to_the_annotation_api(client):
    """The contract transcript.js uses: the form's data-ts / data-text and the page's CSRF meta."""
    body = client.get("/console/conversations/shopper-alice").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)
    form = re.search(r'<form class="annotate" data-text="第一个加入购物车" data-ts="([^"]+)"', body)
    reply = client.post("/console/api/annotations", headers={"X-CSRF-Token": csrf}, json={
        "sender_id": "shopper-alice", "event_timestamp": float(form.group(1)), "text": "第一个加入购物车",
        "intent": "add_to_cart", "entities": [], "original_intent": "add_to_cart", "original_confidence": 0.88})
    assert reply.status_code == 201, reply.text
    assert reply.json()["event_timestamp"] == T0 + 10


# ---------------------------------------------------------------- dates are validated


@pytest.mark.parametrize(("params", "reason"), data.BAD_RANGES)
def test_a_bad_date_or_range_is_a_422_with_the_reason_on_the_list_page_and_api(client, params, reason):
    api = client.get("/console/api/conversations", params=params)
    assert api.status_code == 422 and reason in api.json()["detail"]
    page = client.get("/console", params=params)
    assert page.status_code == 422 and str(escape(reason)) in page.text
    assert re.search(r'<p class="error" role="alert">[^<]+</p>', page.text)
    assert 'class="filters"' in page.text and 'id="rows"' not in page.text  # the form, no (stale) list
    for name, value in params.items():  # shown back, to be corrected
        assert f'name="{name}" value="{escape(value)}"' in page.text


@pytest.mark.parametrize("since", ["nan", "inf", "-inf", "-1", "1e12", "4102416001", "昨天", "0x10"])
def test_a_bad_since_is_a_422_with_the_reason(client, since):
    reply = client.get("/console/api/conversations/shopper-bob", params={"since": since})
    assert reply.status_code == 422 and reply.json()["detail"].startswith("since 应为 0 至 4102416000 之间")


def test_an_empty_since_is_no_limit(client):
    whole = client.get("/console/api/conversations/shopper-bob").json()
    assert client.get("/console/api/conversations/shopper-bob", params={"since": ""}).json() == whole


def test_a_cursor_beyond_any_event_id_is_a_422_not_an_overflow(client):
    assert client.get("/console/api/conversations/shopper-bob", params={"after": 2**63}).status_code == 422
    assert client.get("/console/api/conversations/shopper-bob", params={"after": 2**63 - 1}).json()["turns"] == []


# ---------------------------------------------------------------- any sender id


def js_encode(sender: str) -> str:
    """What encodeURIComponent makes of a sender id (the scripts build their URLs with it)."""
    return quote(sender, safe="!~*'()")


def test_odd_sender_ids_are_listed_read_and_searched(odd_tracker_url):
    rows, total = list_conversations(odd_tracker_url, Filters(limit=100))
    assert [r.sender_id for r in rows] == ODD_SENDERS[::-1] and total == len(ODD_SENDERS)
    for sender in ODD_SENDERS:
        turns = transcript(odd_tracker_url, sender).turns
        assert [(t.kind, t.text) for t in turns] == [("user", f"我是{sender}"), ("bot", XSS)]
    assert senders(odd_tracker_url, user="%2F") == ["50%off%2F", ODD]
    assert senders(odd_tracker_url, user="/../") == ["x/../shopper-alice"]
    assert senders(odd_tracker_url, user="长" * 248) == [LONG]
    assert transcript(odd_tracker_url, "shopper-bob").turns == []  # "../shopper-bob" is its own conversation


def test_every_sender_id_is_linked_encoded_and_opens_its_own_transcript(odd_client):
    body = odd_client.get("/console").text
    assert body.count("<tr data-sender=") == len(ODD_SENDERS) and "<b>x</b>" not in body
    for sender in ODD_SENDERS:
        href = f"/console/conversations/{quote(sender, safe='')}"
        assert f'<tr data-sender="{escape(sender)}"' in body and f'<a href="{href}">{escape(sender)}</a>' in body
        for url in (href, f"/console/conversations/{js_encode(sender)}"):
            page = odd_client.get(url)
            assert page.status_code == 200, (sender, page.text[:300])
            assert f'<ol class="transcript" id="transcript" data-sender="{escape(sender)}"' in page.text
            assert f"<code>{escape(sender)}</code>" in page.text
            assert f'<section id="handoff" data-sender="{escape(sender)}"' in page.text
            assert str(escape(f"我是{sender}")) in page.text
            assert str(escape(XSS)) in page.text and XSS not in page.text


def test_the_transcript_api_polls_any_sender_id(odd_client):
    for sender in ODD_SENDERS:
        url = f"/console/api/conversations/{js_encode(sender)}"
        whole = odd_client.get(url).json()
        assert whole["sender_id"] == sender and whole["exists"]
        assert [(t["kind"], t["text"]) for t in whole["turns"]] == [("user", f"我是{sender}"), ("bot", XSS)]
        assert odd_client.get(url, params={"after": whole["cursor"]}).json()["turns"] == []
        assert len(odd_client.get(url, params={"since": T0}).json()["turns"]) == 2
    assert odd_client.get(f"/console/api/conversations/{quote(LONG + 'x', safe='')}").status_code == 422  # > 255


def test_annotations_link_back_to_any_sender_id(odd_client):
    page = odd_client.get(f"/console/conversations/{quote(ODD, safe='')}").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    made = odd_client.post("/console/api/annotations", headers={"X-CSRF-Token": csrf}, json={
        "sender_id": ODD, "text": f"我是{ODD}", "intent": "greet", "entities": []})
    assert made.status_code == 201, made.text
    listed = odd_client.get("/console/api/annotations", params={"sender_id": ODD}).json()["annotations"]
    assert [a["sender_id"] for a in listed] == [ODD]
    assert f'<a href="/console/conversations/{quote(ODD, safe="")}">{escape(ODD)}</a>' in \
        odd_client.get("/console/annotations").text


# Sender ids Rasa 3.6 reads back unchanged from a URL path (it never percent-decodes it).
ADDRESSABLE = ["shopper-bob", "shop/user-1", "a/b/c", "50%off%2F", "a%2Fb", "trail/", "a;b=c&d+e~!$'()*,:@"]


def test_rasa_reads_exactly_the_sender_id_the_console_sends_or_is_not_called():
    urls = {s: rasa_conversation_url("http://127.0.0.1:5005", s, "tracker/events")
            for s in dict.fromkeys(ODD_SENDERS + ADDRESSABLE)}
    sendable = [s for s, url in urls.items() if url is not None]
    assert set(sendable) == set(ADDRESSABLE)  # not ODD: "?", "#", spaces, Chinese, <>", dot segments
    assert data.sanic_reads([("POST", urls[s].raw_path.decode()) for s in sendable]) == sendable
    assert data.sanic_reads([("GET", rasa_conversation_url("http://r", s, "tracker").raw_path.decode())
                             for s in sendable]) == sendable


class FakeRasa:
    """Rasa's conversation API for the handoff routes: the sender id is the raw path between
    /conversations/ and /tracker, undecoded (what Sanic hands Rasa); pause/resume kept per sender."""

    def __init__(self) -> None:
        self.paused: dict[str, bool] = {}
        self.calls: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.split(b"?")[0].decode()
        tail = "/tracker/events" if request.method == "POST" else "/tracker"
        assert path.startswith("/conversations/") and path.endswith(tail), path
        sender = path.removeprefix("/conversations/").removesuffix(tail)
        self.calls.append((request.method, sender))
        if request.method == "GET":
            return httpx.Response(200, json={"sender_id": sender, "paused": self.paused.get(sender, False)})
        for event in json.loads(request.content):
            if event["event"] in ("pause", "resume"):
                self.paused[sender] = event["event"] == "pause"
        return httpx.Response(200, json={"sender_id": sender})


@pytest.fixture
def rasa(monkeypatch) -> FakeRasa:
    fake = FakeRasa()
    monkeypatch.setattr(handoff, "_client", lambda settings: httpx.AsyncClient(transport=httpx.MockTransport(fake)))
    return fake


def csrf_token(client) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/console").text).group(1)


@pytest.mark.parametrize("sender", ADDRESSABLE)
def test_take_over_reply_and_hand_back_reach_rasa_for_the_same_sender(odd_client, rasa, sender):
    call = lambda action, **body: odd_client.post(f"/console/api/conversations/{js_encode(sender)}/{action}",
                                                  json=body, headers={"X-CSRF-Token": csrf_token(odd_client)})
    took = call("takeover")
    assert took.status_code == 200, took.text
    assert took.json() == {"sender_id": sender, "paused": True, "agent": AGENT}
    assert call("messages", text="您好，我来帮您").json() == {"sender_id": sender, "sent": True}
    assert call("handback").json() == {"sender_id": sender, "paused": False}
    assert {who for _, who in rasa.calls} == {sender} and len(rasa.calls) == 6  # 3 × (check state, append)
    page = odd_client.get(f"/console/conversations/{quote(sender, safe='')}").text
    assert f'data-sender="{escape(sender)}" data-paused="false"></section>' in page  # controls shown


@pytest.mark.parametrize("sender", [s for s in ODD_SENDERS if s not in ADDRESSABLE])
def test_a_sender_id_rasa_cannot_address_gets_a_422_and_rasa_is_never_called(odd_client, rasa, sender):
    for action in ("takeover", "messages", "handback"):
        reply = odd_client.post(f"/console/api/conversations/{js_encode(sender)}/{action}", json={"text": "在的"},
                                headers={"X-CSRF-Token": csrf_token(odd_client)})
        assert reply.status_code == 422 and reply.json()["detail"] == RASA_CANNOT, (action, reply.text)
    assert rasa.calls == []  # never another conversation ("x/../shopper-alice" is not shopper-alice)
    page = odd_client.get(f"/console/conversations/{quote(sender, safe='')}").text
    assert f'data-unavailable="{escape(RASA_CANNOT)}"' in page


class RasaOverHttp(ThreadingHTTPServer):
    """FakeRasa served on a free port: the request target as it arrives on the wire."""

    def __init__(self) -> None:
        self.fake = FakeRasa()
        fake = self.fake

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                reply = fake(httpx.Request(self.command, f"http://rasa{self.path}", content=body))
                self.send_response(reply.status_code)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(reply.content)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_odd_sender_ids_over_http(odd_console, tmp_path):
    """The same under uvicorn, the browser's encodings on a real socket: links, pages, polling, handoff."""
    from tests.conftest import free_port

    rasa = RasaOverHttp()
    settings = odd_console.model_copy(update={"web_port": free_port(), "rasa_port": rasa.server_address[1]})
    web = start_web(settings, tmp_path)
    try:
        with httpx.Client(base_url=web.url, timeout=30) as http:
            assert http.post("/console/login", data={"username": AGENT, "password": PASSWORD}).status_code == 303
            body = http.get("/console").text
            csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)
            for sender in ODD_SENDERS:
                href = re.search(rf'<tr data-sender="{re.escape(str(escape(sender)))}"[^>]*>\s*<td><a href="([^"]+)"',
                                 body).group(1)
                page = http.get(html.unescape(href)).text
                assert f'<ol class="transcript" id="transcript" data-sender="{escape(sender)}"' in page, sender
                polled = http.get(f"/console/api/conversations/{js_encode(sender)}", params={"after": 0}).json()
                assert polled["sender_id"] == sender and len(polled["turns"]) == 2
            for sender in ["a/b/c", "50%off%2F"]:
                took = http.post(f"/console/api/conversations/{js_encode(sender)}/takeover",
                                 headers={"X-CSRF-Token": csrf})
                assert took.status_code == 200 and took.json()["sender_id"] == sender, took.text
            refused = http.post(f"/console/api/conversations/{js_encode(ODD)}/takeover", headers={"X-CSRF-Token": csrf})
            assert refused.status_code == 422 and refused.json()["detail"] == RASA_CANNOT
        assert rasa.fake.calls == [("GET", "a/b/c"), ("POST", "a/b/c"), ("GET", "50%off%2F"), ("POST", "50%off%2F")]
    finally:
        web.stop()
        rasa.shutdown()


# ---------------------------------------------------------------- the pages' scripts in Chromium


@pytest.fixture
def live_console(console, tmp_path) -> Iterator[tuple[object, Path]]:
    """The web app (uvicorn, no Rasa needed) on a private copy of the tracker store."""
    import shutil

    from tests.conftest import free_port

    tracker = tmp_path / "tracker.db"
    shutil.copy(console.tracker_url.removeprefix("sqlite:///"), tracker)
    settings = console.model_copy(update={"tracker_url": f"sqlite:///{tracker}", "web_port": free_port()})
    web = start_web(settings, tmp_path, {"SHOPBOT_TRACKER_URL": settings.tracker_url,
                                         "SHOPBOT_DATABASE_URL": settings.db_url})
    yield web, tracker
    web.stop()


def test_list_and_transcript_update_live_and_a_polled_message_can_be_corrected(browser, live_console):
    web, tracker = live_console
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{web.url}/console?handoff=true")
    page.fill("input[name=username]", AGENT)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.locator("tr[data-sender='shopper-erin']").wait_for()
    assert page.locator("#rows tr").count() == 3

    # Rasa records more: alice asks for a human, and says something new
    alice = next(c for c in data.conversations() if c["sender_id"] == "shopper-alice")
    more = [data.user("人呢？转人工", "human_handoff", 0.97, T0 + 4000), data.action("action_handoff", T0 + 4001),
            data.slot("handoff_requested", True, T0 + 4002), data.bot("正在为您转接人工客服。", T0 + 4003)]
    data.replay({"dialect": "sqlite", "db": str(tracker)},
                [{"sender_id": "shopper-alice", "events": alice["events"] + more}], tracker.parent)
    row = page.locator("tr[data-sender='shopper-alice']")
    row.wait_for(timeout=15_000)  # the list refreshed itself with its filters
    assert "需要人工" in row.inner_text() and page.locator("#rows tr").count() == 4
    assert page.locator("#rows tr").first.get_attribute("data-sender") == "shopper-alice"

    page.goto(f"{web.url}/console/conversations/shopper-bob")
    page.locator(".turn.user .text", has_text="onerror").wait_for()
    assert page.locator(".turn.user .text").last.inner_text() == XSS  # shown as text, not markup
    assert page.evaluate("document.querySelectorAll('#transcript img').length") == 0

    page.goto(f"{web.url}/console/conversations/shopper-alice")
    page.locator(".turn.user", has_text="人呢？转人工").wait_for()
    data.replay({"dialect": "sqlite", "db": str(tracker)}, [{"sender_id": "shopper-alice", "events": alice["events"] + more + [
        data.user("要黑色的 <b>耳机</b>", "refine_search", 0.9, T0 + 5000,
                  [{"entity": "color", "value": "黑色", "start": 1, "end": 3, "extractor": "DIETClassifier",
                    "confidence_entity": 0.95}]),
        data.bot(None, T0 + 5001, custom=data.cards(("P9", "黑色耳机", 299.0)))]}], tracker.parent)
    turn = page.locator(".turn.user", has_text="要黑色的")
    turn.wait_for(timeout=10_000)  # polled in, no reload
    assert turn.locator(".text").inner_text() == "要黑色的 <b>耳机</b>"
    assert "color=黑色" in turn.inner_text() and "refine_search" in turn.inner_text()
    page.locator(".turn.bot .products li", has_text="黑色耳机 · ¥299").wait_for()
    assert page.locator("#state-badge").inner_text() == "需要人工"

    # correct the polled message: entity by selecting text in the message, intent from the list
    turn.locator("summary").click()
    turn.locator("select[name=intent]").select_option("search_product")
    turn.locator("textarea[name=entities]").fill("")
    page.evaluate("""() => {
        const node = [...document.querySelectorAll('.turn.user .text')].pop().firstChild;
        const range = document.createRange(); range.setStart(node, 8); range.setEnd(node, 10);
        getSelection().removeAllRanges(); getSelection().addRange(range); }""")
    turn.locator("select[name=entity_type]").select_option("category")
    turn.locator("button.add-selection").click()
    assert turn.locator("textarea[name=entities]").input_value() == "耳机:category\n"
    turn.locator("textarea[name=entities]").fill("耳机:category\n黑色:color")
    turn.locator("button[type=submit]").click()
    turn.locator(".result", has_text="已保存").wait_for()
    saved = page.request.get(f"{web.url}/console/api/annotations?sender_id=shopper-alice").json()["annotations"][0]
    assert saved["intent"] == "search_product" and saved["original_intent"] == "refine_search"
    assert [(e["value"], e["entity"], e["start"]) for e in saved["entities"]] == [("黑色", "color", 1),
                                                                                ("耳机", "category", 8)]
    assert dialogs == []
    context.close()
