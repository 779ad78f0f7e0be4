"""Every console route under one router; bot/web/app.py includes it."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from bot.console import analytics_routes, conversations, handoff, staff, teach

STATIC = Path(__file__).parent / "static"

router = APIRouter()
for module in (staff, conversations, handoff, teach, analytics_routes):
    router.include_router(module.router)
