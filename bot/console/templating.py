"""Jinja2 templates of the console (autoescaped: every shopper string is data)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.console.auth import Staff

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(request: Request, name: str, staff: Staff | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render a console page with the staff member and their CSRF token in its context."""
    context.update(staff=staff, csrf_token=staff.csrf_token if staff else "")
    return templates.TemplateResponse(request, name, context, status_code=status_code)
