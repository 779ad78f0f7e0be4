"""Teaching: staff correct a misunderstood message; corrections export as Rasa NLU YAML.

`shopbot nlu export-annotations` writes data/nlu/annotations.yml by default; data/nlu/*.yml
is part of the Rasa build fingerprint, so the next `shopbot train` learns from them.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.console.auth import Staff, console_db, csrf_protect, now, staff_api, staff_page
from bot.console.domain import intents_and_entities
from bot.console.templating import render
from bot.settings import Settings
from bot.web.deps import settings_dep
from store.db import migrate, session_scope
from store.models import Annotation

router = APIRouter(prefix="/console")
DEFAULT_EXPORT = Path("data/nlu/annotations.yml")


class EntitySpan(BaseModel):
    start: int = Field(ge=0)
    end: int = Field(gt=0)
    entity: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=500)


class AnnotationIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    event_timestamp: float | None = None
    text: str = Field(min_length=1, max_length=1000)
    intent: str = Field(min_length=1, max_length=64)
    entities: list[EntitySpan] = Field(default_factory=list, max_length=20)
    original_intent: str | None = Field(None, max_length=64)
    original_confidence: float | None = None


def validate(body: AnnotationIn, intents: list[str], entities: list[str]) -> None:
    """Known intent and entity names, and spans that cut exactly their value out of the text."""
    if body.intent not in intents:
        raise HTTPException(422, f"未知意图：{body.intent}")
    spans = sorted(body.entities, key=lambda e: e.start)
    for e in spans:
        if e.entity not in entities:
            raise HTTPException(422, f"未知实体类型：{e.entity}")
        if e.end > len(body.text) or body.text[e.start:e.end] != e.value:
            raise HTTPException(422, f"实体“{e.value}”与原句位置 {e.start}-{e.end} 不符")
    for a, b in zip(spans, spans[1:]):
        if b.start < a.end:
            raise HTTPException(422, "实体位置有重叠")


def as_dict(a: Annotation) -> dict:
    return {"id": a.id, "sender_id": a.sender_id, "event_timestamp": a.event_timestamp,
            "text": a.text, "intent": a.intent, "entities": a.entities,
            "original_intent": a.original_intent, "original_confidence": a.original_confidence,
            "staff": a.staff, "created_at": a.created_at.isoformat(),
            "exported_at": a.exported_at.isoformat() if a.exported_at else None}


@router.post("/api/annotations", status_code=201, dependencies=[Depends(csrf_protect)])
def create_annotation(body: AnnotationIn, staff: Staff = Depends(staff_api),
                      session: Session = Depends(console_db),
                      settings: Settings = Depends(settings_dep)) -> dict:
    validate(body, *intents_and_entities(settings.root / "domain.yml"))
    row = Annotation(sender_id=body.sender_id, event_timestamp=body.event_timestamp,
                     text=body.text, intent=body.intent,
                     entities=[e.model_dump() for e in sorted(body.entities, key=lambda e: e.start)],
                     original_intent=body.original_intent, original_confidence=body.original_confidence,
                     staff=staff.username, created_at=now())
    session.add(row)
    session.flush()
    return as_dict(row)


@router.get("/api/annotations")
def list_annotations(staff: Staff = Depends(staff_api), session: Session = Depends(console_db)) -> dict:
    rows = session.scalars(select(Annotation).order_by(Annotation.id.desc()).limit(1000)).all()
    return {"annotations": [as_dict(a) for a in rows]}


@router.delete("/api/annotations/{annotation_id}", dependencies=[Depends(csrf_protect)])
def delete_annotation(annotation_id: int, staff: Staff = Depends(staff_api),
                      session: Session = Depends(console_db)) -> dict:
    deleted = session.execute(delete(Annotation).where(Annotation.id == annotation_id)).rowcount
    if not deleted:
        raise HTTPException(404, "没有这条标注")
    return {"deleted": annotation_id}


@router.get("/annotations", include_in_schema=False, response_class=HTMLResponse)
def annotations_page(request: Request, staff: Staff = Depends(staff_page),
                     session: Session = Depends(console_db)) -> HTMLResponse:
    rows = session.scalars(select(Annotation).order_by(Annotation.id.desc()).limit(500)).all()
    return render(request, "annotations.html", staff, annotations=rows)


def marked_up(text: str, entities: list[dict]) -> str:
    """The message in Rasa's training syntax: 要[黑色](color)的."""
    out, cursor = [], 0
    for e in sorted(entities, key=lambda e: e["start"]):
        out += [text[cursor:e["start"]], f"[{text[e['start']:e['end']]}]({e['entity']})"]
        cursor = e["end"]
    out.append(text[cursor:])
    return "".join(out).replace("\n", " ").strip()


def _existing_examples(path: Path) -> dict[str, list[str]]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: dict[str, list[str]] = {}
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and "intent" in block:
            lines = [line.strip()[2:].strip() for line in str(block.get("examples") or "").splitlines()
                     if line.strip().startswith("- ")]
            examples.setdefault(block["intent"], []).extend(lines)
    return examples


def _yaml_block(intent: str, examples: list[str]) -> str:
    lines = "\n".join(f"      - {e}" for e in examples)
    return f"  - intent: {intent}\n    examples: |\n{lines}\n"


def export_annotations(db_url: str, path: Path) -> int:
    """Merge every annotation into the NLU YAML file at `path`; returns the new examples written."""
    migrate(db_url)
    examples = _existing_examples(path)
    added = 0
    with session_scope(db_url) as session:
        for a in session.scalars(select(Annotation).order_by(Annotation.id)):
            line = marked_up(a.text, a.entities or [])
            bucket = examples.setdefault(a.intent, [])
            if line and line not in bucket:
                bucket.append(line)
                added += 1
            a.exported_at = a.exported_at or now()
        body = "".join(_yaml_block(i, ex) for i, ex in sorted(examples.items()) if ex)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('# Corrections made by staff in the console (shopbot nlu export-annotations).\n'
                        f'version: "3.1"\nnlu:{chr(10) + body if body else " []" + chr(10)}', encoding="utf-8")
    return added
