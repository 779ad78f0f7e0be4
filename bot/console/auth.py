"""Staff accounts and console sessions: argon2 passwords, cookie sessions, CSRF tokens.

Pages that need a login redirect to /console/login; JSON APIs answer 401. Every
state-changing request also needs the session's CSRF token (form field or header).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.settings import Settings
from bot.web.deps import settings_dep
from store.db import migrate, session_scope
from store.models import StaffSession, StaffUser

COOKIE = "daogou_console"
ROLES = ("agent", "admin")
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member, as routes see them."""
    id: int
    username: str
    role: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginRequired(Exception):
    """Raised by page dependencies; app.py turns it into a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def now() -> datetime:
    return datetime.now(timezone.utc)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def console_db(settings: Settings = Depends(settings_dep)):
    """A session on the shop database, migrated to the console's tables."""
    migrate(settings.db_url)
    with session_scope(settings.db_url) as session:
        yield session


def add_staff(db_url: str, username: str, password: str, role: str = "agent") -> None:
    """Create a staff account (or reset its password and role); raises ValueError on bad input."""
    username = username.strip()
    if not username or len(username) > 64:
        raise ValueError("用户名不能为空，且不超过 64 个字符")
    if role not in ROLES:
        raise ValueError(f"角色只能是 {' / '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("密码至少 8 位")
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


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active account with this password, or None (unknown user costs the same time)."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    return user if user is not None and user.active else None


def open_session(session: Session, user: StaffUser, hours: int) -> str:
    """Store a new login and return the cookie token (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=_token_hash(token), staff_id=user.id,
                             csrf_token=secrets.token_urlsafe(24), created_at=now(),
                             expires_at=now() + timedelta(hours=hours)))
    return token


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def current_staff(request: Request, session: Session = Depends(console_db)) -> Staff | None:
    """The staff member of this request's cookie, if the session is valid and the account active."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    row = session.execute(
        select(StaffSession, StaffUser).join(StaffUser, StaffUser.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == _token_hash(token))).first()
    if row is None:
        return None
    login, user = row
    expires = login.expires_at if login.expires_at.tzinfo else login.expires_at.replace(tzinfo=timezone.utc)
    if expires < now() or not user.active:
        return None
    return Staff(user.id, user.username, user.role, login.csrf_token)


def staff_page(request: Request, staff: Staff | None = Depends(current_staff)) -> Staff:
    if staff is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return staff


def staff_api(staff: Staff | None = Depends(current_staff)) -> Staff:
    if staff is None:
        raise HTTPException(401, "请先登录")
    return staff


def admin_page(staff: Staff = Depends(staff_page)) -> Staff:
    if not staff.is_admin:
        raise HTTPException(403, "需要管理员权限")
    return staff


async def csrf_protect(request: Request, staff: Staff | None = Depends(current_staff)) -> None:
    """State changes need the session's CSRF token, as header X-CSRF-Token or form field."""
    if staff is None:
        raise HTTPException(401, "请先登录")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get("csrf_token")
    if not isinstance(sent, str) or not secrets.compare_digest(sent, staff.csrf_token):
        raise HTTPException(403, "请求已过期，请刷新页面后重试")


def safe_next(path: str | None) -> str:
    """Only local console paths are valid places to return to after logging in."""
    if path and path.startswith("/console") and not path.startswith("//") and "\\" not in path:
        return path
    return "/console"
