"""Read side: the review queue and everything a record page shows.

Adoption records are filtered *in the query* for viewers without the adoption
permission, and a hidden record answers 404 exactly like a missing one, so a URL
never tells whether such a record exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException
from sqlalchemy import Select, exists, func, select, tuple_
from sqlalchemy.orm import Session

from indexing.access import mask_id
from records.db import Book, FieldHistory, FieldRow, OcrResult, Page, RecordRow, SourceFile
from records.model import FIELD_KEYS, ID_FIELDS, Kind, RecordStatus
from review_ui.accounts import Principal
from review_ui.iiif import ImageRef, crop_region, image_id_for

_ORDER = {k: i for i, k in enumerate(FIELD_KEYS)}
ADOPTION = Kind.ADOPTION.value


def not_found() -> HTTPException:
    return HTTPException(404, "not found")


def page_has_adoption(s: Session, page_id: str) -> bool:
    page_kind = s.scalar(select(Page.kind).where(Page.id == page_id))
    return page_kind == ADOPTION or bool(s.scalar(select(exists().where(
        RecordRow.page_id == page_id, RecordRow.kind == ADOPTION))))


def record_or_404(s: Session, record_id: str, user: Principal) -> RecordRow:
    rec = s.get(RecordRow, record_id)
    if rec is None or (rec.kind == ADOPTION and not user.may_see_adoption):
        raise not_found()
    return rec


def page_or_404(s: Session, page_id: str, user: Principal) -> Page:
    page = s.get(Page, page_id)
    if page is None or (not user.may_see_adoption and page_has_adoption(s, page_id)):
        raise not_found()
    return page


def image_key(s: Session, ref: ImageRef) -> str | None:
    """Blob key of the picture an image id names (None: not there, e.g. not OCRed yet)."""
    if ref.variant == "orig":
        return s.scalar(select(Page.image_path).where(Page.id == ref.page_id))
    data = s.scalar(select(OcrResult.data).where(OcrResult.page_id == ref.page_id,
                                                 OcrResult.half == ref.half))
    key = data.get("image") if isinstance(data, dict) else None
    return str(key) if key else None


# --------------------------------------------------------------------------- queue


@dataclass(frozen=True, slots=True)
class QueueFilter:
    book: str | None = None
    kind: str | None = None
    field: str | None = None


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: str
    kind: str
    book: str
    file_name: str
    page_no: int
    row: int | None
    review_score: float
    keys: list[str]


def _queue_query(user: Principal, f: QueueFilter) -> Select[Any]:
    q = select(RecordRow).where(RecordRow.status == RecordStatus.NEEDS_REVIEW.value)
    if not user.may_see_adoption:
        q = q.where(RecordRow.kind != ADOPTION)
    if f.book:
        q = q.where(RecordRow.book_id == f.book)
    if f.kind:
        q = q.where(RecordRow.kind == f.kind)
    if f.field:
        q = q.where(exists().where(FieldRow.record_id == RecordRow.id, FieldRow.key == f.field,
                                   FieldRow.needs_review.is_(True)))
    return q


def queue(s: Session, user: Principal, f: QueueFilter, limit: int = 50, offset: int = 0
          ) -> tuple[list[QueueItem], int]:
    """Records needing review, most doubtful (lowest review_score) first."""
    base = _queue_query(user, f)
    total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = list(s.scalars(base.order_by(RecordRow.review_score, RecordRow.id)
                          .limit(limit).offset(offset)))
    ids = [r.id for r in rows]
    keys: dict[str, list[str]] = {i: [] for i in ids}
    for rid, key in s.execute(select(FieldRow.record_id, FieldRow.key).where(
            FieldRow.record_id.in_(ids), FieldRow.needs_review.is_(True))):
        keys[rid].append(key)
    where = {pid: (name, int(no)) for pid, name, no in s.execute(
        select(Page.id, SourceFile.original_name, Page.page_no)
        .join(SourceFile, Page.file_sha256 == SourceFile.sha256)
        .where(Page.id.in_({r.page_id for r in rows})))}
    books = dict(s.execute(select(Book.id, Book.name)
                           .where(Book.id.in_({r.book_id for r in rows}))).all())
    out = []
    for r in rows:
        name, page_no = where.get(r.page_id, ("", 0))
        out.append(QueueItem(r.id, r.kind, books.get(r.book_id, ""), name, page_no,
                             r.row, float(r.review_score),
                             sorted(keys[r.id], key=lambda k: _ORDER.get(k, 999))))
    return out, int(total)


def next_in_queue(s: Session, user: Principal, f: QueueFilter, current: str | None) -> str | None:
    """The record after ``current`` in queue order, wrapping to the first."""
    base = _queue_query(user, f).order_by(RecordRow.review_score, RecordRow.id)
    cur = s.get(RecordRow, current) if current else None
    if cur is not None:
        after = base.where(tuple_(RecordRow.review_score, RecordRow.id) >
                           tuple_(cur.review_score, cur.id)).limit(1)
        nxt = s.scalar(after)
        if nxt is not None:
            return nxt.id
    first = s.scalar(base.where(RecordRow.id != (current or "")).limit(1))
    return first.id if first is not None else None


# --------------------------------------------------------------------------- record page


@dataclass(frozen=True, slots=True)
class FieldView:
    key: str
    value: Any
    original: str | None
    confidence: float
    needs_review: bool
    reasons: list[str]
    bbox: list[float] | None
    crop: str | None  # IIIF region of the field's source, with a margin
    masked: bool = False


@dataclass(frozen=True, slots=True)
class HistoryView:
    id: int
    key: str
    action: str
    old: Any
    new: Any
    actor: str
    at: str


@dataclass
class RecordPage:
    rec: RecordRow
    page: Page
    book: Book
    file_name: str
    image_id: str
    fields: list[FieldView]
    history: list[HistoryView]
    last_history_id: int
    missing_keys: list[str] = field(default_factory=list)
    siblings: list[tuple[str, str]] = field(default_factory=list)  # other records on the page

    @property
    def source(self) -> str:
        s = f"{self.file_name} 第{self.page.page_no}页"
        if self.rec.half:
            s += f" ({'左' if self.rec.half == 'left' else '右'}半页)"
        if self.rec.row is not None:
            s += f" 第{self.rec.row}行"
        return s


def _masked(key: str, value: Any, user: Principal) -> tuple[Any, bool]:
    if key in ID_FIELDS and not user.may_see_ids and isinstance(value, str):
        return mask_id(value), True
    return value, False


def history_view(h: FieldHistory, user: Principal) -> HistoryView:
    old, _ = _masked(h.key, h.old_value, user)
    new, _ = _masked(h.key, h.new_value, user)
    return HistoryView(h.id, h.key, h.action, old, new, h.actor,
                       h.at.strftime("%Y-%m-%d %H:%M:%S"))


def _aspect(ocr_data: Any) -> float:
    """Width / height of the region image an OcrResult's boxes are relative to."""
    try:
        w, h = float(ocr_data["width"]), float(ocr_data["height"])
    except (KeyError, TypeError, ValueError):
        return 1.0
    return w / h if w > 0 and h > 0 else 1.0


def load_record_page(s: Session, rec: RecordRow, user: Principal) -> RecordPage:
    page = s.get(Page, rec.page_id)
    book = s.get(Book, rec.book_id)
    if page is None or book is None:
        raise not_found()
    file_name = s.scalar(select(SourceFile.original_name)
                         .where(SourceFile.sha256 == page.file_sha256)) or ""
    # Field boxes are relative to the cleaned region image OCR read (rotated, deskewed,
    # one half of a spread), so boxes and crops are only drawn over that picture; without
    # it the viewer shows the scan as ingested, and no boxes.
    ocr_data = s.scalar(select(OcrResult.data).where(OcrResult.page_id == page.id,
                                                     OcrResult.half == (rec.half or "")))
    has_clean = isinstance(ocr_data, dict) and bool(ocr_data.get("image"))
    image_id = image_id_for(page.id, rec.half) if has_clean else f"{page.id}.orig"
    aspect = _aspect(ocr_data) if has_clean else 1.0
    fields = []
    for f in sorted(s.scalars(select(FieldRow).where(FieldRow.record_id == rec.id)),
                    key=lambda f: _ORDER.get(f.key, 999)):
        value, masked = _masked(f.key, f.value, user)
        original, _ = _masked(f.key, f.original, user)
        fields.append(FieldView(
            f.key, value, original, float(f.confidence), bool(f.needs_review),
            [str(r) for r in f.reasons or []], f.bbox if has_clean else None,
            None if masked or not has_clean else crop_region(f.bbox, aspect), masked))
    hist = list(s.scalars(select(FieldHistory).where(FieldHistory.record_id == rec.id)
                          .order_by(FieldHistory.id.desc()).limit(50)))
    last = s.scalar(select(func.max(FieldHistory.id))
                    .where(FieldHistory.record_id == rec.id)) or 0
    have = {f.key for f in fields}
    sib_q = select(RecordRow.id, RecordRow.kind).where(RecordRow.page_id == page.id,
                                                       RecordRow.id != rec.id)
    if not user.may_see_adoption:
        sib_q = sib_q.where(RecordRow.kind != ADOPTION)
    return RecordPage(
        rec=rec, page=page, book=book, file_name=file_name, image_id=image_id, fields=fields,
        history=[history_view(h, user) for h in hist], last_history_id=int(last),
        missing_keys=[k for k in FIELD_KEYS if k not in have],
        siblings=[(i, k) for i, k in s.execute(sib_q.order_by(RecordRow.slot, RecordRow.row))],
    )


def history_since(s: Session, record_id: str, after_id: int, user: Principal
                  ) -> list[HistoryView]:
    return [history_view(h, user) for h in s.scalars(
        select(FieldHistory).where(FieldHistory.record_id == record_id,
                                   FieldHistory.id > after_id).order_by(FieldHistory.id))]

