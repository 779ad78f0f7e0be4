"""`python -m rasa_channels.serve run …`: Rasa's own CLI, with `--auth-token` taken from
SHOPBOT_RASA_TOKEN so the token never appears in a process listing (/proc/*/cmdline keeps
the argv the process started with, not what Python changes later)."""
from __future__ import annotations

import os
import sys


def main() -> None:
    token = os.environ.get("SHOPBOT_RASA_TOKEN", "")
    if not token:
        sys.exit("SHOPBOT_RASA_TOKEN is not set: Rasa's HTTP API would be open (see README, Security model)")
    sys.argv = ["rasa", *sys.argv[1:], f"--auth-token={token}"]  # "=": a token may start with "-"
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
