"""Conversation review: the live list and each transcript (pages + JSON for polling)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta, timezone

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from bot.console.auth import Staff, staff_api, staff_page
from bot.console.teach import annotation_labels
from bot.console.templating import render
from bot.console.tracker import Filters, is_paused, list_conversations, transcript
from bot.settings import Settings
from bot.web.deps import settings_dep

router = APIRouter(prefix="/console")
PAGE_SIZE = 50
SHANGHAI = timezone(timedelta(hours=8))  # the shop's clock for day boundaries


def day_start(day: date | None) -> float | None:
    return None if day is None else datetime.combine(day, time(), SHANGHAI).timestamp()


def parse_day(value: str) -> date | None:
    """A YYYY-MM-DD form field; empty (an untouched date input) or invalid means no limit."""
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def filters_dep(handoff: bool = False, fallback: bool = False, date_from: str = Query("", alias="from", max_length=10),
                date_to: str = Query("", alias="to", max_length=10), user: str = Query("", max_length=128),
                page: int = Query(1, ge=1, le=10_000)) -> Filters:
    """List filters from the query string (dates are whole days, shop time)."""
    date_from, date_to = parse_day(date_from), parse_day(date_to)
    until = day_start(date_to + timedelta(days=1)) if date_to else None
    return Filters(handoff=handoff, fallback=fallback, since=day_start(date_from), until=until,
                   user=user.strip(), offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)


@router.get("/api/conversations")
def conversations_api(filters: Filters = Depends(filters_dep), staff: Staff = Depends(staff_api),
                      settings: Settings = Depends(settings_dep)) -> dict:
    rows, total = list_conversations(settings.tracker_db_url, filters)
    return {"total": total, "page_size": PAGE_SIZE, "conversations": [asdict(r) for r in rows]}


@router.get("", include_in_schema=False, response_class=HTMLResponse)
def conversations_page(request: Request, filters: Filters = Depends(filters_dep),
                       staff: Staff = Depends(staff_page),
                       settings: Settings = Depends(settings_dep)) -> HTMLResponse:
    rows, total = list_conversations(settings.tracker_db_url, filters)
    page, pages = filters.offset // PAGE_SIZE + 1, max(1, -(-total // PAGE_SIZE))
    link = lambda n: str(request.url.include_query_params(page=n).path) + "?" + request.url.include_query_params(page=n).query
    return render(request, "conversations.html", staff, rows=rows, total=total, page=page,
                  pages=pages, prev_url=link(page - 1) if page > 1 else "",
                  next_url=link(page + 1) if page < pages else "",
                  query=request.url.remove_query_params("page").query, params=request.query_params)


@router.get("/api/conversations/{sender_id}")
def conversation_api(sender_id: str, since: float | None = None, staff: Staff = Depends(staff_api),
                     settings: Settings = Depends(settings_dep)) -> dict:
    url = settings.tracker_db_url
    return {"sender_id": sender_id, "paused": is_paused(url, sender_id),
            "turns": [asdict(t) for t in transcript(url, sender_id, since)]}


@router.get("/conversations/{sender_id}", include_in_schema=False, response_class=HTMLResponse)
def conversation_page(request: Request, sender_id: str, staff: Staff = Depends(staff_page),
                      settings: Settings = Depends(settings_dep)) -> HTMLResponse:
    url = settings.tracker_db_url
    turns = transcript(url, sender_id)
    intents, entities = annotation_labels(settings.root)
    return render(request, "conversation.html", staff, sender_id=sender_id, turns=turns,
                  paused=is_paused(url, sender_id), intents=intents, entities=entities,
                  last_timestamp=max((t.timestamp for t in turns), default=0.0))
