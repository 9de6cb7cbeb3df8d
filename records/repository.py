"""Database operations used by ingest, the workers, export and the CLI.

Page state transitions are single guarded UPDATEs (compare-and-set), so two
workers can never both own a page, and a crashed worker's lease simply expires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from records.db import (
    Book,
    FieldHistory,
    FieldRow,
    OcrResult,
    Page,
    PageState,
    RecordRow,
    SourceFile,
    utcnow,
)
from records.model import ExtractedRecord, RecordStatus


def book_id_for(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]


def page_id_for(file_sha256: str, page_no: int) -> str:
    return f"{file_sha256[:20]}-{page_no:04d}"


def record_id_for(file_sha256: str, page_no: int, half: str | None, row: int | None,
                  slot: int) -> str:
    """Stable across runs over the same input: derived from where the record sits."""
    key = f"{file_sha256}|{page_no}|{half or ''}|{row or 0}|{slot}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def get_or_create_book(s: Session, name: str, **meta: Any) -> Book:
    bid = book_id_for(name)
    book = s.get(Book, bid)
    if book is None:
        book = Book(id=bid, name=name, **meta)
        s.add(book)
        s.flush()
    else:
        for k, v in meta.items():
            if v is not None and getattr(book, k) is None:
                setattr(book, k, v)
    return book


# ---- page leases -----------------------------------------------------------
#
# A lease is the right to work on one page in one stage. Taking, extending and
# giving it back are single guarded UPDATEs: under READ COMMITTED (PostgreSQL's
# default) a second UPDATE of the same row waits for the first to commit and then
# re-checks its WHERE against the new row, so of two workers exactly one sees
# rowcount 1. On PostgreSQL lease times come from the database clock, so machines
# whose clocks disagree still agree on when a lease has expired.

CLAIMABLE = {
    PageState.OCR_RUNNING: PageState.PENDING,
    PageState.EXTRACT_RUNNING: PageState.OCR_DONE,
}


def _db_now(s: Session) -> Any:
    """The database's idea of "now" (UTC, naive) as a SQL expression."""
    if s.get_bind().dialect.name == "postgresql":
        return func.timezone("UTC", func.statement_timestamp(), type_=DateTime)
    return utcnow()  # SQLite: one machine, one clock


def _later(s: Session, seconds: int) -> Any:
    return _db_now(s) + timedelta(seconds=seconds)


def claim_page(s: Session, page_id: str, running: PageState, owner: str,
               lease_seconds: int) -> bool:
    """Move a page into ``running`` if it is waiting for it or its lease expired.

    ``owner`` may also take back a lease it still holds: owners name one message
    in one process, so that is a retry of the same message after an error that
    left the page claimed (the database was briefly unreachable, say).
    """
    now = _db_now(s)
    waiting = CLAIMABLE[running]
    res = s.execute(
        update(Page)
        .where(Page.id == page_id,
               or_(Page.state == waiting,
                   and_(Page.state == running,
                        or_(Page.lease_until < now, Page.lease_owner == owner))))
        .values(state=running, lease_owner=owner, lease_until=_later(s, lease_seconds),
                attempts=Page.attempts + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def extend_lease(s: Session, page_id: str, running: PageState, owner: str,
                 lease_seconds: int) -> bool:
    """Heartbeat: keep a long-running page claimed. False = the lease was lost."""
    res = s.execute(
        update(Page)
        .where(Page.id == page_id, Page.state == running, Page.lease_owner == owner)
        .values(lease_until=_later(s, lease_seconds))
        .execution_options(synchronize_session=False)
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def finish_page(s: Session, page_id: str, running: PageState, owner: str,
                new_state: PageState, **values: Any) -> bool:
    res = s.execute(
        update(Page)
        .where(Page.id == page_id, Page.state == running, Page.lease_owner == owner)
        .values(state=new_state, lease_owner=None, lease_until=None, updated_at=utcnow(),
                **values)
        .execution_options(synchronize_session=False)
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def release_page(s: Session, page_id: str, running: PageState, owner: str,
                 back_to: PageState, error: str | None = None) -> bool:
    res = s.execute(
        update(Page)
        .where(Page.id == page_id, Page.state == running, Page.lease_owner == owner)
        .values(state=back_to, lease_owner=None, lease_until=None, error=error,
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def reset_running(s: Session, *, only_expired: bool) -> int:
    """Give pages held by dead workers back to the queue."""
    n = 0
    for running, waiting in CLAIMABLE.items():
        q = update(Page).where(Page.state == running)
        if only_expired:
            q = q.where(Page.lease_until < _db_now(s))
        res = s.execute(q.values(state=waiting, lease_owner=None, lease_until=None)
                        .execution_options(synchronize_session=False))
        n += res.rowcount  # type: ignore[attr-defined]
    return n


@dataclass(frozen=True, slots=True)
class Recovered:
    """Pages whose lease expired: given back to the queue, or dead after too many tries."""

    requeued: tuple[str, ...]
    dead: tuple[str, ...]


def recover_expired(s: Session, max_attempts: int) -> Recovered:
    """Take back the pages of workers that died (SIGKILL, lost machine, hard crash).

    A page whose worker died ``max_attempts`` times (it kills the engine, say) is
    dead-lettered with its error instead of being handed to the next victim.
    Every change is guarded on the expired lease, so a worker that renews its
    lease at the same moment keeps the page.
    """
    now = _db_now(s)
    requeued: list[str] = []
    dead: list[str] = []
    for running, waiting in CLAIMABLE.items():
        expired = list(s.execute(
            select(Page.id, Page.attempts, Page.lease_owner)
            .where(Page.state == running, Page.lease_until < now)).all())
        for pid, attempts, owner in expired:
            guard = (Page.id == pid, Page.state == running, Page.lease_owner == owner,
                     Page.lease_until < now)
            if attempts >= max_attempts:
                values: dict[str, Any] = {
                    "state": PageState.DEAD,
                    "error": f"the worker stopped while processing this page ({running}) "
                             f"{attempts} times: it may crash the OCR engine; look at the "
                             f"scan, then `dangan retry`"}
            else:
                values = {"state": waiting,
                          "error": f"lease of {owner} expired in {running}; queued again"}
            res = s.execute(update(Page).where(*guard)
                            .values(lease_owner=None, lease_until=None, updated_at=utcnow(),
                                    **values)
                            .execution_options(synchronize_session=False))
            if res.rowcount:  # type: ignore[attr-defined]
                (dead if values["state"] == PageState.DEAD else requeued).append(pid)
    return Recovered(tuple(requeued), tuple(dead))


def pages_finished_since(s: Session, since: datetime) -> int:
    """Pages that reached a final state after ``since`` (for throughput)."""
    return int(s.scalar(select(func.count()).select_from(Page).where(
        Page.state.in_([PageState.DONE, PageState.FAILED, PageState.DEAD]),
        Page.updated_at >= since)) or 0)


def lease_holders(s: Session) -> dict[str, int]:
    """Pages currently claimed, per owning worker process (``host:pid``)."""
    out: dict[str, int] = {}
    for (owner,) in s.execute(select(Page.lease_owner).where(Page.lease_owner.is_not(None))):
        proc = ":".join(str(owner).split(":")[:2])
        out[proc] = out.get(proc, 0) + 1
    return out


def pages_in_states(s: Session, states: Sequence[PageState],
                    book_ids: Sequence[str] | None = None) -> list[str]:
    q = select(Page.id).where(Page.state.in_([str(x) for x in states]))
    if book_ids:
        q = q.where(Page.book_id.in_(book_ids))
    return list(s.scalars(q.order_by(Page.book_id, Page.file_sha256, Page.page_no)))


# ---- OCR and records ---------------------------------------------------------

def save_ocr(s: Session, page_id: str, half: str, engine: str, data: dict[str, Any],
             chars: int, seconds: float) -> None:
    s.execute(delete(OcrResult).where(OcrResult.page_id == page_id, OcrResult.half == half))
    s.add(OcrResult(page_id=page_id, half=half, engine=engine, data=data, chars=chars,
                    seconds=seconds))


def load_ocr(s: Session, page_id: str) -> list[OcrResult]:
    return list(s.scalars(select(OcrResult).where(OcrResult.page_id == page_id)
                          .order_by(OcrResult.half)))


MERGED_INTO = "merged_into"  # FieldHistory key of a record a reviewer merged away


def replace_page_records(s: Session, page: Page, records: Iterable[ExtractedRecord]) -> int:
    """Write a page's records; re-running never duplicates (stable ids, upsert).

    Records a reviewer already touched (approved/rejected or edited) are kept as
    they are: re-extraction must never undo human work.
    """
    keep = set(s.scalars(select(RecordRow.id).where(
        RecordRow.page_id == page.id,
        or_(RecordRow.status.in_([RecordStatus.APPROVED, RecordStatus.REJECTED]),
            RecordRow.reviewed_by.is_not(None)))))
    stale = select(RecordRow.id).where(RecordRow.page_id == page.id, RecordRow.id.not_in(keep))
    s.execute(delete(FieldRow).where(FieldRow.record_id.in_(stale)))
    s.execute(delete(RecordRow).where(RecordRow.page_id == page.id, RecordRow.id.not_in(keep)))
    records = list(records)
    ids = [record_id_for(page.file_sha256, page.page_no, r.half, r.row, r.slot) for r in records]
    # a record a reviewer merged into another stays gone (its audit row says so)
    keep |= set(s.scalars(select(FieldHistory.record_id).where(
        FieldHistory.record_id.in_(ids), FieldHistory.key == MERGED_INTO)))
    n = 0
    field_rows: list[FieldRow] = []
    for rec, rid in zip(records, ids, strict=True):
        if rid in keep:
            continue
        fields = list(rec.fields.values())
        status = RecordStatus.NEEDS_REVIEW if rec.needs_review else RecordStatus.AUTO_ACCEPTED
        s.add(RecordRow(
            id=rid, page_id=page.id, book_id=page.book_id, kind=str(rec.kind),
            status=str(status), half=rec.half, row=rec.row, slot=rec.slot,
            bbox=rec.bbox.as_list() if rec.bbox else None,
            review_score=min((f.confidence if not f.needs_review else f.confidence / 2
                              for f in fields), default=1.0),
        ))
        for f in fields:
            field_rows.append(FieldRow(record_id=rid, key=f.key, value=f.value, original=f.original,
                           confidence=round(f.confidence, 4), needs_review=f.needs_review,
                           reasons=list(f.reasons),
                           bbox=f.bbox.as_list() if f.bbox else None))
        n += 1
    s.flush()  # records first: fields reference them
    s.add_all(field_rows)
    return n


@dataclass(frozen=True, slots=True)
class BookStatus:
    book_id: str
    name: str
    pages_by_state: dict[str, int]
    records: int
    records_needing_review: int
    fields_needing_review: int
    errors: list[tuple[str, str]]  # (where, message)
    flagged_pages: int


def book_statuses(s: Session) -> list[BookStatus]:
    out = []
    for book in s.scalars(select(Book).order_by(Book.created_at, Book.name)):
        states = dict(s.execute(select(Page.state, func.count()).where(Page.book_id == book.id)
                                .group_by(Page.state)).all())
        recs = s.scalar(select(func.count()).select_from(RecordRow)
                        .where(RecordRow.book_id == book.id)) or 0
        recs_review = s.scalar(select(func.count()).select_from(RecordRow).where(
            RecordRow.book_id == book.id, RecordRow.status == RecordStatus.NEEDS_REVIEW)) or 0
        fields_review = s.scalar(
            select(func.count()).select_from(FieldRow).join(RecordRow)
            .where(RecordRow.book_id == book.id, FieldRow.needs_review.is_(True))) or 0
        errors: list[tuple[str, str]] = []
        for f in s.scalars(select(SourceFile).where(SourceFile.book_id == book.id,
                                                    SourceFile.state == "failed")):
            errors.append((f.original_name, f.error or "failed"))
        for p, name in s.execute(
                select(Page, SourceFile.original_name).join(SourceFile)
                .where(Page.book_id == book.id,
                       Page.state.in_([PageState.FAILED, PageState.DEAD]))):
            errors.append((f"{name} p.{p.page_no}", p.error or p.state))
        flagged = sum(1 for (fl,) in s.execute(select(Page.flags).where(Page.book_id == book.id))
                      if fl)
        out.append(BookStatus(book.id, book.name, {str(k): int(v) for k, v in states.items()},
                              int(recs), int(recs_review), int(fields_review), errors, flagged))
    return out


def now() -> datetime:
    return utcnow()
