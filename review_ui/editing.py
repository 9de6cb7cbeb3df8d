"""Write side of review: field corrections, added fields, kind, approve/reject.

Every change runs the same three steps in one transaction: a compare-and-swap
on ``records.version`` (the version the reviewer's page was built from), the
change itself, and a ``FieldHistory`` row per changed value. A stale version
raises :class:`Conflict` carrying what the other reviewer changed, so the second
save is refused loudly instead of silently overwriting the first.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dangan.runtime import Runtime
from records.db import FieldHistory, FieldRow, RecordRow, utcnow
from records.export import iter_contract
from records.model import Kind, RecordStatus, check_field_key
from records.normalize import EMPTY, normalize_field
from review_ui.accounts import Principal
from review_ui.queries import HistoryView, history_since

log = logging.getLogger(__name__)


class Conflict(Exception):
    """Someone else saved this record since the reviewer loaded it."""

    def __init__(self, current_version: int, changes: list[HistoryView]) -> None:
        who = sorted({c.actor for c in changes}) or ["someone"]
        super().__init__(f"{', '.join(who)} changed this record meanwhile "
                         f"(now version {current_version}); your change was not saved")
        self.current_version = current_version
        self.changes = changes


class EditError(ValueError):
    """The change itself is wrong (bad value, unknown field): answered 422."""


def bump_version(s: Session, rec: RecordRow, version: int, seen_history_id: int,
                 user: Principal) -> int:
    """Compare-and-swap the record's version; the new version, or :class:`Conflict`."""
    res = s.execute(update(RecordRow)
                    .where(RecordRow.id == rec.id, RecordRow.version == version)
                    .values(version=RecordRow.version + 1, updated_at=utcnow())
                    .execution_options(synchronize_session=False))
    if getattr(res, "rowcount", 0) != 1:
        current = s.scalar(select(RecordRow.version).where(RecordRow.id == rec.id)) or 0
        raise Conflict(int(current), history_since(s, rec.id, seen_history_id, user))
    s.refresh(rec)
    return rec.version


def audit(s: Session, record_id: str, key: str, action: str, old: Any, new: Any,
          actor: str) -> None:
    s.add(FieldHistory(record_id=record_id, key=key, action=action, old_value=old,
                       new_value=new, actor=actor))


def rescore(s: Session, rec: RecordRow) -> None:
    """Same rule as extraction: the record is as doubtful as its weakest open field."""
    s.flush()
    fields = list(s.scalars(select(FieldRow).where(FieldRow.record_id == rec.id)))
    rec.review_score = min((f.confidence if not f.needs_review else f.confidence / 2
                            for f in fields), default=1.0)


def _normalized(key: str, raw: str) -> tuple[Any, str | None]:
    norm = normalize_field(key, raw)
    problems = [p for p in norm.problems if p != EMPTY]
    if problems:
        raise EditError(f"{key}: {'; '.join(problems)} ({raw!r})")
    return norm.value, (norm.original or None)


def save_field(s: Session, user: Principal, rec: RecordRow, key: str, raw: str, version: int,
               seen_history_id: int) -> dict[str, Any]:
    """Correct (or confirm) one field: the reviewer's text becomes the field's reading."""
    check_field_key(key)
    f = s.scalar(select(FieldRow).where(FieldRow.record_id == rec.id, FieldRow.key == key))
    if f is None:
        raise EditError(f"{key}: the record has no such field; add it first")
    value, original = _normalized(key, raw)
    new_version = bump_version(s, rec, version, seen_history_id, user)
    changed = value != f.value or original != f.original
    if changed:
        audit(s, rec.id, key, "correct", f.value, value, user.username)
    elif f.needs_review:
        audit(s, rec.id, key, "accept", f.value, value, user.username)
    f.value, f.original, f.needs_review, f.reasons = value, original, False, []
    f.confidence = 1.0  # a person read it
    rescore(s, rec)
    return {"key": key, "value": value, "original": original, "version": new_version}


def add_field(s: Session, user: Principal, rec: RecordRow, key: str, raw: str, version: int,
              seen_history_id: int) -> dict[str, Any]:
    """A field the extractor missed; unknown keys raise ``UnknownFieldError``."""
    check_field_key(key)
    if s.scalar(select(FieldRow.id).where(FieldRow.record_id == rec.id, FieldRow.key == key)):
        raise EditError(f"{key}: the record has this field already; correct it instead")
    value, original = _normalized(key, raw)
    new_version = bump_version(s, rec, version, seen_history_id, user)
    s.add(FieldRow(record_id=rec.id, key=key, value=value, original=original, confidence=1.0,
                   needs_review=False, reasons=[], bbox=None))
    audit(s, rec.id, key, "add", None, value, user.username)
    rescore(s, rec)
    return {"key": key, "value": value, "version": new_version}


def change_kind(s: Session, user: Principal, rec: RecordRow, kind: str, version: int,
                seen_history_id: int) -> int:
    try:
        new = Kind(kind).value
    except ValueError as e:
        raise EditError(f"unknown kind {kind!r}: use marriage, divorce or adoption") from e
    if new == Kind.ADOPTION.value and not user.may_see_adoption:
        raise EditError("making a record an adoption record needs the adoption permission")
    new_version = bump_version(s, rec, version, seen_history_id, user)
    if new != rec.kind:
        audit(s, rec.id, "kind", "kind", rec.kind, new, user.username)
        rec.kind = new
    return new_version


def set_status(s: Session, user: Principal, rec: RecordRow, status: RecordStatus,
               version: int, seen_history_id: int, *, action: str | None = None) -> int:
    """Approve or reject: the reviewer vouches for every field, so none stays open."""
    new_version = bump_version(s, rec, version, seen_history_id, user)
    audit(s, rec.id, "status", action or status.value, rec.status, status.value, user.username)
    rec.status = status.value
    rec.reviewed_by, rec.reviewed_at = user.username, utcnow()
    if status is RecordStatus.APPROVED:
        for f in s.scalars(select(FieldRow).where(FieldRow.record_id == rec.id,
                                                  FieldRow.needs_review.is_(True))):
            f.needs_review = False
        rescore(s, rec)
    return new_version


def reindex(rt: Runtime, record_ids: list[str]) -> bool:
    """Push the records' current state to the search index; False if that failed.

    The database stays the truth: a failed push leaves ``indexed_version`` behind
    ``version``, which ``dangan index`` catches up on."""
    if not record_ids:
        return True
    with rt.db.session() as s:
        docs = list(iter_contract(s, record_ids=record_ids, include_book=True))
        versions = dict(s.execute(select(RecordRow.id, RecordRow.version)
                                  .where(RecordRow.id.in_(record_ids))).all())
    try:
        rt.search().index(docs, refresh=True)
    except Exception:
        log.exception("re-indexing %s failed", record_ids)
        return False
    with rt.db.session() as s:
        for rid, v in versions.items():
            s.execute(update(RecordRow).where(RecordRow.id == rid, RecordRow.version == v)
                      .values(indexed_version=v).execution_options(synchronize_session=False))
    return True
