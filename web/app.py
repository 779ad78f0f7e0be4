"""The FastAPI app: `/` demo shop with the chat widget, `/api/chat`, widget config, product API
and images, `/healthz`, and the staff console at `/console`."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from web.console.auth import LoginRequired
from web.console.router import STATIC as CONSOLE_STATIC
from web.console.router import router as console_router
from core.settings import get_settings
from web import chat, health, metrics, products, recommendations, shop, widget
from web.security import SecurityMiddleware

STATIC = Path(__file__).parent / "static"

# /docs and /openapi.json map every endpoint for an attacker: only when SHOPBOT_API_DOCS=true.
_docs = get_settings().api_docs
app = FastAPI(title="Daogou 导购", version="0.1.0", docs_url="/docs" if _docs else None,
              redoc_url=None, openapi_url="/openapi.json" if _docs else None)
app.include_router(chat.router)
app.include_router(health.router)
app.include_router(products.router)
app.include_router(recommendations.router)
app.include_router(shop.router)
app.include_router(widget.router)
app.include_router(metrics.router)
app.include_router(console_router)
app.mount("/static", StaticFiles(directory=STATIC), name="static")
app.mount("/console/static", StaticFiles(directory=CONSOLE_STATIC), name="console-static")

# Shops that embed the widget on their own pages call /api/chat and /api/events across
# origins; list them (comma-separated) in SHOPBOT_WIDGET_ORIGINS. Same-origin needs nothing.
if origins := get_settings().widget_origin_list:
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type", "Authorization"])


metrics.configure_access_log()
app.add_middleware(SecurityMiddleware, settings=get_settings())
# Outermost (added last): responses the security middleware answers itself (413) get a request
# id, a log line and their latency counted too.
app.middleware("http")(metrics.observe)


@app.exception_handler(LoginRequired)
async def login_required(_, exc: LoginRequired) -> RedirectResponse:
    """Console pages send a visitor without a session to the login page."""
    return RedirectResponse(f"/console/login?next={quote(exc.next_path, safe='')}", status_code=303)


@app.exception_handler(RequestValidationError)
async def invalid_request(_, exc: RequestValidationError) -> JSONResponse:
    """Malformed input gets a 422 with a readable reason, never a stack trace."""
    reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return JSONResponse({"detail": f"请求格式不正确：{reasons}"}, status_code=422)
