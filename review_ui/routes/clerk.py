"""Clerk routes: books with their progress, uploads of scans, re-scans of single pages."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ingest.service import BookMeta, Ingestor, parse_years
from records.db import Book, Page, SourceFile
from records.model import Kind
from records.repository import book_statuses
from review_ui.accounts import Principal
from review_ui.audit import log_access
from review_ui.editing import EditError
from review_ui.labels import PAGE_STATE_LABELS
from review_ui.queries import not_found, page_or_404
from review_ui.structure import PageBusy, rescan_page
from review_ui.uploads import spooled_to_disk
from review_ui.web import client_ip, ctx, render, require

router = APIRouter()
Clerk = Annotated[Principal, Depends(require("clerk"))]


@router.get("/books")
def books(request: Request, user: Clerk, msg: str | None = None) -> Response:
    with ctx(request).runtime.db.session() as s:
        statuses = book_statuses(s)
    return render(request, "books.html", books=statuses, states=PAGE_STATE_LABELS, msg=msg,
                  outcomes=None)


@router.post("/books/upload")
def upload(request: Request, user: Clerk, files: Annotated[list[UploadFile], File()],
           book: Annotated[str, Form()], years: Annotated[str, Form()] = "",
           office: Annotated[str, Form()] = "", archive_ref: Annotated[str, Form()] = "",
           kind: Annotated[str, Form()] = "") -> Response:
    rt = ctx(request).runtime
    try:
        y0, y1 = parse_years(years or None)
        meta = BookMeta(book=book.strip() or None, archive_ref=archive_ref or None,
                        year_from=y0, year_to=y1, registry_office=office or None,
                        kind=Kind(kind) if kind else None)
    except ValueError as e:
        with rt.db.session() as s:
            statuses = book_statuses(s)
        return render(request, "books.html", status_code=422, books=statuses,
                      states=PAGE_STATE_LABELS, msg=f"错误: {e}", outcomes=None)
    with ExitStack() as stack:
        paths = [stack.enter_context(spooled_to_disk(rt.settings.home / "tmp" / "uploads",
                                                     f.filename, f.file)) for f in files]
        outcomes = Ingestor(rt.db, rt.blobs, rt.limits).ingest(paths, meta)
    log_access(rt.db, user.username, "upload", target=meta.book,
               query=", ".join(p.name for p in paths), result_count=len(outcomes),
               ip=client_ip(request))
    with rt.db.session() as s:
        statuses = book_statuses(s)
    failed = any(o.status == "failed" for o in outcomes)
    return render(request, "books.html", status_code=422 if failed else 200, books=statuses,
                  states=PAGE_STATE_LABELS, msg=None, outcomes=outcomes)


@router.get("/books/{book_id}")
def book_pages(request: Request, book_id: str, user: Clerk) -> Response:
    with ctx(request).runtime.db.session() as s:
        book = s.get(Book, book_id)
        if book is None:
            raise not_found()
        pages = list(s.execute(
            select(Page, SourceFile.original_name).join(SourceFile)
            .where(Page.book_id == book_id)
            .order_by(SourceFile.original_name, Page.page_no)))
    return render(request, "book.html", book=book, pages=pages, states=PAGE_STATE_LABELS,
                  error=None)


@router.post("/pages/{page_id}/rescan")
def rescan(request: Request, page_id: str, user: Clerk,
           file: Annotated[UploadFile, File()]) -> Response:
    rt = ctx(request).runtime
    try:
        with spooled_to_disk(rt.settings.home / "tmp" / "uploads", file.filename,
                             file.file) as path, rt.db.session() as s:
            page = page_or_404(s, page_id, user)
            book_id = page.book_id
            rescan_page(s, rt.blobs, rt.limits, user, page, path, path.name)
    except (EditError, PageBusy) as e:
        with rt.db.session() as s:
            page = page_or_404(s, page_id, user)
            book = s.get(Book, page.book_id)
            pages = list(s.execute(
                select(Page, SourceFile.original_name).join(SourceFile)
                .where(Page.book_id == page.book_id)
                .order_by(SourceFile.original_name, Page.page_no)))
        return render(request, "book.html", status_code=422, book=book, pages=pages,
                      states=PAGE_STATE_LABELS, error=str(e))
    return RedirectResponse(f"/books/{book_id}", status_code=303)
