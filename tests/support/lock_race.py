"""Run in .venv-rasa: N processes issue tickets for one conversation at once through the given
lock store class; prints how many tickets the lock holds afterwards (each issued one should)."""
from __future__ import annotations

import json
import multiprocessing
import sys

from rasa.shared.utils.common import class_from_module_path
from rasa.utils.endpoints import EndpointConfig


def store(class_path: str, prefix: str):
    config = EndpointConfig(url="127.0.0.1", port=6379, db=0, key_prefix=prefix, type=class_path)
    cls = class_from_module_path(class_path)
    if class_path.endswith(".RedisLockStore"):
        return cls(host="127.0.0.1", port=6379, db=0, key_prefix=prefix)
    return cls(endpoint_config=config)


def issue(args: tuple[str, str, int]) -> list[int]:
    class_path, prefix, count = args
    lock_store = store(class_path, prefix)
    return [lock_store.issue_ticket("race", lock_lifetime=600) for _ in range(count)]


if __name__ == "__main__":
    class_path, prefix, workers, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with multiprocessing.Pool(workers) as pool:
        issued = [t for tickets in pool.map(issue, [(class_path, prefix, count)] * workers) for t in tickets]
    held = store(class_path, prefix).get_lock("race")
    print(json.dumps({"issued": len(issued), "distinct": len(set(issued)),
                      "held": len(held.tickets) if held else 0}))
    store(class_path, prefix).delete_lock("race")
