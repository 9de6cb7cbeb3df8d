"""Request plumbing shared by every route: the app context, the session cookie,
login and role checks, CSRF, and template rendering.

CSRF is one app-wide dependency (not per route) so a new POST route cannot
forget it: forms send ``csrf_token``, ``fetch()`` calls send ``X-CSRF-Token``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from dangan.runtime import Runtime
from review_ui.accounts import Principal, find_user, principal
from review_ui.labels import FIELD_LABELS, KIND_LABELS, STATUS_LABELS, reason_label
from review_ui.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    SessionCodec,
    SessionData,
    new_csrf_token,
    tokens_match,
)

HERE = Path(__file__).parent
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


@dataclass
class AppContext:
    runtime: Runtime
    codec: SessionCodec
    templates: Jinja2Templates
    cache_dir: Path
    secure_cookies: bool = False


class NotLoggedIn(Exception):
    """Raised by :func:`current_user`; turned into a redirect (pages) or 401 (API)."""


def ctx(request: Request) -> AppContext:
    c: AppContext = request.app.state.ctx
    return c


def session(request: Request) -> SessionData:
    s: SessionData = request.state.session
    return s


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def session_middleware(request: Request,
                             call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    c = ctx(request)
    sess = c.codec.loads(request.cookies.get(SESSION_COOKIE))
    if sess is None:
        sess = SessionData(username=None, csrf=new_csrf_token(), dirty=True)
    request.state.session = sess
    response = await call_next(request)
    if sess.dirty:
        response.set_cookie(SESSION_COOKIE, c.codec.dumps(sess), max_age=SESSION_MAX_AGE,
                            httponly=True, samesite="lax", secure=c.secure_cookies, path="/")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CSP)
    if not request.url.path.startswith(("/static/", "/iiif/")):
        # pages carry personal data: no shared or on-disk browser caches
        response.headers.setdefault("Cache-Control", "no-store")
    return response


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: every unsafe request must echo the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER)
    if not given:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not tokens_match(session(request).csrf, given):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")


def current_user(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    name = session(request).username
    if not name:
        raise NotLoggedIn()
    with ctx(request).runtime.db.session() as s:
        user = find_user(s, name)
        p = principal(user) if user is not None else None
    if p is None:
        raise NotLoggedIn()
    request.state.principal = p
    return p


def require(*roles: str) -> Callable[[Request], Principal]:
    """Dependency: the logged-in user, who must hold one of ``roles`` (admin holds all)."""

    def dep(request: Request) -> Principal:
        user = current_user(request)
        if not user.has(*roles):
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}")
        return user

    return dep


def not_logged_in_handler(request: Request, _exc: Exception) -> Response:
    if request.url.path.startswith(("/api/", "/iiif/")):
        return JSONResponse({"detail": "log in first"}, status_code=401)
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/iiif/")) and \
        "text/html" in request.headers.get("accept", "text/html")


def render(request: Request, name: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    user = getattr(request.state, "principal", None)
    return ctx(request).templates.TemplateResponse(
        request, name,
        {"user": user, "csrf": session(request).csrf, "FIELD_LABELS": FIELD_LABELS,
         "KIND_LABELS": KIND_LABELS, "STATUS_LABELS": STATUS_LABELS, **data},
        status_code=status_code)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["reason"] = reason_label
    return templates
