"""Admin: the access log, filterable by person, action, target and time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from records.accounts import User
from review_ui.accounts import Principal
from review_ui.audit import ACTIONS, LogFilter, read_log
from review_ui.labels import ACTION_LABELS
from review_ui.web import ctx, render, require

router = APIRouter()
Admin = Annotated[Principal, Depends(require("admin"))]


def _day(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d") if text else None
    except ValueError:
        return None


@router.get("/admin/access-log")
def access_log(request: Request, user: Admin, actor: str | None = None,
               action: str | None = None, target: str | None = None,
               since: str | None = None, until: str | None = None) -> Response:
    end = _day(until)
    f = LogFilter(actor=actor or None, action=action or None, target=target or None,
                  since=_day(since), until=end + timedelta(days=1) if end else None)
    rows = read_log(ctx(request).runtime.db, f)
    return render(request, "access_log.html", rows=rows, f=f, actions=ACTIONS,
                  action_labels=ACTION_LABELS,
                  args={"actor": actor or "", "action": action or "", "target": target or "",
                        "since": since or "", "until": until or ""})


@router.get("/admin/users")
def users(request: Request, user: Admin) -> Response:
    with ctx(request).runtime.db.session() as s:
        rows = list(s.scalars(select(User).order_by(User.username)))
    return render(request, "users.html", rows=rows)
