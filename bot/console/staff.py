"""Login, logout and (for admins) the staff list."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.auth import (COOKIE, ROLES, Staff, add_staff, admin_page, authenticate,
                              close_session, console_db, csrf_protect, open_session, safe_next,
                              set_active)
from bot.console.templating import render
from bot.settings import Settings
from bot.web.deps import settings_dep
from store.models import StaffUser

router = APIRouter(prefix="/console")
LOGIN_FAILED = "用户名或密码不正确"


@router.get("/login", include_in_schema=False, response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", None, next=safe_next(next), error="")


@router.post("/login", include_in_schema=False)
def login(request: Request, username: str = Form("", max_length=64),
          password: str = Form("", max_length=256), next: str | None = Form(None),
          session: Session = Depends(console_db), settings: Settings = Depends(settings_dep)):
    user = authenticate(session, username, password)
    if user is None:
        return render(request, "login.html", None, status_code=401, next=safe_next(next),
                      error=LOGIN_FAILED, username=username)
    token = open_session(session, user, settings.console_session_hours)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", path="/console",
                        secure=settings.console_secure_cookies,
                        max_age=settings.console_session_hours * 3600)
    return response


@router.post("/logout", include_in_schema=False, dependencies=[Depends(csrf_protect)])
def logout(request: Request, session: Session = Depends(console_db)) -> RedirectResponse:
    close_session(session, request.cookies.get(COOKIE))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/staff", include_in_schema=False, response_class=HTMLResponse)
def staff_list(request: Request, staff: Staff = Depends(admin_page), error: str = "",
               session: Session = Depends(console_db)) -> HTMLResponse:
    users = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return render(request, "staff.html", staff, users=users, roles=ROLES, error=error[:200])


@router.post("/staff", include_in_schema=False, dependencies=[Depends(csrf_protect)])
def staff_change(request: Request, staff: Staff = Depends(admin_page),
                 username: str = Form(..., max_length=64), action: str = Form(...),
                 password: str = Form("", max_length=256), role: str = Form("agent"),
                 settings: Settings = Depends(settings_dep)):
    """Add an account (or reset its password) or enable/disable one."""
    try:
        if action == "add":
            add_staff(settings.db_url, username, password, role)
        elif action in ("enable", "disable"):
            if not set_active(settings.db_url, username, action == "enable"):
                raise ValueError("没有这个员工账号")
        else:
            raise ValueError("未知操作")
    except ValueError as exc:
        return RedirectResponse(f"/console/staff?error={quote(str(exc))}", status_code=303)
    return RedirectResponse("/console/staff", status_code=303)
