"""Write conversations into a tracker store with Rasa's own SQLTrackerStore (run in .venv-rasa).

    .venv-rasa/bin/python tests/support/rasa_replay.py < spec.json

spec: {"store": {"dialect": "sqlite", "db": "/tmp/t.db"} (or postgresql with host, port, db,
username), "conversations": [{"sender_id": "u1", "events": [<Rasa event dicts>]}]}.
Events are parsed by Rasa (`Event.from_parameters`) and saved by Rasa, so the `events` table,
its columns and the JSON in `data` are exactly what a running Rasa server writes. Tests use it
to build tracker stores without mocking Rasa's format (tests/web/console/test_console_*.py).
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def main() -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    spec = json.load(sys.stdin)
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SQLTrackerStore(domain=domain, **spec["store"])
    for conversation in spec["conversations"]:
        events = [Event.from_parameters(e) for e in conversation["events"]]
        if any(e is None for e in events):
            raise SystemExit(f"Rasa does not know an event in {conversation['sender_id']}")
        tracker = DialogueStateTracker.from_events(conversation["sender_id"], events,
                                                   slots=domain.slots)
        await store.save(tracker)
    store.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
