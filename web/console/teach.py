"""Teaching: staff correct a misunderstood message; corrections export as Rasa NLU YAML.

`shopbot nlu export-annotations` writes data/nlu/annotations.yml by default; data/nlu/*.yml
is part of the Rasa build fingerprint, so the next `shopbot train` learns from them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from web.console.auth import CONSOLE_DB, Staff, csrf_protect, now, staff_api, staff_page
from web.console.domain import intents_and_entities
from web.console.templating import render
from core.settings import Settings
from web.deps import settings_dep
from store.db import migrate, session_scope
from store.models import Annotation

router = APIRouter(prefix="/console")
DEFAULT_EXPORT = Path("data/nlu/annotations.yml")
MAX_LISTED = 1000
HEADER = ("# Corrections made by staff in the staff console (`shopbot nlu export-annotations`).\n"
          "# Review them like any other training data; the next `shopbot train` uses them.\n")


# ---------------------------------------------------------------- what staff may label with


def _response_keys(path: Path) -> set[str]:
    """`faq/shipping` for every `utter_faq/shipping` response a YAML file defines."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    responses = data.get("responses") if isinstance(data, dict) else None
    return {name.removeprefix("utter_") for name in responses or {} if "/" in str(name)}


@lru_cache(maxsize=4)
def _labels(files: tuple[tuple[Path, float], ...]) -> tuple[list[str], list[str]]:
    """annotation_labels for (path, mtime) of domain.yml then the data files: re-read when one changes."""
    domain = files[0][0]
    intents, entities = intents_and_entities(domain)
    keys = set().union(*(_response_keys(path) for path, _ in files))
    retrieval = {key.split("/", 1)[0] for key in keys}
    return sorted([i for i in intents if i not in retrieval] + list(keys)), entities


def annotation_labels(root: Path) -> tuple[list[str], list[str]]:
    """(intents, entities) an annotation may use: domain.yml's, with each retrieval intent
    (faq) replaced by its full names (faq/shipping …) from the responses Rasa trains on."""
    files = [root / "domain.yml", *sorted((root / "data").rglob("*.yml"))]
    return _labels(tuple((path, path.stat().st_mtime) for path in files))


# ---------------------------------------------------------------- the API


class EntitySpan(BaseModel):
    start: int = Field(ge=0)
    end: int = Field(gt=0)
    entity: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=500)


class AnnotationIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    event_timestamp: float | None = Field(None, allow_inf_nan=False)
    text: str = Field(min_length=1, max_length=1000)
    intent: str = Field(min_length=1, max_length=64)
    entities: list[EntitySpan] = Field(default_factory=list, max_length=20)
    original_intent: str | None = Field(None, max_length=64)
    original_confidence: float | None = Field(None, ge=0, le=1)


ENTITIES_FORMAT = 'entities 应为 JSON 数组，如 [{"start": 2, "end": 4, "entity": "color", "value": "黑色"}]'


def _form_fields(form: Any) -> dict[str, Any]:
    """A form post as AnnotationIn's fields: `entities` is a JSON array; empty fields are absent."""
    fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and v != ""}
    fields.pop("csrf_token", None)
    try:
        fields["entities"] = json.loads(fields.get("entities", "[]"))
    except json.JSONDecodeError:
        raise HTTPException(422, ENTITIES_FORMAT) from None
    return fields


def _invalid(exc: ValueError | RecursionError) -> RequestValidationError:
    """A body that is not JSON (or nested absurdly deep) or does not fit AnnotationIn, as FastAPI's own 422."""
    if isinstance(exc, ValidationError):
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
    else:
        errors = [{"loc": ("body",), "msg": "不是合法的 JSON", "type": "json_invalid"}]
    return RequestValidationError(errors)


async def annotation_body(request: Request) -> AnnotationIn:
    """The request body, JSON (`application/json`) or a form post; 422 when malformed, 415 otherwise."""
    kind = request.headers.get("content-type", "")
    try:
        if kind.startswith("application/json"):
            data = await request.json()
        elif kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            data = _form_fields(await request.form())
        else:
            raise HTTPException(415, "请以 JSON 或表单提交")
        return AnnotationIn.model_validate(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, ValidationError
        raise _invalid(exc) from None


def validate(body: AnnotationIn, intents: list[str], entities: list[str]) -> None:
    """Known intent and entity names, and non-overlapping spans that cut exactly their value out of the text."""
    if body.intent not in intents:
        hint = "（FAQ 请选具体类别，如 faq/shipping）" if any(i.startswith(body.intent + "/") for i in intents) else ""
        raise HTTPException(422, f"未知意图：{body.intent}{hint}")
    spans = sorted(body.entities, key=lambda e: e.start)
    for e in spans:
        if e.entity not in entities:
            raise HTTPException(422, f"未知实体类型：{e.entity}")
        if e.end > len(body.text) or body.text[e.start:e.end] != e.value:
            raise HTTPException(422, f"实体“{e.value}”与原句位置 {e.start}-{e.end} 不符")
        if not e.value.strip() or e.value != e.value.strip():
            raise HTTPException(422, f"实体“{e.value}”不能为空白，前后也不能有空格")
    for a, b in zip(spans, spans[1:]):
        if b.start < a.end:
            raise HTTPException(422, "实体位置有重叠")


def as_dict(a: Annotation) -> dict:
    return {"id": a.id, "sender_id": a.sender_id, "event_timestamp": a.event_timestamp,
            "text": a.text, "intent": a.intent, "entities": a.entities,
            "original_intent": a.original_intent, "original_confidence": a.original_confidence,
            "staff": a.staff, "created_at": a.created_at.isoformat(),
            "exported_at": a.exported_at.isoformat() if a.exported_at else None}


def _query(sender_id: str | None, exported: bool | None):
    """Annotations newest first, optionally of one conversation and/or by export state."""
    query = select(Annotation).order_by(Annotation.id.desc())
    if sender_id:
        query = query.where(Annotation.sender_id == sender_id)
    if exported is not None:
        query = query.where(Annotation.exported_at.is_not(None) if exported else Annotation.exported_at.is_(None))
    return query.limit(MAX_LISTED)


@router.post("/api/annotations", status_code=201, dependencies=[Depends(csrf_protect)])
def create_annotation(body: AnnotationIn = Depends(annotation_body), staff: Staff = Depends(staff_api),
                      session: Session = CONSOLE_DB,
                      settings: Settings = Depends(settings_dep)) -> dict:
    """Store one correction (the intent and entities the message should have had)."""
    validate(body, *annotation_labels(settings.root))
    row = Annotation(sender_id=body.sender_id, event_timestamp=body.event_timestamp,
                     text=body.text, intent=body.intent,
                     entities=[e.model_dump() for e in sorted(body.entities, key=lambda e: e.start)],
                     original_intent=body.original_intent, original_confidence=body.original_confidence,
                     staff=staff.username, created_at=now())
    session.add(row)
    session.flush()
    return as_dict(row)


@router.get("/api/annotations")
def list_annotations(sender_id: str | None = None, exported: bool | None = None,
                     staff: Staff = Depends(staff_api), session: Session = CONSOLE_DB) -> dict:
    return {"annotations": [as_dict(a) for a in session.scalars(_query(sender_id, exported))]}


@router.delete("/api/annotations/{annotation_id}", dependencies=[Depends(csrf_protect)])
def delete_annotation(annotation_id: int, staff: Staff = Depends(staff_api),
                      session: Session = CONSOLE_DB) -> dict:
    """Forget a correction (one already exported stays in the YAML file until edited out)."""
    if not session.execute(delete(Annotation).where(Annotation.id == annotation_id)).rowcount:
        raise HTTPException(404, "没有这条标注")
    return {"deleted": annotation_id}


@router.get("/annotations", include_in_schema=False, response_class=HTMLResponse)
def annotations_page(request: Request, exported: bool | None = None, staff: Staff = Depends(staff_page),
                     session: Session = CONSOLE_DB) -> HTMLResponse:
    rows = session.scalars(_query(None, exported)).all()
    return render(request, "annotations.html", staff, annotations=rows, exported=exported,
                  export_path=str(DEFAULT_EXPORT))


# ---------------------------------------------------------------- export to Rasa NLU YAML

# Characters YAML cannot hold (it allows tab, newline, printable Unicode); whitespace runs,
# including Unicode line separators that would split an example, become one space.
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MARKUP = re.compile(r"\[([^\]]+)\]\([^)]*\)")
# ASCII brackets are Rasa's entity syntax; in a shopper's own words they become full-width.
_BRACKETS = str.maketrans({"[": "［", "]": "］"})


def _plain(text: str) -> str:
    """A piece of the message safe inside a Rasa training example line."""
    return _NOT_YAML.sub("", re.sub(r"\s+", " ", text)).translate(_BRACKETS)


def marked_up(text: str, entities: list[dict]) -> str:
    """The message in Rasa's training syntax: 要[黑色](color)的."""
    out, cursor = [], 0
    for e in sorted(entities, key=lambda e: e["start"]):
        out += [_plain(text[cursor:e["start"]]), f"[{_plain(text[e['start']:e['end']])}]({e['entity']})"]
        cursor = e["end"]
    out.append(_plain(text[cursor:]))
    return "".join(out).strip()


def plain_text(example: str) -> str:
    """A training example without its entity markup."""
    return _MARKUP.sub(r"\1", example)


@dataclass
class NluFile:
    """An NLU YAML file: examples per intent (the blocks we manage) and every other block as read."""
    examples: dict[str, list[str]] = field(default_factory=dict)
    other: list[dict] = field(default_factory=list)

    def place(self, intent: str, example: str) -> bool:
        """Put `example` under `intent`, taking its text away from any other intent; False if already there."""
        if example in self.examples.get(intent, []):
            return False
        text = plain_text(example)
        for lines in self.examples.values():
            lines[:] = [line for line in lines if plain_text(line) != text]
        self.examples.setdefault(intent, []).append(example)
        return True


def read_nlu(path: Path) -> NluFile:
    """Parse an existing NLU file; blocks other than plain `intent` + `examples: |` are kept as they are."""
    nlu = NluFile()
    if not path.exists():
        return nlu
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("nlu") or [], list):
        raise ValueError(f"{path} 不是 Rasa NLU 训练数据文件")
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and set(block) == {"intent", "examples"} and isinstance(block["examples"], str):
            lines = [line.strip()[1:].strip() for line in block["examples"].splitlines()
                     if line.strip().startswith("-")]
            nlu.examples.setdefault(str(block["intent"]), []).extend(line for line in lines if line)
        else:
            nlu.other.append(block)
    return nlu


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (lookup and synonym examples) as `|` blocks, like hand-written files."""


_BlockDumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def nlu_yaml(nlu: NluFile) -> str:
    """The file's text: Rasa 3.x NLU YAML, intents sorted, each example on its own `- ` line."""
    parts = [HEADER, 'version: "3.1"\n', "nlu:\n"]
    for intent, lines in sorted(nlu.examples.items()):
        if lines:
            parts.append(f"  - intent: {intent}\n    examples: |\n" + "".join(f"      - {e}\n" for e in lines))
    if nlu.other:
        dumped = yaml.dump(nlu.other, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False)
        parts.append("".join(f"  {line}\n" for line in dumped.splitlines()))
    if len(parts) == 3:
        parts[-1] = "nlu: []\n"
    return "".join(parts)


def export_annotations(db_url: str, path: Path) -> int:
    """Merge every annotation into the NLU YAML file at `path` (the latest correction of a message
    wins, nothing is duplicated) and mark them exported; returns the examples added or moved."""
    migrate(db_url)
    nlu = read_nlu(path)
    with session_scope(db_url) as session:
        rows = session.scalars(select(Annotation).order_by(Annotation.id)).all()
        latest = {}
        for a in rows:
            example = marked_up(a.text, a.entities or [])
            if example:
                latest[plain_text(example)] = (a.intent, example)
        changed = sum(nlu.place(intent, example) for intent, example in latest.values())
        if changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(nlu_yaml(nlu), encoding="utf-8")
        for a in rows:
            a.exported_at = a.exported_at or now()
    return changed
