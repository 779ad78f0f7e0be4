"""Every console route under one router; web/app.py includes it (and mounts STATIC).

Add a module's router with one `include_router` line; its routes must use the dependencies of
web/console/auth.py (tests/web/console/test_console_auth.py checks every /console route for that).
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from web.console import analytics_routes, conversations, handoff, staff, teach

STATIC = Path(__file__).parent / "static"

router = APIRouter()
router.include_router(staff.router)
router.include_router(conversations.router)
router.include_router(handoff.router)
router.include_router(teach.router)
router.include_router(analytics_routes.router)
