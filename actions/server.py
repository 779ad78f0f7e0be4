"""`python -m actions.server --port N [rasa_sdk args]`: rasa_sdk's action server, internal:
bound to SHOPBOT_INTERNAL_HOST (SANIC_HOST), and every call but /health must carry the shared
secret Rasa sends (endpoints*.yml) and a JSON body. Prometheus multiprocess metrics go to
<var>/metrics/actions (read by the web app's /metrics)."""
from __future__ import annotations

import os
import sys
from typing import Any

from core.settings import get_settings
from core.credentials import matches

SECRET_HEADER = "x-daogou-action-secret"


def guard(app: Any, secret: str) -> Any:
    """Refuse callers without the secret (401) and non-JSON bodies (415) before rasa_sdk runs."""
    from sanic import response

    @app.on_request
    async def internal_only(request: Any) -> Any:
        if request.path == "/health":
            return None
        if not matches(request.headers.get(SECRET_HEADER), secret):
            return response.json({"error": "unauthorized"}, status=401)
        if request.method == "POST" and request.content_type.split(";")[0].strip() != "application/json":
            return response.json({"error": "the body must be application/json"}, status=415)
        return None

    return app


def _guarded_app_factory(secret: str) -> None:
    """rasa_sdk builds its Sanic app in `endpoint.run` (AppLoader(create_app)); wrap the factory."""
    from rasa_sdk import endpoint

    create_app = endpoint.create_app
    endpoint.create_app = lambda *args, **kwargs: guard(create_app(*args, **kwargs), secret)


def main(argv: list[str] | None = None) -> None:
    """Empty the metrics directory (files of earlier runs), enter multiprocess mode, run rasa_sdk."""
    from rasa_sdk.endpoint import create_argument_parser

    args = create_argument_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if not (args.actions or args.actions_module):
        args.actions = "actions"
    if "prometheus_client" in sys.modules:  # it picks its value class at import time
        raise RuntimeError("prometheus_client was imported before PROMETHEUS_MULTIPROC_DIR was set")
    settings = get_settings()
    os.environ["SANIC_HOST"] = settings.internal_host
    _guarded_app_factory(settings.secret("action_secret"))
    folder = settings.action_metrics_dir
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)

    from rasa_sdk.__main__ import main_from_args

    main_from_args(args)


if __name__ == "__main__":
    main()
