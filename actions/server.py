"""`python -m actions.server --port N [rasa_sdk args]`: rasa_sdk's action server with
Prometheus multiprocess metrics in <var>/metrics/actions (read by the web app's /metrics)."""
from __future__ import annotations

import os
import sys

from bot.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    """Empty the metrics directory (files of earlier runs), enter multiprocess mode, run rasa_sdk."""
    from rasa_sdk.endpoint import create_argument_parser

    args = create_argument_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if not (args.actions or args.actions_module):
        args.actions = "actions"
    if "prometheus_client" in sys.modules:  # it picks its value class at import time
        raise RuntimeError("prometheus_client was imported before PROMETHEUS_MULTIPROC_DIR was set")
    folder = get_settings().action_metrics_dir
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)

    from rasa_sdk.__main__ import main_from_args

    main_from_args(args)


if __name__ == "__main__":
    main()
