"""Staff console without servers: auth on every route, login, CSRF, roles, annotations and
their export to Rasa NLU YAML (validated with Rasa's own reader)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from bot.build import rasa_inputs_fingerprint
from bot.console.auth import add_staff, set_active
from bot.console.teach import DEFAULT_EXPORT, export_annotations, marked_up
from bot.settings import Settings
from bot.web.app import app

PASSWORD = "correct-horse-1"


@pytest.fixture
def console(shop: Settings, client_for) -> Settings:
    from sqlalchemy import delete

    from store.db import migrate, session_scope
    from store.models import Annotation

    migrate(shop.db_url)
    with session_scope(shop.db_url) as session:  # a private copy: start without annotations
        session.execute(delete(Annotation))
    add_staff(shop.db_url, "agent1", PASSWORD, "agent")
    add_staff(shop.db_url, "boss", PASSWORD, "admin")
    return shop


def login(client: TestClient, username: str, password: str = PASSWORD, next: str = "/console"):
    return client.post("/console/login", data={"username": username, "password": password,
                                                "next": next}, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/console").text).group(1)


def api_routes(routes, prefix: str = ""):
    """Every APIRoute of the app, through included routers (FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes, prefix + route.include_context.prefix)


def console_routes() -> list[tuple[str, str]]:
    """(method, path) of every console route but the login page, path parameters filled in."""
    found = []
    for full_path, route in api_routes(app.routes):
        if not full_path.startswith("/console") or full_path == "/console/login":
            continue
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: "someone" if m.group(1) == "sender_id" else "1", full_path)
        found += [(method, path) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_the_console_has_routes_for_every_area():
    paths = {path for _, path in console_routes()}
    for expected in ("/console", "/console/analytics", "/console/analytics.csv", "/console/annotations",
                     "/console/api/conversations", "/console/conversations/someone",
                     "/console/api/conversations/someone/takeover", "/console/api/annotations"):
        assert expected in paths


@pytest.mark.parametrize(("method", "path"), console_routes())
def test_every_console_route_needs_a_login(console, client_for, method, path):
    client = client_for(console)
    reply = client.request(method, path, follow_redirects=False)
    if "/api/" in path:
        assert reply.status_code == 401, (method, path, reply.text)
        assert reply.json()["detail"] == "请先登录"
    else:
        assert reply.status_code in (303, 401), (method, path)
        if reply.status_code == 303:
            assert reply.headers["location"].startswith("/console/login?next=")


def test_static_console_assets_are_public_but_pages_are_not(console, client_for):
    client = client_for(console)
    assert client.get("/console/static/console.css").status_code == 200
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_login_failure_then_success_then_logout(console, client_for):
    client = client_for(console)
    for username, password in (("agent1", "wrong-password"), ("nobody", PASSWORD)):
        failed = login(client, username, password)
        assert failed.status_code == 401 and "用户名或密码不正确" in failed.text
    ok = login(client, "agent1", next="/console/analytics")
    assert ok.status_code == 303 and ok.headers["location"] == "/console/analytics"
    cookie = ok.headers["set-cookie"]
    assert "daogou_console=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert client.get("/console").status_code == 200
    # The filter form as a browser submits it (empty date inputs) works too.
    assert client.get("/console?handoff=true&from=&to=&user=").status_code == 200
    assert client.get("/console/analytics?from=&to=").status_code == 200
    token = csrf_of(client)
    out = client.post("/console/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/console/api/conversations").status_code == 401


def test_login_never_redirects_off_the_console(console, client_for):
    client = client_for(console)
    for target in ("https://evil.example/", "//evil.example/console", "/api/chat"):
        assert login(client, "agent1", next=target).headers["location"] == "/console"


def test_disabled_staff_cannot_log_in_and_lose_their_session(console, client_for):
    client = client_for(console)
    login(client, "agent1")
    set_active(console.db_url, "agent1", False)
    assert client.get("/console/api/conversations").status_code == 401
    assert login(client, "agent1").status_code == 401


def test_state_changes_need_the_csrf_token(console, client_for):
    client = client_for(console)
    login(client, "agent1")
    body = {"sender_id": "s1", "text": "要黑色的", "intent": "refine_search", "entities": []}
    assert client.post("/console/api/annotations", json=body).status_code == 403
    assert client.post("/console/api/annotations", json=body,
                       headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/console/api/annotations", json=body,
                       headers={"X-CSRF-Token": csrf_of(client)}).status_code == 201


def test_only_admins_manage_staff(console, client_for):
    client = client_for(console)
    login(client, "agent1")
    assert client.get("/console/staff").status_code == 403
    assert "/console/staff" not in client.get("/console").text
    admin = client_for(console)
    login(admin, "boss")
    token = csrf_of(admin)
    made = admin.post("/console/staff", data={"csrf_token": token, "action": "add", "username": "新同事",
                                              "password": "long-enough-pw", "role": "agent"})
    assert made.status_code == 200 and "新同事" in made.text
    assert login(client_for(console), "新同事", "long-enough-pw").status_code == 303


def annotate(client: TestClient, **body):
    return client.post("/console/api/annotations", json=body, headers={"X-CSRF-Token": csrf_of(client)})


def test_annotations_are_validated_against_the_domain(console, client_for):
    client = client_for(console)
    login(client, "agent1")
    base = {"sender_id": "s1", "text": "有没有黑色的华为手机"}
    unknown_intent = annotate(client, **base, intent="buy_a_boat", entities=[])
    assert unknown_intent.status_code == 422 and "未知意图" in unknown_intent.json()["detail"]
    wrong_span = annotate(client, **base, intent="search_product",
                         entities=[{"start": 0, "end": 2, "entity": "color", "value": "黑色"}])
    assert wrong_span.status_code == 422
    unknown_entity = annotate(client, **base, intent="search_product",
                              entities=[{"start": 3, "end": 5, "entity": "flavour", "value": "黑色"}])
    assert unknown_entity.status_code == 422
    good = annotate(client, **base, intent="search_product",
                    entities=[{"start": 3, "end": 5, "entity": "color", "value": "黑色"},
                              {"start": 6, "end": 8, "entity": "brand", "value": "华为"}])
    assert good.status_code == 201
    listed = client.get("/console/api/annotations").json()["annotations"]
    assert [a["text"] for a in listed] == ["有没有黑色的华为手机"]
    assert "有没有黑色的华为手机" in client.get("/console/annotations").text


def test_markup_is_rasa_training_syntax():
    assert marked_up("有没有黑色的华为手机", [{"start": 6, "end": 8, "entity": "brand"},
                                          {"start": 3, "end": 5, "entity": "color"}]) == \
        "有没有[黑色](color)的[华为](brand)手机"


def test_export_round_trips_into_rasa_and_changes_the_training_fingerprint(console, client_for, tmp_path):
    client = client_for(console)
    login(client, "agent1")
    assert annotate(client, sender_id="s1", text="来个黑色的", intent="refine_search",
                    entities=[{"start": 2, "end": 4, "entity": "color", "value": "黑色"}]).status_code == 201
    assert annotate(client, sender_id="s2", text="人呢？我要找活人", intent="human_handoff",
                    entities=[]).status_code == 201
    out = tmp_path / "annotations.yml"
    assert export_annotations(console.db_url, out) == 2
    assert export_annotations(console.db_url, out) == 0  # merged, not duplicated
    script = ("import sys; from rasa.shared.nlu.training_data.loading import load_data; d = load_data(sys.argv[1]); "
              "print(sorted((m.get('text'), m.get('intent'), tuple((e['value'], e['entity']) for e in m.get('entities') or [])) for m in d.intent_examples))")
    loaded = subprocess.run([str(console.root / ".venv-rasa" / "bin" / "python"), "-c", script, str(out)],
                            capture_output=True, text=True, check=True).stdout
    assert "('人呢？我要找活人', 'human_handoff', ())" in loaded
    assert "('来个黑色的', 'refine_search', (('黑色', 'color'),))" in loaded
    exported = client.get("/console/api/annotations").json()["annotations"]
    assert all(a["exported_at"] for a in exported)
    # data/nlu/*.yml is part of the Rasa build fingerprint: an export there means a retrain.
    project = tmp_path / "project"
    for name in ("config.yml", "domain.yml"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(console.root / name, project / name)
    for folder in ("data", "rasa_addons"):
        shutil.copytree(console.root / folder, project / folder, ignore=shutil.ignore_patterns("catalog"))
    copy = console.model_copy(update={"root": project, "var_dir": console.root / "var"})
    before = rasa_inputs_fingerprint(copy)
    export_annotations(console.db_url, copy.path(DEFAULT_EXPORT))
    assert rasa_inputs_fingerprint(copy) != before
