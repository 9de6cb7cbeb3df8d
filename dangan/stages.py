"""The work done for one page, stage by stage. Messages carry page ids only.

Each stage claims the page in the database first (a lease), so a stage that runs
twice for the same page — a redelivered message, a second worker — does nothing
the second time. Expected failures (a bad scan) end in ``failed`` and are not
retried; anything else is released and raised so dramatiq retries it with backoff,
and after the last attempt the page is ``dead`` with its error, until `dangan retry`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from sqlalchemy import delete, select, update

from dangan.runtime import Runtime
from ingest.cleanup import CleanPage, clean_page
from ingest.errors import IngestError
from ocr.types import OcrPage
from records.db import Book, FieldRow, OcrResult, Page, PageState, RecordRow
from records.export import iter_contract
from records.model import BookContext, Kind, PageType
from records.repository import (
    claim_page,
    extend_lease,
    finish_page,
    release_page,
    replace_page_records,
    save_ocr,
)

log = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass(frozen=True, slots=True)
class StageResult:
    page_id: str
    ran: bool  # False: someone else owns the page or it is past this stage
    state: PageState | None = None
    next_stage: str | None = None


class TransientError(Exception):
    """Worth retrying (a database hiccup, a full disk being cleaned)."""


def _decode(data: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise IngestError("the page image cannot be decoded", "re-scan the page")
    return img


def _clean_key(page: Page, half: str | None) -> str:
    base = page.image_path.rsplit("/", 1)[0] if page.image_path else f"pages/{page.id}"
    return f"{base}/clean-v{page.image_version}-{half or 'full'}.jpg"


def run_ocr(rt: Runtime, page_id: str, owner: str | None = None) -> StageResult:
    """OCR one page if nobody else is; ``owner`` names the lease (default: this thread)."""
    owner = owner or worker_id()
    with rt.db.session() as s:
        if not claim_page(s, page_id, PageState.OCR_RUNNING, owner, rt.settings.lease_seconds):
            return StageResult(page_id, False)
        page = s.get(Page, page_id)
        assert page is not None and page.image_path
        attempts = page.attempts
    try:
        with LeaseHeartbeat(rt, page_id, PageState.OCR_RUNNING, owner):
            return _ocr(rt, page_id, owner)
    except IngestError as e:
        return _fail(rt, page_id, owner, PageState.OCR_RUNNING, str(e))
    except Exception as e:
        _retry_or_dead(rt, page_id, owner, PageState.OCR_RUNNING, PageState.PENDING, e, attempts)
        raise


def _ocr(rt: Runtime, page_id: str, owner: str) -> StageResult:
    from ocr.engine import read_region

    t0 = time.perf_counter()
    with rt.db.session() as s:
        page = s.get(Page, page_id)
        assert page is not None and page.image_path
        image_key, cleanup = page.image_path, dict(page.cleanup or {})
    img = _decode(rt.blobs.read_bytes(image_key))
    engine = rt.engine()
    probably_blank = bool(cleanup.get("quality", {}).get("probably_blank"))
    cleaned = clean_page(img, engine, probably_blank=probably_blank)  # type: ignore[arg-type]
    # clean-up's text boxes are where the lines are: recognition only, no second detection
    pages = [] if cleaned.blank else [
        (r.half, r.image, read_region(engine, r.image, r.boxes)) for r in cleaned.regions]
    with rt.db.session() as s:
        page = s.get(Page, page_id)
        assert page is not None
        cleanup["steps"] = [st.as_dict() for st in cleaned.steps]
        # a re-scan may no longer be a spread (or newly one): no stale halves survive
        s.execute(delete(OcrResult).where(OcrResult.page_id == page_id))
        for half, image, ocr in pages:
            key = _clean_key(page, half)
            _ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            rt.blobs.put_bytes(key, buf.tobytes())
            data = ocr.to_dict()
            data["image"] = key
            save_ocr(s, page_id, half or "", ocr.engine, data, ocr.char_count, ocr.seconds)
        seconds = time.perf_counter() - t0
        if cleaned.blank:
            done = finish_page(s, page_id, PageState.OCR_RUNNING, owner, PageState.DONE,
                               cleanup=cleanup, page_type=str(PageType.BLANK), seconds=seconds,
                               error=None)
            return StageResult(page_id, done, PageState.DONE)
        done = finish_page(s, page_id, PageState.OCR_RUNNING, owner, PageState.OCR_DONE,
                           cleanup=_with_vertical(cleanup, cleaned), seconds=seconds,
                           error=None)
    return StageResult(page_id, done, PageState.OCR_DONE, "extract" if done else None)


def _with_vertical(cleanup: dict[str, Any], cleaned: CleanPage) -> dict[str, Any]:
    if cleaned.vertical_text:
        cleanup["vertical_text"] = True
    return cleanup


def book_context(book: Book | None) -> BookContext:
    if book is None:
        return BookContext()
    return BookContext(archive_ref=book.archive_ref, volume=book.volume,
                       year_from=book.year_from, year_to=book.year_to,
                       registry_office=book.registry_office,
                       kind=Kind(book.kind) if book.kind else None)


def run_extract(rt: Runtime, page_id: str, owner: str | None = None) -> StageResult:
    owner = owner or worker_id()
    with rt.db.session() as s:
        if not claim_page(s, page_id, PageState.EXTRACT_RUNNING, owner,
                          rt.settings.lease_seconds):
            return StageResult(page_id, False)
        page = s.get(Page, page_id)
        assert page is not None
        attempts = page.attempts
    try:
        with LeaseHeartbeat(rt, page_id, PageState.EXTRACT_RUNNING, owner):
            return _extract(rt, page_id, owner)
    except IngestError as e:
        return _fail(rt, page_id, owner, PageState.EXTRACT_RUNNING, str(e))
    except Exception as e:
        _retry_or_dead(rt, page_id, owner, PageState.EXTRACT_RUNNING, PageState.OCR_DONE, e,
                       attempts)
        raise


def _extract(rt: Runtime, page_id: str, owner: str) -> StageResult:
    from extraction import extract_page

    with rt.db.session() as s:
        page = s.get(Page, page_id)
        assert page is not None
        ctx = book_context(s.get(Book, page.book_id))
        ocrs = [(r.half or None, dict(r.data)) for r in
                s.scalars(select(OcrResult).where(OcrResult.page_id == page_id))]
    results = []
    for half, data in ocrs:
        img = _decode(rt.blobs.read_bytes(data["image"])) if data.get("image") else None
        ocr = OcrPage.from_dict(data)
        results.append((half, extract_page(ocr, img, book=ctx, kind_hint=ctx.kind,
                                           engine=rt.engine())))
    with rt.db.session() as s:
        page = s.get(Page, page_id)
        assert page is not None
        records = [r if r.half or not half else _with_half(r, half)
                   for half, ex in results for r in ex.records]
        replace_page_records(s, page, records)
        types = [ex.page_type for _, ex in results]
        page_type = next((t for t in types if t.bears_records), types[0] if types else None)
        kinds = [ex.kind for _, ex in results if ex.kind]
        done = finish_page(s, page_id, PageState.EXTRACT_RUNNING, owner, PageState.DONE,
                           page_type=str(page_type) if page_type else None,
                           kind=str(kinds[0]) if kinds else None, error=None)
    return StageResult(page_id, done, PageState.DONE, "index" if done else None)


def _with_half(rec: Any, half: str) -> Any:
    from dataclasses import replace

    return replace(rec, half=half)


def run_index(rt: Runtime, page_id: str) -> int:
    """(Re-)index a page's records; idempotent (documents are keyed by record id)."""
    with rt.db.session() as s:
        docs = list(iter_contract(s, page_id=page_id, include_book=True))
        versions = dict(s.execute(select(RecordRow.id, RecordRow.version)
                                  .where(RecordRow.page_id == page_id)).tuples().all())
    backend = rt.search()
    n = backend.index(docs)
    with rt.db.session() as s:
        for rid, v in versions.items():
            s.execute(update(RecordRow).where(RecordRow.id == rid)
                      .values(indexed_version=v))
    return int(n)


def _fail(rt: Runtime, page_id: str, owner: str, running: PageState, msg: str) -> StageResult:
    log.warning("page %s failed: %s", page_id, msg)
    with rt.db.session() as s:
        finish_page(s, page_id, running, owner, PageState.FAILED, error=msg)
    return StageResult(page_id, True, PageState.FAILED)


def _retry_or_dead(rt: Runtime, page_id: str, owner: str, running: PageState,
                   back_to: PageState, err: Exception, attempts: int) -> None:
    """Give the page back for the retry, or dead-letter it after the last attempt.

    If the database is what failed, this fails too: the page then stays claimed by
    ``owner``, which the retried message (same owner) may take back at once, and
    anyone else once the lease expires.
    """
    msg = f"{type(err).__name__}: {err}"
    try:
        with rt.db.session() as s:
            if attempts >= rt.settings.max_attempts:
                log.error("page %s is dead after %d attempts: %s", page_id, attempts, msg)
                finish_page(s, page_id, running, owner, PageState.DEAD,
                            error=f"{msg} (after {attempts} attempts; `dangan retry` tries "
                                  "again)")
            else:
                log.warning("page %s, attempt %d: %s; will retry", page_id, attempts, msg)
                release_page(s, page_id, running, owner, back_to, error=msg)
    except Exception as e2:  # the original error is what gets retried
        log.warning("page %s: could not record the error (%s); its lease will expire",
                    page_id, e2)


class LeaseHeartbeat:
    """Extend a page's lease while its stage runs, so only dead workers lose pages.

    A thread renews the lease every third of its length. Leases can then be short
    (a killed worker's pages come back quickly) while a slow page on a loaded
    machine is never taken away from a live worker.
    """

    def __init__(self, rt: Runtime, page_id: str, running: PageState, owner: str) -> None:
        self.rt, self.page_id, self.running, self.owner = rt, page_id, running, owner
        self.every = max(0.5, rt.settings.lease_seconds / 3)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"lease-{page_id}")

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self.rt.db.session() as s:
                    held = extend_lease(s, self.page_id, self.running, self.owner,
                                        self.rt.settings.lease_seconds)
                if not held:
                    log.warning("page %s: lease lost (expired or taken over); the result "
                                "of this attempt will be discarded", self.page_id)
                    return
            except Exception as e:  # keep beating through a DB hiccup
                log.warning("page %s: lease heartbeat failed: %s", self.page_id, e)


__all__ = ["FieldRow", "StageResult", "TransientError", "run_extract", "run_index", "run_ocr"]
