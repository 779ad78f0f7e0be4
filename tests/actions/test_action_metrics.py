"""The action server's Prometheus metrics (actions/metrics.py) as the web app's /metrics shows
them: real action server processes write them, the web app sums their files."""
from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.chat import new_sender, products_of, texts_of
from tests.conftest import Stack

pytestmark = pytest.mark.integration


def scraper(web) -> dict[str, str]:
    """Prometheus's credentials for the app's /metrics."""
    from web.deps import settings_dep

    settings = web.app.dependency_overrides.get(settings_dep, settings_dep)()
    return {"Authorization": f"Bearer {settings.secret('metrics_token')}"}


def sample(web, name: str, **labels: str) -> float:
    """The value of one sample on the web app's /metrics; 0 when it is not there (yet)."""
    reply = web.get("/metrics", headers=scraper(web))
    assert reply.status_code == 200, reply.text
    for family in text_string_to_metric_families(reply.text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_a_shopper_search_is_timed(stack, client_for):
    web = client_for(stack.settings)
    assert stack.settings.action_metrics_dir.is_relative_to(stack.settings.var)
    searches = sample(web, "daogou_search_seconds_count")
    runs = sample(web, "daogou_action_seconds_count", action="action_search_products")

    assert products_of(stack.say(new_sender("metrics-search"), "我想买手机"))

    assert sample(web, "daogou_search_seconds_count") >= searches + 1 >= 1
    assert sample(web, "daogou_action_seconds_count", action="action_search_products") >= runs + 1
    assert sample(web, "daogou_action_seconds_bucket", action="action_search_products", le="+Inf") >= 1


def test_a_failing_action_is_counted_and_apologised_for(stack, client_for):
    """A search_query slot without its `text` (a tracker written under an older query schema)
    makes action_search_products raise for real; ShopAction.run apologises and counts it."""
    web = client_for(stack.settings)
    errors = sample(web, "daogou_action_errors_total", action="action_search_products")
    shopper = new_sender("metrics-error")
    stack.say(shopper, "你好")  # starts the session, which would reset the slot set next
    httpx.post(f"{stack.url()}/conversations/{shopper}/tracker/events", params={"token": "test-token"},
               json={"event": "slot", "name": "search_query", "value": {"category": "手机"}},
               timeout=30).raise_for_status()

    texts = texts_of(stack.say(shopper, "我想买耳机"))

    assert any("非常抱歉" in t for t in texts), texts
    assert sample(web, "daogou_action_errors_total", action="action_search_products") == errors + 1
    assert sample(web, "daogou_action_seconds_count", action="action_search_products") >= 1


@pytest.fixture
def two_worker_actions(built, tmp_path):
    """An action server alone, with two Sanic workers (production's count), on a var/ of its own
    (`Stack` copies it without metric files) so its metric files are this test's only."""
    stack = Stack(built, tmp_path)
    stack.env["ACTION_SERVER_SANIC_WORKERS"] = "2"
    try:
        yield stack
    finally:
        stack.stop_all()


def test_two_workers_metrics_are_summed_and_stale_files_removed(two_worker_actions, client_for):
    stack = two_worker_actions
    folder = stack.settings.action_metrics_dir
    folder.mkdir(parents=True)
    (folder / "counter_999999.db").write_bytes(b"stale")  # left by an earlier run
    stack.start_actions()
    assert not (folder / "counter_999999.db").exists()

    tracker = {"sender_id": "metrics-workers", "slots": {}, "events": [], "active_loop": {},
               "latest_message": {"text": "我想买手机", "intent": {"name": "search_product"}, "entities": []}}
    call = {"next_action": "action_search_products", "sender_id": "metrics-workers", "tracker": tracker,
            "domain": {}, "version": "3.6.21"}
    for _ in range(6):  # a new connection each time: either worker may answer
        reply = httpx.post(stack.settings.action_url, json=call, timeout=120,
                           headers={"X-Daogou-Action-Secret": stack.settings.secret("action_secret")})
        reply.raise_for_status()
        assert any(r.get("custom", {}).get("type") == "products" for r in reply.json()["responses"])

    web = client_for(stack.settings)
    assert sample(web, "daogou_search_seconds_count") == 6
    assert sample(web, "daogou_action_seconds_count", action="action_search_products") == 6
    assert sample(web, "daogou_action_errors_total", action="action_search_products") == 0
