"""Conversation review: the live list and each transcript (pages, and JSON the pages poll)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta, timezone

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from bot.console.auth import Staff, staff_api, staff_page
from bot.console.teach import annotation_labels
from bot.console.templating import render
from bot.console.tracker import Filters, Transcript, list_conversations, transcript
from bot.settings import Settings
from bot.web.deps import settings_dep

router = APIRouter(prefix="/console")
PAGE_SIZE = 50
SHANGHAI = timezone(timedelta(hours=8))  # the shop's clock for day boundaries
SENDER = Path(min_length=1, max_length=255)  # Rasa's sender_id column is VARCHAR(255)


def day_start(day: date | None) -> float | None:
    """The epoch time at which a day (shop time) starts."""
    return None if day is None else datetime.combine(day, time(), SHANGHAI).timestamp()


def parse_day(value: str) -> date | None:
    """A YYYY-MM-DD form field; empty (an untouched date input) or invalid means no limit."""
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "on", "yes")


def filters_dep(handoff: str = Query("", max_length=5), fallback: str = Query("", max_length=5),
                date_from: str = Query("", alias="from", max_length=10),
                date_to: str = Query("", alias="to", max_length=10),
                user: str = Query("", max_length=128), page: int = Query(1, ge=1, le=10_000)) -> Filters:
    """List filters from the query string (dates are whole days, shop time; bad dates are ignored)."""
    day_from, day_to = parse_day(date_from), parse_day(date_to)
    return Filters(handoff=_flag(handoff), fallback=_flag(fallback), since=day_start(day_from),
                   until=day_start(day_to + timedelta(days=1)) if day_to else None,
                   user=user.strip(), offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)


def _page_url(request: Request, page: int) -> str:
    return f"{request.url.path}?{request.url.include_query_params(page=page).query}"


@router.get("/api/conversations")
def conversations_api(filters: Filters = Depends(filters_dep), staff: Staff = Depends(staff_api),
                      settings: Settings = Depends(settings_dep)) -> dict:
    """The list as JSON: {total, page, page_size, conversations: [Summary]}."""
    rows, total = list_conversations(settings.tracker_db_url, filters)
    return {"total": total, "page": filters.offset // PAGE_SIZE + 1, "page_size": PAGE_SIZE,
            "conversations": [asdict(r) for r in rows]}


@router.get("", include_in_schema=False, response_class=HTMLResponse)
def conversations_page(request: Request, filters: Filters = Depends(filters_dep),
                       staff: Staff = Depends(staff_page),
                       settings: Settings = Depends(settings_dep)) -> HTMLResponse:
    rows, total = list_conversations(settings.tracker_db_url, filters)
    page, pages = filters.offset // PAGE_SIZE + 1, max(1, -(-total // PAGE_SIZE))
    return render(request, "conversations.html", staff, rows=rows, total=total, page=page, pages=pages,
                  prev_url=_page_url(request, page - 1) if page > 1 else "",
                  next_url=_page_url(request, page + 1) if page < pages else "",
                  query=request.url.query, params=request.query_params, filters=filters)


def _transcript_json(t: Transcript) -> dict:
    return {"sender_id": t.sender_id, "exists": t.exists, "cursor": t.cursor,
            "last_timestamp": t.last_timestamp, "handoff_requested": t.handoff_requested,
            "needs_agent": t.needs_agent, "paused": t.paused, "turns": [asdict(x) for x in t.turns]}


@router.get("/api/conversations/{sender_id}")
def conversation_api(sender_id: str = SENDER, since: float | None = Query(None, ge=0, le=1e11),
                     after: int | None = Query(None, ge=0), staff: Staff = Depends(staff_api),
                     settings: Settings = Depends(settings_dep)) -> dict:
    """A transcript as JSON; `since` (event timestamp) or `after` (the `cursor` returned last) to poll."""
    return _transcript_json(transcript(settings.tracker_db_url, sender_id, since, after))


@router.get("/conversations/{sender_id}", include_in_schema=False, response_class=HTMLResponse)
def conversation_page(request: Request, sender_id: str = SENDER, staff: Staff = Depends(staff_page),
                      settings: Settings = Depends(settings_dep)) -> HTMLResponse:
    conversation = transcript(settings.tracker_db_url, sender_id)
    intents, entities = annotation_labels(settings.root)
    return render(request, "conversation.html", staff, conversation=conversation, sender_id=sender_id,
                  turns=conversation.turns, paused=conversation.paused, intents=intents, entity_names=entities)
