"""Reviewer routes: the queue, the record page, and the edits made on it.

Field edits, approve and reject are JSON calls from ``record.js`` (keyboard-driven);
structural fixes (kind, added field, page type, rotation) are plain forms.
Both answer a stale version with 409 and the other reviewer's changes.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select

from records.db import Book, FieldHistory
from records.model import FIELD_KEYS, Kind, RecordStatus, UnknownFieldError
from review_ui.accounts import Principal
from review_ui.audit import log_access
from review_ui.editing import (
    Conflict,
    EditError,
    add_field,
    change_kind,
    reindex,
    save_field,
    set_status,
)
from review_ui.labels import PAGE_STATE_LABELS
from review_ui.queries import (
    QueueFilter,
    load_record_page,
    next_in_queue,
    page_or_404,
    queue,
    record_or_404,
)
from review_ui.restructure import merge_candidates
from review_ui.structure import PageBusy, mark_non_record, rotate_page
from review_ui.web import client_ip, ctx, current_user, render, require

router = APIRouter()
Reviewer = Annotated[Principal, Depends(require("reviewer"))]
Anyone = Annotated[Principal, Depends(current_user)]


def _filter(book: str | None, kind: str | None, field: str | None) -> QueueFilter:
    return QueueFilter(book=book or None, kind=kind if kind in set(Kind) else None,
                       field=field if field in FIELD_KEYS else None)


def _qs(f: QueueFilter) -> str:
    return urlencode({k: v for k, v in asdict(f).items() if v})


@router.get("/")
def home(user: Anyone) -> Response:
    if user.has("reviewer"):
        return RedirectResponse("/review", status_code=303)
    if user.has("clerk"):
        return RedirectResponse("/books", status_code=303)
    return RedirectResponse("/search", status_code=303)


@router.get("/review")
def review_queue(request: Request, user: Reviewer, book: str | None = None,
                 kind: str | None = None, field: str | None = None, page: int = 1) -> Response:
    f = _filter(book, kind, field)
    per = 50
    with ctx(request).runtime.db.session() as s:
        items, total = queue(s, user, f, limit=per, offset=(max(page, 1) - 1) * per)
        books = list(s.execute(select(Book.id, Book.name).order_by(Book.name)))
    return render(request, "queue.html", items=items, total=total, f=f, qs=_qs(f), books=books,
                  page=max(page, 1), pages=max(1, -(-total // per)), field_keys=FIELD_KEYS,
                  kinds=[k.value for k in Kind if k != Kind.ADOPTION or user.may_see_adoption])


@router.get("/review/next")
def review_next(request: Request, user: Reviewer, after: str | None = None,
                book: str | None = None, kind: str | None = None,
                field: str | None = None) -> Response:
    f = _filter(book, kind, field)
    with ctx(request).runtime.db.session() as s:
        nxt = next_in_queue(s, user, f, after)
    qs = _qs(f)
    if nxt is None:
        return RedirectResponse(f"/review?{qs + '&' if qs else ''}done=1", status_code=303)
    return RedirectResponse(f"/records/{nxt}{'?' + qs if qs else ''}", status_code=303)


def record_response(request: Request, user: Principal, record_id: str, *, status_code: int = 200,
                    error: str | None = None, conflict: Conflict | None = None) -> Response:
    rt = ctx(request).runtime
    with rt.db.session() as s:
        rec = record_or_404(s, record_id, user)
        view = load_record_page(s, rec, user)
        candidates = merge_candidates(s, rec, user) if user.has("reviewer") else []
    log_access(rt.db, user.username, "record_view", target=record_id, result_count=1,
               ip=client_ip(request))
    f = _filter(request.query_params.get("book"), request.query_params.get("kind"),
                request.query_params.get("field"))
    data = {
        "id": record_id, "version": view.rec.version, "seen": view.last_history_id,
        "editable": user.has("reviewer") and view.rec.status != RecordStatus.REJECTED.value,
        "info": f"/iiif/{view.image_id}/info.json", "qs": _qs(f),
        "fields": [{"key": fv.key, "bbox": fv.bbox, "review": fv.needs_review}
                   for fv in view.fields],
    }
    return render(request, "record.html", status_code=status_code, v=view, data=data,
                  error=error, conflict=conflict, qs=_qs(f), page_states=PAGE_STATE_LABELS,
                  candidates=candidates,
                  kinds=[k.value for k in Kind if k != Kind.ADOPTION or user.may_see_adoption])


@router.get("/records/{record_id}")
def record_page(request: Request, record_id: str, user: Anyone) -> Response:
    return record_response(request, user, record_id)


@router.get("/records/{record_id}/extract")
def record_extract(request: Request, record_id: str,
                   user: Annotated[Principal, Depends(require("registrar", "reviewer"))]
                   ) -> Response:
    rt = ctx(request).runtime
    with rt.db.session() as s:
        rec = record_or_404(s, record_id, user)
        view = load_record_page(s, rec, user)
    log_access(rt.db, user.username, "extract_view", target=record_id, result_count=1,
               ip=client_ip(request))
    return render(request, "extract.html", v=view,
                  printed_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"))


# --------------------------------------------------------------------------- JSON edits


def _conflict_json(e: Conflict) -> JSONResponse:
    return JSONResponse(status_code=409, content={
        "detail": str(e), "version": e.current_version,
        "changes": [asdict(c) for c in e.changes]})


def _edit(request: Request, user: Principal, record_id: str, fn: Any) -> Response:
    rt = ctx(request).runtime
    try:
        with rt.db.session() as s:
            rec = record_or_404(s, record_id, user)
            if rec.status == RecordStatus.REJECTED.value:
                raise EditError("the record was rejected; it can no longer be edited here")
            out = fn(s, rec)
    except Conflict as e:
        return _conflict_json(e)
    except (EditError, UnknownFieldError) as e:
        return JSONResponse(status_code=422, content={"detail": str(e)})
    indexed = reindex(rt, [record_id])
    with rt.db.session() as s:
        seen = s.scalar(select(func.max(FieldHistory.id))
                        .where(FieldHistory.record_id == record_id)) or 0
    return JSONResponse({**out, "seen": int(seen), "indexed": indexed})


@router.post("/api/records/{record_id}/fields/{key}")
def api_save_field(request: Request, record_id: str, key: str, user: Reviewer,
                   body: Annotated[dict[str, Any], Body()]) -> Response:
    value, version, seen = str(body.get("value", "")), int(body["version"]), int(
        body.get("seen", 0))
    return _edit(request, user, record_id,
                 lambda s, rec: save_field(s, user, rec, key, value, version, seen))


@router.post("/api/records/{record_id}/{action}")
def api_status(request: Request, record_id: str, action: str, user: Reviewer,
               body: Annotated[dict[str, Any], Body()]) -> Response:
    status = {"approve": RecordStatus.APPROVED, "reject": RecordStatus.REJECTED}.get(action)
    if status is None:
        return JSONResponse(status_code=404, content={"detail": "not found"})
    version, seen = int(body["version"]), int(body.get("seen", 0))
    return _edit(request, user, record_id, lambda s, rec: {
        "version": set_status(s, user, rec, status, version, seen), "status": status.value})


# --------------------------------------------------------------------------- form edits


def _form_edit(request: Request, user: Principal, record_id: str, fn: Any) -> Response:
    rt = ctx(request).runtime
    try:
        with rt.db.session() as s:
            rec = record_or_404(s, record_id, user)
            fn(s, rec)
    except Conflict as e:
        return record_response(request, user, record_id, status_code=409, conflict=e)
    except (EditError, UnknownFieldError, PageBusy) as e:
        return record_response(request, user, record_id, status_code=422, error=str(e))
    reindex(rt, [record_id])
    qs = request.url.query
    return RedirectResponse(f"/records/{record_id}{'?' + qs if qs else ''}", status_code=303)


Int = Annotated[int, Form()]
Str = Annotated[str, Form()]


@router.post("/records/{record_id}/kind")
def form_kind(request: Request, record_id: str, user: Reviewer, kind: Str, version: Int,
              seen: Int) -> Response:
    return _form_edit(request, user, record_id,
                      lambda s, rec: change_kind(s, user, rec, kind, version, seen))


@router.post("/records/{record_id}/fields")
def form_add_field(request: Request, record_id: str, user: Reviewer, key: Str, version: Int,
                   seen: Int, value: Annotated[str, Form()] = "") -> Response:
    return _form_edit(request, user, record_id,
                      lambda s, rec: add_field(s, user, rec, key.strip(), value, version, seen))


@router.post("/records/{record_id}/page/non-record")
def form_non_record(request: Request, record_id: str, user: Reviewer, page_type: Str
                    ) -> Response:
    rt = ctx(request).runtime
    try:
        with rt.db.session() as s:
            rec = record_or_404(s, record_id, user)
            page = page_or_404(s, rec.page_id, user)
            ids = mark_non_record(s, user, page, page_type)
    except (EditError, PageBusy) as e:
        return record_response(request, user, record_id, status_code=422, error=str(e))
    reindex(rt, ids)
    return RedirectResponse(f"/review/next?after={record_id}", status_code=303)


@router.post("/records/{record_id}/page/rotate")
def form_rotate(request: Request, record_id: str, user: Reviewer, degrees: Int) -> Response:
    rt = ctx(request).runtime
    try:
        with rt.db.session() as s:
            rec = record_or_404(s, record_id, user)
            page = page_or_404(s, rec.page_id, user)
            rotate_page(s, rt.blobs, user, page, degrees)
    except (EditError, PageBusy) as e:
        return record_response(request, user, record_id, status_code=422, error=str(e))
    return RedirectResponse(f"/records/{record_id}", status_code=303)
