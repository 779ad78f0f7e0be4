"""Run in .venv-rasa: every action reply in a corpus (each event type Rasa serialises, as our
actions send them, and broken variants) gets the same verdict and the same error from
`rasa_plugins.channels.action_schema` as from Rasa's own `jsonschema.validate`. Prints a JSON summary.

    .venv-rasa/bin/python tests/support/action_schema_agreement.py
"""
from __future__ import annotations

import copy
import json
import time

from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events as ev

from rasa_plugins.channels.action_schema import validate_action_result

CARD = {"type": "products", "products": [{"id": "P1", "title": "华为 FreeBuds", "price": 999.0}]}
EVENTS = [e.as_dict() for e in (
    ev.UserUttered("我想买耳机", {"name": "search_product", "confidence": 0.9},
                   [{"entity": "category", "value": "耳机", "start": 3, "end": 5}]),
    ev.BotUttered("为你找到这几款", {"buttons": [{"title": "再便宜点", "payload": "再便宜点"}], "custom": CARD}),
    ev.SlotSet("search_query", {"text": "我想买耳机", "category": "耳机"}), ev.SlotSet("shown_products", ["P1"]),
    ev.SlotSet("focus_product", None), ev.ActionExecuted("action_listen"), ev.EntitiesAdded([]),
    ev.ReminderScheduled("EXTERNAL_x", ev.datetime.now()), ev.ReminderCancelled(), ev.ActionReverted(),
    ev.UserUtteranceReverted(), ev.Restarted(), ev.AllSlotsReset(), ev.ConversationPaused(),
    ev.ConversationResumed(), ev.FollowupAction("action_search_products"), ev.StoryExported(),
    ev.ActiveLoop("order_status_form"), ev.LoopInterrupted(True), ev.ActionExecutionRejected("x"),
    ev.AgentUttered("人工客服为你服务"), ev.SessionStarted(), ev.DefinePrevUserUtteredFeaturization(False),
)]


def broken(event: dict) -> list[dict]:
    """Variants an action server might send by mistake."""
    out = [{**event, "event": "no_such_event"}, {k: v for k, v in event.items() if k != "event"},
           {**event, "timestamp": "yesterday"}, {**event, "metadata": ["not", "an", "object"]}]
    if event["event"] == "slot":
        out += [{k: v for k, v in event.items() if k != "name"}, {**event, "name": 3}]
    if event["event"] == "user":
        bad = copy.deepcopy(event)
        bad["parse_data"]["entities"] = [{"start": "zero"}]
        out.append(bad)
    return out


def replies() -> list:
    out: list = [{"events": [e], "responses": []} for e in EVENTS]
    out.append({"events": EVENTS, "responses": [{"text": "好的"}, {"custom": CARD}]})
    out += [{"events": [b], "responses": []} for e in EVENTS for b in broken(e)]
    out += [{"events": EVENTS[:3] + [b]} for b in broken(EVENTS[2])]
    out += [{}, {"events": "slot"}, {"events": [3]}, {"responses": ["text"]}, {"responses": {"text": "x"}},
            [], "reply", None, {"events": [], "responses": [], "extra": 1}]
    return out


def verdict(check, reply) -> str | None:
    try:
        check(reply)
    except ValidationError as error:
        return error.message
    return None


def main() -> None:
    spec = RemoteAction.action_response_format_spec()
    ours = lambda reply: validate_action_result(None, reply)  # noqa: E731
    rasas = lambda reply: validate(reply, spec)  # noqa: E731
    corpus = replies()
    disagreements, rejected = [], 0
    for reply in corpus:
        theirs, mine = verdict(rasas, reply), verdict(ours, reply)
        rejected += mine is not None
        if (theirs is None) != (mine is None) or (mine is not None and not mine.startswith(theirs)):
            disagreements.append({"reply": repr(reply)[:300], "rasa": theirs, "ours": mine})
    good = {"events": EVENTS, "responses": [{"text": "好的"}]}
    timings = {}
    for name, check in (("rasa_ms", rasas), ("ours_ms", ours)):
        started = time.perf_counter()
        for _ in range(20):
            check(good)
        timings[name] = (time.perf_counter() - started) * 1000 / 20
    print(json.dumps({"replies": len(corpus), "rejected": rejected, "disagreements": disagreements,
                      **timings}, ensure_ascii=False))


if __name__ == "__main__":
    main()
