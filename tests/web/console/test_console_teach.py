"""Teaching: the annotations API and page, and their export to Rasa NLU YAML — read back by
Rasa's own loader (from .venv-rasa) and counted by the Rasa build fingerprint."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.build import rasa_inputs_fingerprint
from web.console.teach import DEFAULT_EXPORT, annotation_labels, export_annotations, marked_up
from core.settings import Settings
from tests.web.console.test_console_auth import console, csrf_of, logged_in, shopbot  # noqa: F401 (fixture)

BLACK = {"start": 3, "end": 5, "entity": "color", "value": "黑色"}
HUAWEI = {"start": 6, "end": 8, "entity": "brand", "value": "华为"}
PHONE = "有没有黑色的华为手机"


@pytest.fixture
def agent(console, client_for) -> TestClient:
    return logged_in(client_for, console)


def annotate(client: TestClient, text: str = PHONE, intent: str = "search_product",
             entities: list[dict] | None = None, sender_id: str = "s1", **extra):
    body = {"sender_id": sender_id, "event_timestamp": 1764300000.25, "text": text, "intent": intent,
            "entities": entities or [], **extra}
    return client.post("/console/api/annotations", json=body, headers={"X-CSRF-Token": csrf_of(client)})


def detail(reply) -> str:
    return reply.json()["detail"]


# ---------------------------------------------------------------- the API


def test_labels_are_the_domains_with_faq_spelled_out(console):
    intents, entities = annotation_labels(console.root)
    assert {"search_product", "refine_search", "human_handoff", "faq/shipping", "faq/returns"} <= set(intents)
    assert "faq" not in intents
    assert {"color", "brand", "category"} <= set(entities)


def test_a_good_annotation_is_stored_as_sent(agent):
    made = annotate(agent, entities=[HUAWEI, BLACK], original_intent="out_of_scope", original_confidence=0.41)
    assert made.status_code == 201, made.text
    row = made.json()
    assert {k: row[k] for k in ("sender_id", "event_timestamp", "text", "intent", "original_intent",
                                "original_confidence", "staff", "exported_at")} == {
        "sender_id": "s1", "event_timestamp": 1764300000.25, "text": PHONE, "intent": "search_product",
        "original_intent": "out_of_scope", "original_confidence": 0.41, "staff": "agent1", "exported_at": None}
    assert row["entities"] == [BLACK, HUAWEI]  # sorted by position
    assert annotate(agent, "包邮吗", "faq/shipping").status_code == 201


@pytest.mark.parametrize(("intent", "entities", "reason"), [
    ("buy_a_boat", [], "未知意图：buy_a_boat"),
    ("faq", [], "FAQ 请选具体类别"),
    ("search_product", [{**BLACK, "entity": "flavour"}], "未知实体类型：flavour"),
    ("search_product", [{**BLACK, "start": 0, "end": 2}], "与原句位置 0-2 不符"),
    ("search_product", [{**BLACK, "start": 9, "end": 11}], "与原句位置 9-11 不符"),
    ("search_product", [BLACK, {"start": 4, "end": 6, "entity": "brand", "value": "色的"}], "实体位置有重叠"),
])
def test_bad_annotations_get_a_422_in_chinese(agent, intent, entities, reason):
    reply = annotate(agent, intent=intent, entities=entities)
    assert reply.status_code == 422 and reason in detail(reply)


def test_whitespace_around_an_entity_is_refused(agent):
    reply = annotate(agent, "要 黑色 的", "refine_search", [{"start": 1, "end": 4, "entity": "color", "value": " 黑色"}])
    assert reply.status_code == 422 and "前后也不能有空格" in detail(reply)


def test_malformed_bodies_are_refused(agent):
    token = {"X-CSRF-Token": csrf_of(agent)}
    missing = agent.post("/console/api/annotations", json={"sender_id": "s1", "intent": "greet"}, headers=token)
    assert missing.status_code == 422 and "text" in detail(missing)
    broken = agent.post("/console/api/annotations", content=b"{not json",
                        headers={**token, "Content-Type": "application/json"})
    assert broken.status_code == 422
    plain = agent.post("/console/api/annotations", content="你好", headers={**token, "Content-Type": "text/plain"})
    assert plain.status_code == 415
    for hostile in (b"[" * 5000 + b"]" * 5000, b"\xff\xfe\x00", b"null", b"[]", b'{"text": 1, "entities": {}}',
                    b'{"sender_id": "s", "text": "t", "intent": "greet", "entities": [{"start": "x"}]}'):
        reply = agent.post("/console/api/annotations", content=hostile,
                           headers={**token, "Content-Type": "application/json"})
        assert reply.status_code == 422 and reply.json()["detail"], hostile[:20]


def test_a_form_post_works_too(agent):
    form = {"csrf_token": csrf_of(agent), "sender_id": "s2", "event_timestamp": "1764300001.5", "text": PHONE,
            "intent": "search_product", "entities": json.dumps([BLACK]), "original_intent": ""}
    made = agent.post("/console/api/annotations", data=form)
    assert made.status_code == 201, made.text
    assert made.json()["entities"] == [BLACK] and made.json()["original_intent"] is None
    bad = agent.post("/console/api/annotations", data={**form, "entities": "黑色:color"})
    assert bad.status_code == 422 and "JSON 数组" in detail(bad)
    assert agent.post("/console/api/annotations", data={**form, "csrf_token": "forged"}).status_code == 403


def test_list_filter_page_and_delete(agent):
    first = annotate(agent, sender_id="a").json()
    annotate(agent, "<script>alert(1)</script>人呢", "human_handoff", sender_id="b")
    listed = agent.get("/console/api/annotations").json()["annotations"]
    assert [a["sender_id"] for a in listed] == ["b", "a"]  # newest first
    assert [a["id"] for a in agent.get("/console/api/annotations?sender_id=a").json()["annotations"]] == [first["id"]]
    assert len(agent.get("/console/api/annotations?exported=false").json()["annotations"]) == 2
    assert agent.get("/console/api/annotations?exported=true").json()["annotations"] == []
    page = agent.get("/console/annotations").text
    assert PHONE in page and "&lt;script&gt;alert(1)&lt;/script&gt;人呢" in page and "<script>alert" not in page
    assert f'data-delete="/console/api/annotations/{first["id"]}"' in page
    url = f"/console/api/annotations/{first['id']}"
    assert agent.delete(url).status_code == 403  # no CSRF token
    token = {"X-CSRF-Token": csrf_of(agent)}
    assert agent.delete(url, headers=token).json() == {"deleted": first["id"]}
    assert agent.delete(url, headers=token).status_code == 404
    assert [a["sender_id"] for a in agent.get("/console/api/annotations").json()["annotations"]] == ["b"]


# ---------------------------------------------------------------- export


def test_markup_is_rasa_training_syntax():
    assert marked_up(PHONE, [HUAWEI, BLACK]) == "有没有[黑色](color)的[华为](brand)手机"
    # ASCII brackets would be read as entity markup; line breaks would split the example.
    assert marked_up("[黑色](color)\n那款\u2028还有吗\x07", []) == "［黑色］(color) 那款 还有吗"


def rasa_reads(path: Path, settings: Settings) -> dict:
    """What Rasa's own loader (in .venv-rasa) makes of an NLU file; any Rasa warning is an error."""
    script = ("import json, sys, warnings\n"
              "from rasa.shared.nlu.training_data.loading import load_data\n"
              "warnings.simplefilter('error', UserWarning)\n"
              "data = load_data(sys.argv[1])\n"
              "print(json.dumps({'examples': sorted([m.get('text'), m.get_full_intent(), "
              "[[e['value'], e['entity']] for e in m.get('entities') or []]] for m in data.intent_examples), "
              "'synonyms': data.entity_synonyms}, ensure_ascii=False))")
    done = subprocess.run([settings.rasa_bin("python"), "-c", script, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_rasa_check_catches_a_bad_file(console, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text('version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      - 你好\n      没有横线\n',
                   encoding="utf-8")
    with pytest.raises(AssertionError):
        rasa_reads(bad, console)


EXISTING = '''version: "3.1"
nlu:
  - intent: greet
    examples: |
      - 你好呀
  - intent: out_of_scope
    examples: |
      - 来个黑色的
  - synonym: 黑色
    examples: |
      - 黑的
      - 墨黑
'''


def test_export_merges_into_yaml_that_rasa_reads(console, agent, tmp_path):
    annotate(agent, "来个黑色的", "search_product", [{"start": 2, "end": 4, "entity": "color", "value": "黑色"}])
    annotate(agent, "来个黑色的", "refine_search", [{"start": 2, "end": 4, "entity": "color", "value": "黑色"}])
    annotate(agent, "人呢？我要找[活人]\n快点", "human_handoff")
    annotate(agent, "包邮吗", "faq/shipping")
    annotate(agent, "你好呀", "greet")  # already in the file
    out = tmp_path / "annotations.yml"
    out.write_text(EXISTING, encoding="utf-8")

    assert export_annotations(console.db_url, out) == 3
    assert rasa_reads(out, console) == {
        "examples": sorted([["你好呀", "greet", []],
                            ["来个黑色的", "refine_search", [["黑色", "color"]]],  # the latest correction wins
                            ["人呢？我要找［活人］ 快点", "human_handoff", []],
                            ["包邮吗", "faq/shipping", []]]),
        "synonyms": {"黑的": "黑色", "墨黑": "黑色"}}
    assert "- 来个[黑色](color)的" in out.read_text(encoding="utf-8")
    assert all(a["exported_at"] for a in agent.get("/console/api/annotations").json()["annotations"])

    before = out.read_bytes()
    assert export_annotations(console.db_url, out) == 0  # nothing new: the file is left alone
    assert out.read_bytes() == before


def test_the_cli_exports_and_an_export_into_data_nlu_means_a_retrain(console, agent, tmp_path):
    """data/nlu/*.yml is in the Rasa build fingerprint, so `shopbot train` retrains after an export
    (checked on a copy of the project's Rasa inputs; nothing is trained)."""
    project = tmp_path / "project"
    for name in ("config.yml", "domain.yml"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(console.root / name, project / name)
    for folder in ("data", "rasa_plugins/nlu", "core"):
        shutil.copytree(console.root / folder, project / folder,
                        ignore=shutil.ignore_patterns("catalog", "eval", "annotations.yml", "__pycache__"))
    copy = console.model_copy(update={"root": project, "var_dir": console.var})
    before = rasa_inputs_fingerprint(copy)
    assert export_annotations(console.db_url, copy.path(DEFAULT_EXPORT)) == 0
    assert rasa_inputs_fingerprint(copy) == before  # no annotations: no file, no retrain

    annotate(agent, "有白的吗", "refine_search", [{"start": 1, "end": 2, "entity": "color", "value": "白"}])
    done = shopbot(console, "nlu", "export-annotations", "--out", str(copy.path(DEFAULT_EXPORT)))
    assert done.returncode == 0 and "1 条例句新增或更新" in done.stdout, done.stderr
    after = rasa_inputs_fingerprint(copy)
    assert after != before
    assert "- 有[白](color)的吗" in copy.path(DEFAULT_EXPORT).read_text(encoding="utf-8")
    assert shopbot(console, "nlu", "export-annotations", "--out", str(copy.path(DEFAULT_EXPORT))).returncode == 0
    assert rasa_inputs_fingerprint(copy) == after  # exporting again changes nothing
