"""GET /healthz: is every part of the chain up?"""
from __future__ import annotations

import httpx
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import Settings
from web.deps import db_session, settings_dep
from retrieval.index import IndexManifest

router = APIRouter()


async def _probe(url: str) -> dict:
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(url)
        return {"ok": response.status_code == 200, "status": response.status_code}
    except httpx.HTTPError as exc:
        return {"ok": False, "error": type(exc).__name__}


@router.get("/healthz")
async def healthz(settings: Settings = Depends(settings_dep),
                  session: Session = Depends(db_session)) -> JSONResponse:
    try:
        products = session.execute(text("SELECT COUNT(*) FROM products")).scalar_one()
        db = {"ok": products > 0, "products": products}
    except Exception as exc:  # any DB failure is a health finding, not a crash
        db = {"ok": False, "error": type(exc).__name__}
    manifest = IndexManifest.read(settings.index_dir)
    report = {
        "rasa": await _probe(f"{settings.rasa_url}/"),
        "action_server": await _probe(f"http://{settings.host}:{settings.action_port}/health"),
        "database": db,
        "index": {"ok": manifest is not None, **(manifest.__dict__ if manifest else {})},
    }
    healthy = all(part["ok"] for part in report.values())
    return JSONResponse({"ok": healthy, **report}, status_code=200 if healthy else 503)
