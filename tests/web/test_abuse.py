"""A sample of the fuzz run (bench/fuzz.py) against the real Rasa server, action server and
web relay: no 5xx, a well-formed, non-empty reply every time, and the bot still answers afterwards."""
from __future__ import annotations

import httpx
import pytest

from bench.fuzz import hostile_messages
from tests.support.chat import new_sender

pytestmark = pytest.mark.integration
SAMPLE = 48


def test_hostile_messages_never_break_rasa_or_the_relay(stack, client_for):
    relay = client_for(stack.settings.model_copy(update={"rate_limit_ip": "100000/minute",
                                                         "rate_limit_sender": "100000/minute"}))
    internal = {"Authorization": f"Bearer {stack.settings.api_token()}"}
    senders = [new_sender("fuzz") for _ in range(6)]
    with httpx.Client(timeout=120, headers=internal) as rasa:
        for i, message in enumerate(hostile_messages(SAMPLE, seed=11)):
            direct = rasa.post(f"{stack.settings.rasa_url}/webhooks/rest/webhook",
                               json={"sender": senders[i % 6], "message": message})
            assert direct.status_code == 200, (i, message[:40], direct.text[:200])
            assert isinstance(direct.json(), list)
            if not message.startswith("/"):  # "/restart" etc. are Rasa commands, not chat
                # silence is a failure too: Rasa answers [] when its pipeline raised
                assert any(m.get("text") for m in direct.json()), (i, repr(message[:40]))
            relayed = relay.post("/api/chat", json={"message": message})
            assert relayed.status_code == 200, (i, message[:40])
            assert isinstance(relayed.json()["messages"], list), (i, message[:40])
            if not message.startswith("/"):
                assert any(m.get("text") for m in relayed.json()["messages"]), (i, repr(message[:40]))
    assert stack.say(new_sender("fuzz-after"), "你好")
