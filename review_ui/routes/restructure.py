"""Split and merge routes: JSON calls (``/api/records/…``) and plain forms on the record page.

Registered before ``review`` so that ``/api/records/{id}/split`` and ``…/merge`` are not
taken by its ``/api/records/{id}/{action}`` (approve/reject). A stale version of
either record answers 409 with the other reviewer's changes; a change that cannot
be made answers 422; a record the user may not see answers 404.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dangan.runtime import Runtime
from records.db import FieldHistory
from records.model import UnknownFieldError
from review_ui.accounts import Principal
from review_ui.audit import log_access
from review_ui.editing import Conflict, EditError, reindex
from review_ui.queries import load_record_page, record_or_404
from review_ui.restructure import (
    FIRST,
    SECOND,
    OtherConflict,
    check_mergeable,
    merge_preview,
    merge_records,
    split_record,
)
from review_ui.routes.review import record_response
from review_ui.structure import PageBusy
from review_ui.web import client_ip, ctx, render, require

log = logging.getLogger(__name__)
router = APIRouter()
Reviewer = Annotated[Principal, Depends(require("reviewer"))]
CHOICE_PREFIX = "choice:"


def _seen(s: Session, record_id: str) -> int:
    return int(s.scalar(select(func.max(FieldHistory.id))
                        .where(FieldHistory.record_id == record_id)) or 0)


def _unindex(rt: Runtime, record_ids: list[str]) -> bool:
    """Take records that no longer exist out of the search index."""
    if not record_ids:
        return True
    try:
        backend = rt.search()
        backend.delete(record_ids)
        backend.refresh()
    except Exception:
        log.exception("removing %s from the search index failed", record_ids)
        return False
    return True


def _split(rt: Runtime, user: Principal, record_id: str, keys: list[str], kind: str | None,
           version: int, seen: int) -> dict[str, Any]:
    with rt.db.session() as s:
        rec = record_or_404(s, record_id, user)
        out = split_record(s, user, rec, keys, version, seen, kind)
    out["indexed"] = reindex(rt, [record_id, out["new_id"]])
    with rt.db.session() as s:
        out["seen"] = _seen(s, record_id)
    return out


def _merge(rt: Runtime, user: Principal, record_id: str, other: str, version: int, seen: int,
           other_version: int, other_seen: int, choices: dict[str, str]) -> dict[str, Any]:
    with rt.db.session() as s:
        first = record_or_404(s, record_id, user)
        second = record_or_404(s, other, user)
        out = merge_records(s, user, first, second, version, seen, other_version, other_seen,
                            choices)
    removed = _unindex(rt, [out["removed"]])
    out["indexed"] = reindex(rt, [record_id]) and removed
    with rt.db.session() as s:
        out["seen"] = _seen(s, record_id)
    return out


# --------------------------------------------------------------------------- JSON


def _conflict_json(e: Conflict) -> JSONResponse:
    return JSONResponse(status_code=409, content={
        "detail": str(e), "version": e.current_version,
        "record": e.record_id if isinstance(e, OtherConflict) else None,
        "changes": [asdict(c) for c in e.changes]})


def _int(body: dict[str, Any], key: str, default: int | None = None) -> int:
    try:
        return int(body[key]) if key in body or default is None else default
    except (KeyError, TypeError, ValueError) as e:
        raise EditError(f"{key}: a whole number is needed") from e


def _json(fn: Any) -> Response:
    try:
        return JSONResponse(fn())
    except Conflict as e:
        return _conflict_json(e)
    except (EditError, UnknownFieldError, PageBusy) as e:
        return JSONResponse(status_code=422, content={"detail": str(e)})


@router.post("/api/records/{record_id}/split")
def api_split(request: Request, record_id: str, user: Reviewer,
              body: Annotated[dict[str, Any], Body()]) -> Response:
    """``{"keys": [...], "kind": optional, "version": n, "seen": h}``."""
    rt = ctx(request).runtime

    def run() -> dict[str, Any]:
        keys = body.get("keys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise EditError("keys: a list of field keys is needed")
        kind = body.get("kind")
        return _split(rt, user, record_id, keys, str(kind) if kind else None,
                      _int(body, "version"), _int(body, "seen", 0))

    return _json(run)


@router.post("/api/records/{record_id}/merge")
def api_merge(request: Request, record_id: str, user: Reviewer,
              body: Annotated[dict[str, Any], Body()]) -> Response:
    """``{"other": id, "version": n, "seen": h, "other_version": n, "other_seen": h,
    "choices": {key: "first"|"second"}}``; conflicting keys default to the first's value."""
    rt = ctx(request).runtime

    def run() -> dict[str, Any]:
        other, choices = body.get("other"), body.get("choices") or {}
        if not isinstance(other, str) or not other:
            raise EditError("other: the id of the record to merge into this one is needed")
        if not isinstance(choices, dict):
            raise EditError("choices: an object {field key: 'first' or 'second'} is needed")
        return _merge(rt, user, record_id, other, _int(body, "version"), _int(body, "seen", 0),
                      _int(body, "other_version"), _int(body, "other_seen", 0),
                      {str(k): str(v) for k, v in choices.items()})

    return _json(run)


# --------------------------------------------------------------------------- forms

Int = Annotated[int, Form()]
Str = Annotated[str, Form()]


@router.post("/records/{record_id}/split")
def form_split(request: Request, record_id: str, user: Reviewer, version: Int, seen: Int,
               keys: Annotated[list[str] | None, Form()] = None,
               kind: Annotated[str, Form()] = "") -> Response:
    rt = ctx(request).runtime
    try:
        out = _split(rt, user, record_id, keys or [], kind or None, version, seen)
    except Conflict as e:
        return record_response(request, user, record_id, status_code=409, conflict=e)
    except (EditError, UnknownFieldError, PageBusy) as e:
        return record_response(request, user, record_id, status_code=422, error=str(e))
    return RedirectResponse(f"/records/{out['new_id']}", status_code=303)


@router.get("/records/{record_id}/merge")
def merge_page(request: Request, record_id: str, user: Reviewer,
               other: Annotated[str, Query(alias="with")] = "") -> Response:
    """What merging would do, with a choice per conflicting field (the first's by default)."""
    rt = ctx(request).runtime
    try:
        with rt.db.session() as s:
            first = record_or_404(s, record_id, user)
            second = record_or_404(s, other, user)
            check_mergeable(s, first, second)
            view = load_record_page(s, first, user)
            other_view = load_record_page(s, second, user)
            rows = merge_preview(s, user, first, second)
    except EditError as e:
        return record_response(request, user, record_id, status_code=422, error=str(e))
    for rid in (record_id, other):
        log_access(rt.db, user.username, "record_view", target=rid, result_count=1,
                   ip=client_ip(request))
    return render(request, "merge.html", v=view, o=other_view, rows=rows,
                  first=FIRST, second=SECOND, prefix=CHOICE_PREFIX)


async def _choices(request: Request) -> dict[str, str]:
    form = await request.form()
    return {str(k)[len(CHOICE_PREFIX):]: str(v) for k, v in form.multi_items()
            if str(k).startswith(CHOICE_PREFIX)}


@router.post("/records/{record_id}/merge")
def form_merge(request: Request, record_id: str, user: Reviewer, other: Str, version: Int,
               seen: Int, other_version: Int, other_seen: Int,
               choices: Annotated[dict[str, str], Depends(_choices)]) -> Response:
    rt = ctx(request).runtime
    try:
        _merge(rt, user, record_id, other, version, seen, other_version, other_seen, choices)
    except Conflict as e:
        return record_response(request, user, record_id, status_code=409, conflict=e)
    except (EditError, UnknownFieldError, PageBusy) as e:
        return record_response(request, user, record_id, status_code=422, error=str(e))
    return RedirectResponse(f"/records/{record_id}", status_code=303)
