"""Jinja2 templates of the console, autoescaped whatever the file name: every shopper string is data."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from core.clock import SHOP_TIME, aware
from web.console.auth import Staff
from web.console.senders import sender_path

TEMPLATES = Path(__file__).parent / "templates"

templates = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                                                   autoescape=True))


def shop_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time (naive from SQLite) on the shop's clock; `{{ row.created_at | shoptime }}`."""
    if moment is None:
        return ""
    return aware(moment).astimezone(SHOP_TIME).strftime(fmt)


templates.env.filters["shoptime"] = shop_time
templates.env.filters["sender_path"] = sender_path  # `/console/conversations/{{ id | sender_path }}`


def render(request: Request, name: str, staff: Staff | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render a console page with `request`, the staff member and their CSRF token in its context."""
    context.update(staff=staff, csrf_token=staff.csrf_token if staff else "")
    return templates.TemplateResponse(request, name, context, status_code=status_code)
