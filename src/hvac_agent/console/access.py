"""Who may use the console: the `/api` rule, plus a browser session that proves the token once.

A browser cannot put a bearer token on a page load, an EventSource or a WebSocket, so signing in
posts the token once and gets a cookie holding an expiry signed with it (HMAC): the token itself
never sits in the browser, and changing `HVAC_API_TOKEN` ends every session. Without a token the
rule is `/api`'s: loopback peers only (`require_api_access` decides, forwarded headers included).

Forms are guarded against cross-site posts (a page elsewhere posting to this server through the
office's browser, which matters most in loopback mode): each carries a random value that must match
a `SameSite=Strict` cookie, and a request whose `Origin` is another site is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from hvac_agent.api import require_api_access
from hvac_agent.services import services

SESSION_COOKIE = "hvac_console"
CSRF_COOKIE = "hvac_console_csrf"
SESSION_DAYS = 7
COOKIE_PATH = "/console"


class LoginRequired(Exception):
    """A page was asked for without a session while a token is configured: show the sign-in page."""


def _token(conn: HTTPConnection) -> str | None:
    token: str | None = services(conn).settings.api_token
    return token or None


def _sign(token: str, message: str) -> str:
    return hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()


def new_session(token: str, now_s: float) -> str:
    expires = int(now_s + SESSION_DAYS * 86400)
    return f"{expires}.{_sign(token, f'hvac-console-session:{expires}')}"


def session_valid(token: str, value: str, now_s: float) -> bool:
    expires, _, signature = value.partition(".")
    if not expires.isdigit() or int(expires) < now_s:
        return False
    return hmac.compare_digest(signature, _sign(token, f"hvac-console-session:{expires}"))


def token_matches(conn: HTTPConnection, given: str) -> bool:
    token = _token(conn)
    return token is not None and hmac.compare_digest(given.strip().encode(), token.encode())


def _has_session(conn: HTTPConnection) -> bool:
    token = _token(conn)
    value = conn.cookies.get(SESSION_COOKIE)
    return (
        token is not None and value is not None and session_valid(token, value, services(conn).clock.now().timestamp())
    )


def _same_origin(conn: HTTPConnection) -> bool:
    """No `Origin` (same-site navigation, non-browser clients) or one naming this very host."""
    origin = conn.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc.lower() == conn.headers.get("host", "").lower()


def check_access(conn: HTTPConnection) -> None:
    """Raise 401/403 (like `/api`) unless this request may use the console."""
    if not _same_origin(conn):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    if _has_session(conn):
        return
    require_api_access(conn)  # type: ignore[arg-type]  # only reads what HTTPConnection has


def console_page(request: Request) -> None:
    """A page: like `check_access`, but without a session (token configured) go to sign in."""
    try:
        check_access(request)
    except HTTPException as error:
        if error.status_code == 401 and "authorization" not in request.headers:
            raise LoginRequired() from error
        raise


def console_api(request: Request) -> None:
    check_access(request)


ConsolePage = Annotated[None, Depends(console_page)]
ConsoleAccess = Annotated[None, Depends(console_api)]


def csrf_value(request: Request) -> str:
    """The value this browser's forms carry (its CSRF cookie, or a new one set with the page)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) == 64:
        return existing
    value: str | None = getattr(request.state, "new_csrf", None)
    if value is None:
        value = request.state.new_csrf = secrets.token_hex(32)
    return value


def check_csrf(request: Request, form_value: str | None) -> None:
    """A form post must carry the value of this browser's CSRF cookie (bearer clients need not)."""
    if "authorization" in request.headers:
        return  # a script with the token, not a browser riding on cookies
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not form_value or not hmac.compare_digest(cookie, form_value):
        raise HTTPException(status_code=403, detail="the form is stale or came from another site: reload and retry")


def is_https(conn: HTTPConnection) -> bool:
    public = str(services(conn).settings.public_url or "")
    return conn.url.scheme in ("https", "wss") or public.startswith("https://")
