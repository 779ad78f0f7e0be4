"""The lean tracker store (rasa_plugins/stores/tracker_store.py) against Rasa's own SQLTrackerStore, in
.venv-rasa: one long conversation played turn by turn into both, the way Rasa's processor does
(load, add the turn's events, save), with searches, a form, a fallback whose message Rasa takes
back (`rewind`), an `undo`, a slot reset, a staff pause and resume, a restart and a new session.

    .venv-rasa/bin/python tests/support/tracker_window.py WORKDIR [--postgres SERVER_URL STOCK_DB LEAN_DB]

Prints one JSON line: the turns played, every turn where the lean tracker's state (slots, form,
pause, latest message and action, the policies' last states) differs from Rasa's full one,
whether both stores wrote the same rows and published the same events, and the largest tracker
each store loaded.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def conversation(seed: int = 7) -> list[list[Any]]:
    """Turns of events as Rasa's processor would log them."""
    from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, AllSlotsReset,
                                         BotUttered, ConversationPaused, ConversationResumed,
                                         Restarted, SessionStarted, SlotSet, UserUttered,
                                         UserUtteranceReverted)

    rng = random.Random(seed)
    n = iter(range(10_000))

    def said(text: str, intent: str, **entities: str) -> list[Any]:
        return [UserUttered(text, {"name": intent, "confidence": 0.99},
                            [{"entity": k, "value": v, "start": 0, "end": 1} for k, v in entities.items()]),
                *[SlotSet(k, v) for k, v in entities.items()], SlotSet("turn_status", "pending")]

    def answer(action: str, *events: Any) -> list[Any]:
        return [ActionExecuted(action), BotUttered(f"reply {next(n)}", {"custom": {"type": "products"}}),
                *events, SlotSet("turn_status", "done"), ActionExecuted("action_listen")]

    def search() -> list[Any]:
        brand = rng.choice(["华为", "小米", "苹果"])
        shown = [f"SKU{rng.randrange(10_000):05d}" for _ in range(5)]
        return said(f"要{brand}的", "refine_search", brand=brand) + answer(
            "action_search_products", SlotSet("search_query", {"text": brand, "brands": [brand]}),
            SlotSet("shown_products", shown), SlotSet("focus_product", None))

    def detail() -> list[Any]:
        return said("第二个详细介绍一下", "ask_product_detail") + answer(
            "action_product_detail", SlotSet("focus_product", f"SKU{rng.randrange(10_000):05d}"))

    def fallback() -> list[Any]:  # core fallback: Rasa takes the message (and its slots) back
        return said("qwpeoiruty", "nlu_fallback", color="蓝色") + [
            ActionExecuted("action_default_fallback"), BotUttered("没明白"), UserUtteranceReverted(),
            ActionExecuted("action_listen")]

    def undone() -> list[Any]:
        return said("看看购物车", "view_cart") + [
            ActionExecuted("action_view_cart"), SlotSet("shown_products", ["SKU-UNDONE"]), ActionReverted(),
            ActionExecuted("action_listen")]

    def form_start() -> list[Any]:
        return said("我的订单到哪了", "order_status") + [
            ActionExecuted("order_status_form"), ActiveLoop("order_status_form"),
            SlotSet("requested_slot", "order_id"), BotUttered("订单号是多少？"), ActionExecuted("action_listen")]

    def form_chat() -> list[Any]:  # the shopper answers something else while the form waits
        return said("包邮吗", "faq") + [ActionExecuted("order_status_form"), BotUttered("订单号是多少？"),
                                        ActionExecuted("action_listen")]

    def form_end() -> list[Any]:
        return said("DD202608010017425937", "order_status", order_id="DD202608010017425937") + [
            ActionExecuted("order_status_form"), SlotSet("requested_slot", None), ActiveLoop(None),
            ActionExecuted("action_order_status"), BotUttered("已签收"), SlotSet("order_id", None),
            ActionExecuted("action_listen")]

    def session_start(*carried: Any) -> list[Any]:
        return [ActionExecuted("action_session_start"), SessionStarted(), *carried, ActionExecuted("action_listen")]

    turns: list[list[Any]] = [session_start(), said("你好", "greet") + answer("utter_greet")]
    turns += [rng.choice([search, detail, detail])() for _ in range(8)]
    turns += [fallback(), search(), undone()]
    turns += [rng.choice([search, detail])() for _ in range(14)]  # the fallback and undo fall out of the window
    turns += [form_start()] + [form_chat() for _ in range(13)] + [form_end()]  # a form longer than the window
    turns += [rng.choice([search, detail])() for _ in range(4)]
    turns += [said("转人工", "human_handoff") + answer("action_handoff", SlotSet("handoff_requested", True)),
              [ConversationPaused(), BotUttered("客服小王为您服务")]]
    turns += [said("我要退货", "faq") + [BotUttered("好的")] for _ in range(12)]  # staff has it: no bot actions
    turns += [[BotUttered("交还机器人"), ConversationResumed(), SlotSet("handoff_requested", False)]]
    turns += [rng.choice([search, detail])() for _ in range(12)]
    turns += [said("清空", "deny") + [ActionExecuted("action_reset"), AllSlotsReset(), ActionExecuted("action_listen")]]
    turns += [rng.choice([search, detail])() for _ in range(12)]
    turns += [said("/restart", "restart") + [ActionExecuted("action_restart"), Restarted()] + session_start()]
    turns += [rng.choice([search, detail])() for _ in range(12)]
    turns += [session_start(SlotSet("shown_products", ["SKU-CARRIED"]))]  # an expired session, slots carried
    turns += [rng.choice([search, detail])() for _ in range(12)]
    return turns


class Collect:
    """An event broker that keeps what it was given."""

    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append({k: v for k, v in event.items() if k != "timestamp"})

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        pass


def state(tracker, domain) -> dict:
    return {"slots": tracker.current_slot_values(), "loop": tracker.active_loop_name,
            "paused": tracker.is_paused(), "message": tracker.latest_message.text if tracker.latest_message else None,
            "action": tracker.latest_action_name, "followup": tracker.followup_action,
            "states": tracker.past_states(domain)[-6:]}


async def main() -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    from rasa_plugins.stores.tracker_store import LeanSQLTrackerStore

    from sqlalchemy.engine import make_url

    workdir = Path(sys.argv[1])
    postgres = sys.argv[sys.argv.index("--postgres") + 1:][:3] if "--postgres" in sys.argv else None
    domain = Domain.load(str(ROOT / "domain.yml"))
    brokers = {"stock": Collect(), "lean": Collect()}

    def where(name: str) -> dict:
        if postgres:
            server = make_url(postgres[0])
            return {"dialect": "postgresql", "host": server.host, "port": server.port,
                    "username": server.username, "password": server.password,
                    "db": postgres[1] if name == "stock" else postgres[2]}
        return {"dialect": "sqlite", "db": str(workdir / f"{name}.db")}

    stores = {"stock": SQLTrackerStore(domain=domain, event_broker=brokers["stock"], **where("stock")),
              "lean": LeanSQLTrackerStore(domain=domain, event_broker=brokers["lean"], window_turns=10,
                                          **where("lean"))}
    sender = "long-shopper"
    mismatches, largest = [], {"stock": 0, "lean": 0}
    turns = conversation()
    for number, events in enumerate(turns, 1):
        for event in events:  # as Rasa's processor stamps them when they happen
            event.timestamp = time.time()
        states = {}
        for name, store in stores.items():
            tracker = await store.retrieve(sender) or await store.create_tracker(sender, append_action_listen=False)
            largest[name] = max(largest[name], len(tracker.events))
            for event in events:
                tracker.update(event, domain)
            await store.save(tracker)
            states[name] = state(await store.retrieve(sender), domain)
        if states["stock"] != states["lean"]:
            diff = {k: (states["stock"][k], states["lean"][k]) for k in states["stock"]
                    if states["stock"][k] != states["lean"][k]}
            mismatches.append({"turn": number, "diff": diff})
    # A conversation Rasa's API replaces wholesale (PUT /tracker/events): not loaded by the store.
    from rasa.shared.core.trackers import DialogueStateTracker

    session = list((await stores["stock"].retrieve(sender)).events) + [SlotSetLast()]
    for name, store in stores.items():
        await store.save(DialogueStateTracker.from_events(sender, session, domain.slots))
    rows = {}
    for name, store in stores.items():
        with store.session_scope() as session:
            rows[name] = [(r.type_name, r.action_name, json.dumps({k: v for k, v in json.loads(r.data).items()
                                                                   if k != "timestamp"}, sort_keys=True))
                          for r in session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender)
                          .order_by(store.SQLEvent.id)]
        store.engine.dispose()
    print(json.dumps({"turns": len(turns), "mismatches": mismatches, "largest": largest,
                      "rows": len(rows["stock"]), "rows_equal": rows["stock"] == rows["lean"],
                      "published": len(brokers["stock"].published),
                      "published_equal": brokers["stock"].published == brokers["lean"].published},
                     ensure_ascii=False, default=str))


def SlotSetLast():  # noqa: N802 - reads like the event it makes
    from rasa.shared.core.events import SlotSet

    return SlotSet("focus_product", "SKU-REPLACED")


if __name__ == "__main__":
    asyncio.run(main())
