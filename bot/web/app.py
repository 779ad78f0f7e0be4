"""The FastAPI app: `/` chat page, `/api/chat`, product API and images, `/healthz`."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from bot.web import chat, health, products, recommendations

STATIC = Path(__file__).parent / "static"

app = FastAPI(title="Daogou 导购", version="0.1.0")
app.include_router(chat.router)
app.include_router(health.router)
app.include_router(products.router)
app.include_router(recommendations.router)
app.mount("/static", StaticFiles(directory=STATIC), name="static")


@app.exception_handler(RequestValidationError)
async def invalid_request(_, exc: RequestValidationError) -> JSONResponse:
    """Malformed input gets a 422 with a readable reason, never a stack trace."""
    reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return JSONResponse({"detail": f"请求格式不正确：{reasons}"}, status_code=422)


@app.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html")
