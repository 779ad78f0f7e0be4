"""Login (throttled: web/console/throttle.py), logout and (for admins) staff accounts: the page
and a JSON list."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from web.console.auth import (CONSOLE_DB, COOKIE, ROLES, Staff, add_staff, admin_api, admin_page,
                              authenticate, close_session, csrf_protect, current_staff, list_staff,
                              open_session, safe_next, set_active)
from web.console.templating import render
from web.console.throttle import locked_for, record_failure, too_many
from core.settings import Settings
from web.deps import settings_dep

router = APIRouter(prefix="/console")
LOGIN_FAILED = "用户名或密码不正确"


@router.get("/login", include_in_schema=False, response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None,
               staff: Staff | None = Depends(current_staff)) -> Response:
    """The login form; someone already logged in goes straight on."""
    if staff is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", None, next=safe_next(next), error="")


def _wants_json(request: Request) -> bool:
    """A script or API client (Accept: application/json, not HTML) gets JSON instead of the form."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _refused(request: Request, status: int, reason: str, next: str | None, username: str,
             headers: dict[str, str] | None = None) -> Response:
    """A login that did not succeed: the form again with the reason, or {"detail": reason}."""
    if _wants_json(request):
        return JSONResponse({"detail": reason}, status_code=status, headers=headers)
    page = render(request, "login.html", None, status_code=status, next=safe_next(next), error=reason,
                  username=username)
    page.headers.update(headers or {})
    return page


def _locked(request: Request, settings: Settings, username: str, next: str | None) -> Response | None:
    """429 with Retry-After while this account or IP has used up its failed attempts."""
    wait = locked_for(settings, request, username)
    if wait is None:
        return None
    return _refused(request, 429, too_many(wait), next, username, {"Retry-After": str(wait)})


@router.post("/login", include_in_schema=False)
def login(request: Request, username: str = Form("", max_length=64),
          password: str = Form("", max_length=256), next: str | None = Form(None),
          session: Session = CONSOLE_DB, settings: Settings = Depends(settings_dep)) -> Response:
    """Check the password; on success a fresh session cookie and a 303 to `next`. Failures are
    counted per account and per IP; once either has used them up, 429 (web/console/throttle.py)."""
    if (refused := _locked(request, settings, username, next)) is not None:
        return refused
    user = authenticate(session, username, password)
    if user is None:
        record_failure(settings, request, username)
        return _refused(request, 401, LOGIN_FAILED, next, username)
    # Checked again: failures of attempts running in parallel may have used the allowance up.
    if (refused := _locked(request, settings, username, next)) is not None:
        return refused
    close_session(session, request.cookies.get(COOKIE))
    token = open_session(session, user, settings.console_session_hours)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", path="/console",
                        secure=settings.console_secure_cookies,
                        max_age=settings.console_session_hours * 3600)
    return response


@router.post("/logout", include_in_schema=False, dependencies=[Depends(csrf_protect)])
def logout(request: Request, session: Session = CONSOLE_DB) -> RedirectResponse:
    """Delete the session row and the cookie."""
    close_session(session, request.cookies.get(COOKIE))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/staff", include_in_schema=False, response_class=HTMLResponse)
def staff_list(request: Request, staff: Staff = Depends(admin_page), error: str = "",
               session: Session = CONSOLE_DB) -> HTMLResponse:
    return render(request, "staff.html", staff, users=list_staff(session), roles=ROLES, error=error[:200])


@router.get("/api/staff")
def staff_api_list(staff: Staff = Depends(admin_api), session: Session = CONSOLE_DB) -> dict:
    """Every account as JSON (admins only)."""
    return {"staff": [{"username": u.username, "role": u.role, "active": u.active,
                       "created_at": u.created_at.isoformat()} for u in list_staff(session)]}


def change_staff(settings: Settings, staff: Staff, action: str, username: str, password: str,
                 role: str) -> None:
    """Apply one form action of the staff page; ValueError with a Chinese reason otherwise."""
    if action == "add":
        add_staff(settings.db_url, username, password, role)
    elif action in ("enable", "disable"):
        if action == "disable" and username == staff.username:
            raise ValueError("不能停用自己的账号")
        if not set_active(settings.db_url, username, action == "enable"):
            raise ValueError("没有这个员工账号")
    else:
        raise ValueError("未知操作")


@router.post("/staff", include_in_schema=False, dependencies=[Depends(csrf_protect)])
def staff_change(staff: Staff = Depends(admin_page), username: str = Form(..., max_length=64),
                 action: str = Form(...), password: str = Form("", max_length=256),
                 role: str = Form("agent"), settings: Settings = Depends(settings_dep)) -> RedirectResponse:
    """Add an account (or reset its password), or enable/disable one; back to the page."""
    try:
        change_staff(settings, staff, action, username, password, role)
    except ValueError as exc:
        return RedirectResponse(f"/console/staff?error={quote(str(exc))}", status_code=303)
    return RedirectResponse("/console/staff", status_code=303)
