"""Staff accounts and console sessions: argon2 passwords, cookie sessions, CSRF tokens.

Pages that need a login redirect (303) to /console/login; JSON APIs under /console/api/ answer
401. Every state-changing request also needs the session's CSRF token (form field or header).
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.clock import aware
from core.settings import Settings
from web.deps import db_session, settings_dep
from store.db import migrate, session_scope
from store.models import StaffSession, StaffUser

COOKIE = "daogou_console"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
API_PREFIX = "/console/api/"
ROLES = ("agent", "admin")
MIN_PASSWORD = 8
LOGIN_REQUIRED = "请先登录"
ADMIN_REQUIRED = "需要管理员权限"
CSRF_FAILED = "请求已过期，请刷新页面后重试"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures cost one argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member as routes see them (a detached snapshot of `StaffUser`)."""
    id: int
    username: str
    role: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginRequired(Exception):
    """Raised by page dependencies; web/app.py turns it into a 303 to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def now() -> datetime:
    return datetime.now(timezone.utc)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def console_db(settings: Settings = Depends(settings_dep)) -> Iterator[Session]:
    """`web.deps.db_session` on a database migrated to the console's tables (once per URL)."""
    migrate(settings.db_url)
    yield from db_session(settings)


# Console routes take their session as CONSOLE_DB: committed before the response goes out. With
# FastAPI's default ("request") scope the commit ran after it, so a browser following the login
# redirect, or a script reading back what it just saved, could arrive before the write.
CONSOLE_DB: Any = Depends(console_db, scope="function")


# ---------------------------------------------------------------- accounts


def add_staff(db_url: str, username: str, password: str, role: str = "agent") -> None:
    """Create a staff account (or reset its password and role, re-enabling it); ValueError on bad input."""
    username = username.strip()
    if not username or len(username) > 64:
        raise ValueError("用户名不能为空，且不超过 64 个字符")
    if role not in ROLES:
        raise ValueError(f"角色只能是 {' / '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少 {MIN_PASSWORD} 位")
    migrate(db_url)
    with session_scope(db_url) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            user = StaffUser(username=username, created_at=now())
            session.add(user)
        user.password_hash = _hasher.hash(password)
        user.role = role
        user.active = True


def set_active(db_url: str, username: str, active: bool) -> bool:
    """Enable or disable an account; disabling also ends its sessions. False if unknown."""
    migrate(db_url)
    with session_scope(db_url) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            return False
        user.active = active
        if not active:
            session.execute(delete(StaffSession).where(StaffSession.staff_id == user.id))
        return True


def list_staff(session: Session) -> Sequence[StaffUser]:
    """Every account, by username."""
    return session.scalars(select(StaffUser).order_by(StaffUser.username)).all()


# ---------------------------------------------------------------- sessions


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active account with this password, or None; an unknown user costs the same time."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def open_session(session: Session, user: StaffUser, hours: int) -> str:
    """Store a new login (dropping expired ones) and return the cookie token; only its hash is kept."""
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now()))
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=_token_hash(token), staff_id=user.id,
                             csrf_token=secrets.token_urlsafe(32), created_at=now(),
                             expires_at=now() + timedelta(hours=hours)))
    return token


def close_session(session: Session, token: str | None) -> None:
    """Forget the login behind this cookie token (logout)."""
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def current_staff(request: Request, session: Session = CONSOLE_DB) -> Staff | None:
    """The staff member of this request's cookie, if the session is live and the account active."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    row = session.execute(
        select(StaffSession, StaffUser).join(StaffUser, StaffUser.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == _token_hash(token))).first()
    if row is None:
        return None
    login, user = row
    if aware(login.expires_at) < now() or not user.active:
        return None
    return Staff(user.id, user.username, user.role, login.csrf_token)


# ---------------------------------------------------------------- route dependencies


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _login_required(request: Request) -> Exception:
    """401 for JSON APIs; for pages a redirect back here after login (GET) or to /console."""
    if _is_api(request):
        return HTTPException(401, LOGIN_REQUIRED)
    if request.method not in ("GET", "HEAD"):
        return LoginRequired("/console")
    query = request.url.query
    return LoginRequired(request.url.path + (f"?{query}" if query else ""))


def staff_page(request: Request, staff: Staff | None = Depends(current_staff)) -> Staff:
    """HTML pages: the logged-in staff member, or a 303 to /console/login?next=<this page>."""
    if staff is None:
        raise _login_required(request)
    return staff


def staff_api(staff: Staff | None = Depends(current_staff)) -> Staff:
    """JSON APIs: the logged-in staff member, or 401 {"detail": "请先登录"}."""
    if staff is None:
        raise HTTPException(401, LOGIN_REQUIRED)
    return staff


def admin_page(staff: Staff = Depends(staff_page)) -> Staff:
    """Like `staff_page`, and 403 unless the account is an admin."""
    if not staff.is_admin:
        raise HTTPException(403, ADMIN_REQUIRED)
    return staff


def admin_api(staff: Staff = Depends(staff_api)) -> Staff:
    """Like `staff_api`, and 403 unless the account is an admin."""
    if not staff.is_admin:
        raise HTTPException(403, ADMIN_REQUIRED)
    return staff


async def csrf_protect(request: Request, staff: Staff | None = Depends(current_staff)) -> None:
    """State changes need the session's CSRF token, as header X-CSRF-Token or form field csrf_token."""
    if staff is None:
        raise _login_required(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), staff.csrf_token.encode()):
        raise HTTPException(403, CSRF_FAILED)


def safe_next(path: str | None) -> str:
    """Only local console paths are valid places to return to after logging in."""
    if (path and path.startswith("/console") and not path.startswith("//")
            and not any(c in path for c in "\\\r\n\t")):
        return path
    return "/console"
