"""Prometheus metrics of the action server: action errors, action latency, search latency.

The action server runs several Sanic worker processes, so `python -m actions.server` puts
prometheus_client in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set before this import);
each process writes its values to files there and the web app's /metrics adds them up.
"""
from __future__ import annotations

from prometheus_client import Counter, Histogram

ACTION_ERRORS = Counter("daogou_action_errors", "Custom actions that raised and apologised to the shopper",
                        ["action"])
ACTION_SECONDS = Histogram("daogou_action_seconds", "Custom action run time, failed runs included", ["action"],
                           buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30))
SEARCH_SECONDS = Histogram("daogou_search_seconds", "Retrieval search call for a shopper query",
                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10))
