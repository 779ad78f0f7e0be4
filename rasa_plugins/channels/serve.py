"""`python -m rasa_plugins.channels.serve run …`: Rasa's own CLI, with `--auth-token` taken from
SHOPBOT_RASA_TOKEN so the token never appears in a process listing (/proc/*/cmdline keeps
the argv the process started with, not what Python changes later), and action replies
validated without re-checking their schema each time (`action_schema`)."""
from __future__ import annotations

import os
import sys

STOCK_CHECK_VAR = "SHOPBOT_BENCH_STOCK_ACTION_CHECK"  # bench.serving only: Rasa's own reply check


def main() -> None:
    token = os.environ.get("SHOPBOT_RASA_TOKEN", "")
    if not token:
        sys.exit("SHOPBOT_RASA_TOKEN is not set: Rasa's HTTP API would be open (see README, Security model)")
    sys.argv = ["rasa", *sys.argv[1:], f"--auth-token={token}"]  # "=": a token may start with "-"
    from rasa.__main__ import main as rasa_main

    from rasa_plugins.channels import action_schema

    if os.environ.get(STOCK_CHECK_VAR) != "1":  # benches compare with Rasa's own check
        action_schema.install()
    rasa_main()


if __name__ == "__main__":
    main()
