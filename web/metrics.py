"""Prometheus metrics at /metrics and one JSON log line per request with a request id.

The web app measures its own requests and chat turns; intents, fallbacks and handoffs are
counted from Rasa's tracker store when Prometheus scrapes (the store is the source of truth
whichever Rasa instance served the turn). The action server's metrics (actions/metrics.py) are
read from the files its worker processes write; the web app itself stays in single-process mode.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from functools import lru_cache

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from starlette.requests import Request

from web.console.tracker import events, handoff_flagged, is_fallback, tracker_engine
from core.settings import Settings, get_settings
from web.deps import settings_dep
from core.credentials import bearer, matches

REGISTRY = CollectorRegistry()
HTTP_SECONDS = Histogram("daogou_http_request_seconds", "Web app request latency",
                         ["route", "method", "status"], registry=REGISTRY)
TURN_SECONDS = Histogram("daogou_chat_turn_seconds", "One shopper message through the relay to Rasa and back",
                         buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30), registry=REGISTRY)
RASA_ERRORS = Counter("daogou_rasa_errors_total", "Relay turns where Rasa was unreachable or failed",
                      registry=REGISTRY)
RATE_LIMITED = Counter("daogou_rate_limited_total", "Requests refused by the rate limiter", registry=REGISTRY)

log = logging.getLogger("daogou.access")
router = APIRouter()


def configure_access_log() -> None:
    """One JSON object per line on stderr (a log shipper reads it as is)."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


class TrackerCollector:
    """Intents, fallbacks and handoffs so far, counted in Rasa's tracker store at scrape time."""

    def __init__(self, url: str) -> None:
        self.url = url

    def collect(self):
        intents = CounterMetricFamily("daogou_intents", "Shopper messages by recognised intent", labels=["intent"])
        fallbacks = CounterMetricFamily("daogou_fallbacks", "Fallback turns: NLU fallback or Rasa's core fallback action")
        handoffs = CounterMetricFamily("daogou_handoffs", "Conversations flagged for a human")
        engine = tracker_engine(self.url)
        if engine is not None:
            with engine.connect() as conn:
                for intent, n in conn.execute(select(events.c.intent_name, func.count())
                                              .where(events.c.type_name == "user")
                                              .group_by(events.c.intent_name)):
                    intents.add_metric([intent or ""], n)
                # The same definitions the console's list and analytics use.
                fallbacks.add_metric([], conn.execute(select(func.count()).where(is_fallback())).scalar_one())
                handoffs.add_metric([], conn.execute(select(func.count(func.distinct(events.c.sender_id)))
                                                     .where(handoff_flagged())).scalar_one())
        yield from (intents, fallbacks, handoffs)


@lru_cache(maxsize=4)
def _tracker_registry(url: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(TrackerCollector(url))
    return registry


def action_server_metrics(settings: Settings) -> bytes:
    """The action server's metrics, summed over its worker processes' files (none before it ran)."""
    folder = settings.action_metrics_dir
    if not folder.is_dir():
        return b""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    return generate_latest(registry)


def pseudonym(settings: Settings, sender: str | None) -> str | None:
    """A sender id as logs show it: keyed HMAC (SHOPBOT_PRIVACY_KEY), so a log line names no
    shopper yet one shopper's requests still correlate; forgetting the key unlinks them all."""
    if not sender:
        return None
    digest = hmac.new(settings.secret("privacy_key").encode(), sender.encode(), hashlib.sha256)
    return "p-" + digest.hexdigest()[:16]


def _scraper(request: Request, settings: Settings = Depends(settings_dep)) -> None:
    """Prometheus authenticates with `Authorization: Bearer <SHOPBOT_METRICS_TOKEN>`."""
    if not matches(bearer(request.headers.get("authorization")), settings.secret("metrics_token")):
        raise HTTPException(401, "需要监控令牌（Authorization: Bearer <SHOPBOT_METRICS_TOKEN>）",
                            headers={"WWW-Authenticate": "Bearer"})


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(_scraper)])
def metrics(settings: Settings = Depends(settings_dep)) -> Response:
    body = (generate_latest(REGISTRY) + generate_latest(_tracker_registry(settings.tracker_db_url))
            + action_server_metrics(settings))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def route_of(request: Request) -> str:
    """The route template (/api/products/{product_id}), so labels stay few."""
    route = request.scope.get("route")
    return getattr(route, "path", None) or ("static" if request.url.path.startswith(("/static", "/console/static")) else "other")


async def observe(request: Request, call_next):
    """HTTP middleware: request id, latency histogram, one JSON log line."""
    request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
    request.state.request_id = request_id
    started = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        response.headers["X-Request-ID"] = request_id
        return response
    finally:
        seconds = time.perf_counter() - started
        route = route_of(request)
        HTTP_SECONDS.labels(route, request.method, str(status)).observe(seconds)
        if status == 429:
            RATE_LIMITED.inc()
        # Paths with parameters (a console transcript names its sender) are logged as their route.
        path = request.url.path if not request.scope.get("path_params") else route
        log.info(json.dumps({"ts": round(time.time(), 3), "request_id": request_id, "method": request.method, "route": route,
                             "path": path, "status": status, "ms": round(seconds * 1000, 1),
                             "sender": pseudonym(get_settings(), getattr(request.state, "sender", None))},
                            ensure_ascii=False))
