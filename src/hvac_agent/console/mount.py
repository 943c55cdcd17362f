"""Adds the console, its softphone socket and the analytics API to the app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from hvac_agent.analytics.api import router as analytics_router
from hvac_agent.console.access import LoginRequired
from hvac_agent.console.routes import router as console_router
from hvac_agent.console.softphone import router as softphone_router

STATIC_DIR = Path(__file__).parent / "static"


def mount_console(app: FastAPI) -> None:
    app.include_router(console_router)
    app.include_router(softphone_router)
    app.include_router(analytics_router)
    # Styles and scripts only (no office data), so the sign-in page can use them.
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")

    async def to_login(request: Request, _error: Exception) -> RedirectResponse:
        return RedirectResponse("/console/login", status_code=303)

    app.add_exception_handler(LoginRequired, to_login)
