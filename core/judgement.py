"""Judgement on shopper text (issue 19): what the assistant should do with a message — search,
clarify, empathise (and help), acknowledge, decline — against what it did, read from the
real Rasa server: the reply the shopper saw plus the responses and actions in the tracker.

`shopbot eval judgement` runs a labelled set (data/eval/judgement.jsonl) through a running
Rasa (one new sender per message) and prints the confusion table and the issue's rates.
"""
from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.stances import STANCES, read_labelled

BEHAVIOURS = ("search", "clarify", "empathise", "acknowledge", "decline", "other")
CARD_TYPES = ("products", "comparison")
# What the shopper saw decides: the fallback action may also empathise, thank or search.
CLARIFY_NAMES = {"utter_default"}
CLARIFY_TEXT = re.compile(r"没太明白|换个说法|您是想|你是想|想找哪|哪一类|哪种|送给谁|给谁买|不太确定你想")
EMPATHY_TEXT = re.compile(r"抱歉|不好意思|很遗憾|添麻烦|带来不便|理解您|理解你|辛苦|对不起|委屈|难过|着急")
DECLINE_TEXT = re.compile(r"帮不上忙|超出了我的|不在我的服务范围")
THANKS_TEXT = re.compile(r"不客气|谢谢|感谢|开心|高兴|喜欢就好|满意就好|好评")


@dataclass
class Turn:
    """What the assistant did with one message: the texts, card payload types and the names of
    the responses (utter_*) and actions it ran."""

    texts: list[str]
    payloads: list[dict[str, Any]]
    names: set[str]

    def cards(self) -> list[dict[str, Any]]:
        return [p for p in self.payloads if p.get("type") in CARD_TYPES]


def behaviour_of(turn: Turn) -> str:
    """The behaviour a shopper would call it, most specific first (a fallback's "抱歉，我没太明白"
    asks again, it does not sympathise)."""
    text = "\n".join(turn.texts)
    if turn.cards():
        return "search"
    if turn.names & CLARIFY_NAMES or CLARIFY_TEXT.search(text):
        return "clarify"
    if "utter_out_of_scope" in turn.names or DECLINE_TEXT.search(text):
        return "decline"
    if "action_handoff" in turn.names or EMPATHY_TEXT.search(text):
        return "empathise"
    if "utter_thank" in turn.names or THANKS_TEXT.search(text):
        return "acknowledge"
    return "other"


def turn_from(reply: list[dict[str, Any]], events: Iterable[dict[str, Any]]) -> Turn:
    """A Turn from Rasa's REST reply and the tracker events after the shopper's message."""
    names = set()
    for event in events:
        if event.get("event") == "action" and event.get("name") not in (None, "action_listen"):
            names.add(event["name"])
        elif event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action"):
            names.add(event["metadata"]["utter_action"])
    return Turn([m["text"] for m in reply if m.get("text")],
                [m["custom"] for m in reply if isinstance(m.get("custom"), dict)], names)


@dataclass
class Report:
    """Expected × shown behaviour, with the issue's three rates."""

    confusion: dict[str, Counter] = field(default_factory=dict)
    wrong_lists: int = 0  # a product list where none was wanted
    unwanted_total: int = 0
    complaints_met: int = 0  # complaints/venting answered with empathy
    complaints_total: int = 0
    needs_found: int = 0  # needs without a category word answered with that category
    needs_total: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def add(self, item: dict[str, Any], turn: Turn) -> None:
        shown, expected = behaviour_of(turn), item["expect"]
        self.confusion.setdefault(expected, Counter())[shown] += 1
        if expected != "search":
            self.unwanted_total += 1
            self.wrong_lists += shown == "search"
        if item["kind"] in ("complaint", "venting"):
            self.complaints_total += 1
            self.complaints_met += shown == "empathise"
        if item["kind"] == "need":
            self.needs_total += 1
            cards = [p for payload in turn.cards() for p in payload.get("products") or []]
            self.needs_found += bool(cards) and cards[0].get("category") == item.get("category")
        if shown != expected:
            self.misses.append({"text": item["text"], "kind": item["kind"], "expect": expected, "shown": shown,
                                "reply": " / ".join(turn.texts)[:120]})

    def rates(self) -> dict[str, float]:
        def rate(n: int, d: int) -> float:
            return round(n / d, 4) if d else 0.0

        return {"wrong_product_lists": rate(self.wrong_lists, self.unwanted_total),
                "complaints_acknowledged": rate(self.complaints_met, self.complaints_total),
                "needs_found": rate(self.needs_found, self.needs_total)}

    def table(self) -> str:
        """The confusion table: one row per expected behaviour, one column per shown behaviour."""
        shown = [b for b in BEHAVIOURS if any(c[b] for c in self.confusion.values())]
        corner = "expected \\ shown"
        lines = [f"{corner:<18}" + "".join(f"{b:>12}" for b in shown) + f"{'n':>6}"]
        for expected in BEHAVIOURS:
            row = self.confusion.get(expected)
            if row:
                lines.append(f"{expected:<18}" + "".join(f"{row[b]:>12}" for b in shown) + f"{sum(row.values()):>6}")
        return "\n".join(lines)


def load_set(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def judge(items: Iterable[dict[str, Any]], say: Callable[[str, str], Turn]) -> Report:
    """Send each message from a new sender (`say(sender, text)`) and score what came back."""
    report = Report()
    for item in items:
        report.add(item, say(f"judge-{uuid.uuid4().hex[:10]}", item["text"]))
    return report


def rasa_speaker(url: str, token: str) -> Callable[[str, str], Turn]:
    """`say` over Rasa's internal REST channel, reading the turn's events from its HTTP API."""
    import httpx

    client = httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"})

    def say(sender: str, text: str) -> Turn:
        reply = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
        reply.raise_for_status()
        tracker = client.get(f"{url}/conversations/{sender}/tracker", params={"token": token})
        tracker.raise_for_status()
        events = tracker.json().get("events") or []
        last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
        return turn_from(reply.json(), events[last_user + 1:])

    return say




@dataclass
class SentimentReport:
    """Gold × predicted stance of labelled messages, as the served NLU pipeline reads them."""

    confusion: dict[str, Counter] = field(default_factory=dict)

    def add(self, gold: str, predicted: str) -> None:
        self.confusion.setdefault(gold, Counter())[predicted] += 1

    def accuracy(self) -> float:
        total = sum(sum(row.values()) for row in self.confusion.values())
        right = sum(row[gold] for gold, row in self.confusion.items())
        return round(right / total, 4) if total else 0.0

    def recall(self) -> dict[str, float]:
        return {gold: round(row[gold] / sum(row.values()), 4) for gold, row in sorted(self.confusion.items())}

    def table(self) -> str:
        corner = "gold \\ predicted"
        lines = [f"{corner:<18}" + "".join(f"{s:>10}" for s in STANCES)]
        for gold in STANCES:
            row = self.confusion.get(gold, Counter())
            lines.append(f"{gold:<18}" + "".join(f"{row[s]:>10}" for s in STANCES))
        return "\n".join(lines)


def stance_of_kind(kind: str) -> str:
    """The stance a judgement item's kind implies: complaints and venting are negative, praise
    positive, the rest (needs, gifts, typos, off-topic, gibberish, vague) neutral."""
    return "negative" if kind in ("complaint", "venting") else "positive" if kind == "praise" else "neutral"


def load_stances(path: Path) -> list[tuple[str, str]]:
    """(stance, text) pairs from a `label<TAB>text` file or a judgement set (JSONL with kinds)."""
    if path.suffix == ".jsonl":
        return [(stance_of_kind(item["kind"]), item["text"]) for item in load_set(path)]
    return read_labelled(path)


def sentiment_report(pairs: Iterable[tuple[str, str]], parse: Callable[[str], dict[str, Any]]) -> SentimentReport:
    """Parse each text (`parse` returns Rasa's parse data) and tally its stance against the gold one."""
    report = SentimentReport()
    for gold, text in pairs:
        report.add(gold, (parse(text).get("sentiment") or {}).get("label", "neutral"))
    return report


def rasa_parser(url: str, token: str) -> Callable[[str], dict[str, Any]]:
    """`parse` over Rasa's /model/parse (the served pipeline, sentiment included)."""
    import httpx

    client = httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"})

    def parse(text: str) -> dict[str, Any]:
        reply = client.post(f"{url}/model/parse", params={"token": token}, json={"text": text})
        reply.raise_for_status()
        return reply.json()

    return parse
