"""Conversation review: the live list and each transcript (pages, and JSON the pages poll)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from web.console.auth import Staff, staff_api, staff_page
from web.console.dates import DateError, day_param, day_range, day_start, parse_timestamp, unprocessable
from web.console.senders import RASA_CANNOT, SENDER, rasa_addressable
from web.console.teach import annotation_labels
from web.console.templating import render
from web.console.tracker import Filters, Summary, Transcript, list_conversations, transcript
from core.settings import Settings
from web.deps import settings_dep

router = APIRouter(prefix="/console")
PAGE_SIZE = 50
MAX_CURSOR = 2**63 - 1  # event ids are 64-bit at most; larger would overflow the database driver


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "on", "yes")


@dataclass(frozen=True)
class ListQuery:
    """The list's query string as sent; its dates are parsed by `to_filters`."""
    handoff: bool = False
    fallback: bool = False
    date_from: str = ""
    date_to: str = ""
    user: str = ""
    page: int = 1


def list_query(handoff: str = Query("", max_length=5), fallback: str = Query("", max_length=5),
               date_from: str = day_param("from"), date_to: str = day_param("to"),
               user: str = Query("", max_length=128), page: int = Query(1, ge=1, le=10_000)) -> ListQuery:
    """The list filters of the query string (`from` / `to`: YYYY-MM-DD, whole days, shop time)."""
    return ListQuery(_flag(handoff), _flag(fallback), date_from, date_to, user.strip(), page)


def to_filters(query: ListQuery) -> Filters:
    """The tracker query for these filters; DateError for a bad date or a reversed range."""
    day_from, day_to = day_range(query.date_from, query.date_to)
    return Filters(handoff=query.handoff, fallback=query.fallback, since=day_start(day_from),
                   until=day_start(day_to + timedelta(days=1)) if day_to else None,
                   user=query.user, offset=(query.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)


def filters_dep(query: ListQuery = Depends(list_query)) -> Filters:
    """The list filters for JSON: 422 with the reason for a bad date or range."""
    try:
        return to_filters(query)
    except DateError as exc:
        raise unprocessable(exc) from None


def _page_url(request: Request, page: int) -> str:
    return f"{request.url.path}?{request.url.include_query_params(page=page).query}"


@router.get("/api/conversations")
def conversations_api(staff: Staff = Depends(staff_api), filters: Filters = Depends(filters_dep),
                      settings: Settings = Depends(settings_dep)) -> dict:
    """The list as JSON: {total, page, page_size, conversations: [Summary]}."""
    rows, total = list_conversations(settings.tracker_db_url, filters)
    return {"total": total, "page": filters.offset // PAGE_SIZE + 1, "page_size": PAGE_SIZE,
            "conversations": [asdict(r) for r in rows]}


def _list_page(request: Request, staff: Staff, filters: Filters, rows: list[Summary], total: int,
               error: str = "") -> HTMLResponse:
    """The list page; with an `error` (a bad date) the filter form and the reason only, as a 422."""
    page, pages = filters.offset // PAGE_SIZE + 1, max(1, -(-total // PAGE_SIZE))
    return render(request, "conversations.html", staff, status_code=422 if error else 200, rows=rows,
                  total=total, page=page, pages=pages, error=error,
                  prev_url=_page_url(request, page - 1) if page > 1 else "",
                  next_url=_page_url(request, page + 1) if page < pages else "",
                  query=request.url.query, params=request.query_params, filters=filters)


@router.get("", include_in_schema=False, response_class=HTMLResponse)
def conversations_page(request: Request, query: ListQuery = Depends(list_query),
                       staff: Staff = Depends(staff_page),
                       settings: Settings = Depends(settings_dep)) -> HTMLResponse:
    try:
        filters = to_filters(query)
    except DateError as exc:
        return _list_page(request, staff, Filters(query.handoff, query.fallback), [], 0, str(exc))
    return _list_page(request, staff, filters, *list_conversations(settings.tracker_db_url, filters))


def _transcript_json(t: Transcript) -> dict:
    return {"sender_id": t.sender_id, "exists": t.exists, "cursor": t.cursor,
            "last_timestamp": t.last_timestamp, "handoff_requested": t.handoff_requested,
            "needs_agent": t.needs_agent, "paused": t.paused, "turns": [asdict(x) for x in t.turns]}


def since_dep(since: str | None = Query(None, max_length=64)) -> float | None:
    """The transcript API's `since` (epoch seconds): 422 with the reason when it is not one."""
    try:
        return parse_timestamp(since, "since")
    except DateError as exc:
        raise unprocessable(exc) from None


@router.get("/api/conversations/{sender_id:path}")
def conversation_api(sender_id: str = SENDER, staff: Staff = Depends(staff_api),
                     since: float | None = Depends(since_dep), after: int | None = Query(None, ge=0, le=MAX_CURSOR),
                     settings: Settings = Depends(settings_dep)) -> dict:
    """A transcript as JSON; `since` (event timestamp) or `after` (the `cursor` returned last) to poll."""
    return _transcript_json(transcript(settings.tracker_db_url, sender_id, since, after))


@router.get("/conversations/{sender_id:path}", include_in_schema=False, response_class=HTMLResponse)
def conversation_page(request: Request, sender_id: str = SENDER, staff: Staff = Depends(staff_page),
                      settings: Settings = Depends(settings_dep)) -> HTMLResponse:
    """A transcript (any sender id: the path after /conversations/, percent-decoded)."""
    conversation = transcript(settings.tracker_db_url, sender_id)
    intents, entities = annotation_labels(settings.root)
    return render(request, "conversation.html", staff, conversation=conversation, sender_id=sender_id,
                  turns=conversation.turns, paused=conversation.paused, intents=intents, entity_names=entities,
                  handoff_possible=rasa_addressable(sender_id), rasa_cannot=RASA_CANNOT)
