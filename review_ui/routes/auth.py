"""Login and logout. The CSRF token is rotated at login so a token seen before
logging in is worthless afterwards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_ui.accounts import TooManyAttempts, authenticate
from review_ui.security import new_csrf_token
from review_ui.web import client_ip, ctx, render, session

router = APIRouter()


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str | None, Form()] = None) -> Response:
    try:
        with ctx(request).runtime.db.session() as s:
            who = authenticate(s, username.strip(), password, client_ip(request))
    except TooManyAttempts as e:
        return render(request, "login.html", status_code=429, next=_safe_next(next),
                      error=str(e))
    if who is None:
        return render(request, "login.html", status_code=401, next=_safe_next(next),
                      error="用户名或密码错误 / wrong username or password")
    sess = session(request)
    sess.username, sess.csrf, sess.dirty = who.username, new_csrf_token(), True
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    sess = session(request)
    sess.username, sess.csrf, sess.dirty = None, new_csrf_token(), True
    return RedirectResponse("/login", status_code=303)
