"""Record-level structural fixes: split one record in two, merge two into one.

Both run like every other edit (``editing``): one transaction, a compare-and-swap
on the version of *every* record they change, ``FieldHistory`` rows for every
moved or replaced value (actions ``split`` and ``merge``), and ``reviewed_by`` set
on the records they leave behind, so ``replace_page_records`` keeps them when the
page is extracted again.

**Split**: chosen fields move, as they are (value, reading, confidence, box), into
a new record on the same page, at the next free slot of that page (a new stable
id from ``record_id_for``); the new record needs review.

**Merge**: the second record's fields fill the first one's missing (or unread)
keys; where both hold different values the first one's stays unless the reviewer
chose the second's, and every such key is listed in the answer. The second
record is deleted (its fields, as they were, are kept in its audit row
``merged_into``), so export and search no longer see it. The second record may sit
on the same page or be the continuation on the next page of the same file; boxes
of fields taken from another page are dropped (they would be drawn on the wrong
scan), their readings are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from indexing.access import mask_id
from national.db import SentRecord
from records.db import FieldHistory, FieldRow, Page, RecordRow, utcnow
from records.model import FIELD_KEYS, ID_FIELDS, Kind, RecordStatus, check_field_key
from records.repository import (
    MERGED_INTO,  # audit row of a record merged away
    record_id_for,
)
from review_ui.accounts import Principal
from review_ui.editing import Conflict, EditError, audit, bump_version, rescore
from review_ui.queries import ADOPTION
from review_ui.structure import _check_idle

SPLIT, MERGE = "split", "merge"
FIRST, SECOND = "first", "second"
RECORD_KEY = "record"  # audit rows about the whole record (old -> new record id)

_ORDER = {k: i for i, k in enumerate(FIELD_KEYS)}
_SUMMARY_KEYS = ("male_name", "female_name", "adopter_name", "adoptee_name",
                 "registration_date", "certificate_no")


class OtherConflict(Conflict):
    """The *other* record of a merge was changed since the reviewer loaded it."""

    def __init__(self, record_id: str, inner: Conflict) -> None:
        super().__init__(inner.current_version, inner.changes)
        self.record_id = record_id
        self.args = (f"the other record ({record_id}): {inner}",)


def _masked(key: str, value: Any, user: Principal) -> Any:
    if key in ID_FIELDS and not user.may_see_ids and isinstance(value, str):
        return mask_id(value)
    return value


def _check_editable(rec: RecordRow) -> None:
    if rec.status == RecordStatus.REJECTED.value:
        raise EditError(f"record {rec.id} was rejected; it can no longer be changed here")


def _fields(s: Session, record_id: str) -> dict[str, FieldRow]:
    return {f.key: f for f in s.scalars(select(FieldRow).where(FieldRow.record_id == record_id))}


def _page(s: Session, rec: RecordRow) -> Page:
    page = s.get(Page, rec.page_id)
    if page is None:  # pragma: no cover - records reference pages
        raise EditError(f"the page of record {rec.id} is missing")
    return page


def _union(boxes: Iterable[list[Any] | None]) -> list[float] | None:
    got = [b for b in boxes if b and len(b) == 4]
    if not got:
        return None
    return [min(float(b[0]) for b in got), min(float(b[1]) for b in got),
            max(float(b[2]) for b in got), max(float(b[3]) for b in got)]


def _mark_reviewed(rec: RecordRow, user: Principal) -> None:
    rec.reviewed_by, rec.reviewed_at = user.username, utcnow()


def _status_after(s: Session, rec: RecordRow) -> None:
    """An auto-accepted record that now holds a doubtful field needs review."""
    s.flush()
    doubtful = s.scalar(select(func.count()).select_from(FieldRow).where(
        FieldRow.record_id == rec.id, FieldRow.needs_review.is_(True))) or 0
    if doubtful and rec.status == RecordStatus.AUTO_ACCEPTED.value:
        rec.status = RecordStatus.NEEDS_REVIEW.value


def free_slot(s: Session, page: Page, rec: RecordRow) -> tuple[str, int]:
    """The next slot of ``page`` whose stable id was never used (no record, no history)."""
    slot = int(s.scalar(select(func.max(RecordRow.slot)).where(RecordRow.page_id == page.id))
               or 0) + 1
    while True:
        rid = record_id_for(page.file_sha256, page.page_no, rec.half, rec.row, slot)
        used = s.get(RecordRow, rid) is not None or s.scalar(
            select(FieldHistory.id).where(FieldHistory.record_id == rid).limit(1))
        if not used:
            return rid, slot
        slot += 1


# --------------------------------------------------------------------------- split


def split_record(s: Session, user: Principal, rec: RecordRow, keys: Sequence[str],
                 version: int, seen_history_id: int, kind: str | None = None
                 ) -> dict[str, Any]:
    """Move ``keys`` of ``rec`` into a new record on the same page; its id in ``new_id``."""
    _check_editable(rec)
    wanted = list(dict.fromkeys(k.strip() for k in keys if k and k.strip()))
    if not wanted:
        raise EditError("choose the fields that belong to the new record")
    for k in wanted:
        check_field_key(k)
    fields = _fields(s, rec.id)
    missing = [k for k in wanted if k not in fields]
    if missing:
        raise EditError(f"{', '.join(missing)}: the record has no such field")
    if len(wanted) == len(fields):
        raise EditError("leave at least one field in this record "
                        "(to change what the whole record is, change its kind)")
    try:
        new_kind = Kind(kind or rec.kind).value
    except ValueError as e:
        raise EditError(f"unknown kind {kind!r}: use marriage, divorce or adoption") from e
    if new_kind == ADOPTION and not user.may_see_adoption:
        raise EditError("making a record an adoption record needs the adoption permission")
    page = _page(s, rec)
    _check_idle(page)
    new_version = bump_version(s, rec, version, seen_history_id, user)
    new_id, slot = free_slot(s, page, rec)
    moved = sorted((fields[k] for k in wanted), key=lambda f: _ORDER.get(f.key, 999))
    new = RecordRow(id=new_id, page_id=rec.page_id, book_id=rec.book_id, kind=new_kind,
                    status=RecordStatus.NEEDS_REVIEW.value, half=rec.half, row=rec.row,
                    slot=slot, bbox=_union(f.bbox for f in moved), version=1)
    _mark_reviewed(new, user)
    s.add(new)
    s.flush()  # the record first: fields reference it
    who = user.username
    audit(s, rec.id, RECORD_KEY, SPLIT, rec.id, new_id, who)
    audit(s, new_id, RECORD_KEY, SPLIT, rec.id, new_id, who)
    if new_kind != rec.kind:
        audit(s, new_id, "kind", SPLIT, rec.kind, new_kind, who)
    for f in moved:
        audit(s, rec.id, f.key, SPLIT, f.value, None, who)
        audit(s, new_id, f.key, SPLIT, None, f.value, who)
        f.record_id = new_id
    _mark_reviewed(rec, user)
    rescore(s, rec)
    rescore(s, new)
    return {"id": rec.id, "version": new_version, "new_id": new_id, "new_kind": new_kind,
            "moved": [f.key for f in moved]}


# --------------------------------------------------------------------------- merge


def check_mergeable(s: Session, first: RecordRow, second: RecordRow) -> tuple[Page, Page]:
    """The two pages, or :class:`EditError` saying why these two cannot be merged."""
    if first.id == second.id:
        raise EditError("a record cannot be merged with itself")
    _check_editable(first)
    _check_editable(second)
    if first.kind != second.kind:
        raise EditError(f"the records are of different kinds ({first.kind}, {second.kind}): "
                        f"change one record's kind first")
    p1, p2 = _page(s, first), _page(s, second)
    if p1.id != p2.id and not (p2.file_sha256 == p1.file_sha256
                               and p2.page_no == p1.page_no + 1):
        raise EditError("only records on the same page, or a record continued on the next "
                        "page of the same file, can be merged (open the earlier record and "
                        "merge the later one into it)")
    sent = s.scalar(select(SentRecord.batch_id).where(SentRecord.record_id == second.id))
    if sent:
        raise EditError(f"record {second.id} was already sent to the national system "
                        f"(batch {sent}); it cannot be merged away")
    return p1, p2


@dataclass(frozen=True, slots=True)
class MergeRow:
    """One key of a merge preview: what each record holds and what will happen."""

    key: str
    first: Any
    second: Any
    outcome: str  # keep | add | fill | conflict | same


def _outcome(a: FieldRow | None, b: FieldRow | None) -> str:
    if b is None:
        return "keep"
    if a is None:
        return "add"
    if a.value == b.value or b.value is None:
        return "same" if a.value == b.value else "keep"
    if a.value is None:
        return "fill"
    return "conflict"


def merge_preview(s: Session, user: Principal, first: RecordRow, second: RecordRow
                  ) -> list[MergeRow]:
    f1, f2 = _fields(s, first.id), _fields(s, second.id)
    keys = sorted(set(f1) | set(f2), key=lambda k: _ORDER.get(k, 999))
    out = []
    for k in keys:
        a, b = f1.get(k), f2.get(k)
        out.append(MergeRow(k, _masked(k, a.value, user) if a else None,
                            _masked(k, b.value, user) if b else None, _outcome(a, b)))
    return out


def merge_records(s: Session, user: Principal, first: RecordRow, second: RecordRow,
                  version: int, seen_history_id: int, other_version: int, other_seen: int,
                  choices: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge ``second`` into ``first``; ``choices``: key -> ``first``/``second`` for conflicts."""
    choices = dict(choices or {})
    bad = {k: v for k, v in choices.items() if v not in (FIRST, SECOND)}
    if bad:
        raise EditError(f"choose 'first' or 'second' for each conflicting field (got {bad})")
    p1, p2 = check_mergeable(s, first, second)
    _check_idle(p1)
    _check_idle(p2)
    same_page = p1.id == p2.id
    # compare-and-swap both, in id order: two reviewers merging the same pair from
    # either side lock the rows in the same order (no deadlock on PostgreSQL)
    new_version = 0
    for rec, v, seen in sorted(((first, version, seen_history_id),
                                (second, other_version, other_seen)), key=lambda t: t[0].id):
        try:
            bumped = bump_version(s, rec, v, seen, user)
        except Conflict as e:
            if rec is second:
                raise OtherConflict(second.id, e) from e
            raise
        if rec is first:
            new_version = bumped
    who = user.username
    f1, f2 = _fields(s, first.id), _fields(s, second.id)
    snapshot = {k: {"value": f.value, "original": f.original,
                    "confidence": float(f.confidence), "needs_review": bool(f.needs_review)}
                for k, f in sorted(f2.items(), key=lambda kv: _ORDER.get(kv[0], 999))}
    added: list[str] = []
    conflicts: list[dict[str, Any]] = []
    drop: list[FieldRow] = []
    for key in sorted(f2, key=lambda k: _ORDER.get(k, 999)):
        a, b = f1.get(key), f2[key]
        outcome = _outcome(a, b)
        if a is None:
            audit(s, first.id, key, MERGE, None, b.value, who)
            b.record_id = first.id
            if not same_page:
                b.bbox = None
            added.append(key)
            continue
        take = outcome == "fill"
        if outcome == "conflict":
            choice = choices.get(key, FIRST)
            conflicts.append({"key": key, "first": _masked(key, a.value, user),
                              "second": _masked(key, b.value, user), "kept": choice})
            take = choice == SECOND
        if take:
            audit(s, first.id, key, MERGE, a.value, b.value, who)
            a.value, a.original, a.confidence = b.value, b.original, b.confidence
            a.needs_review, a.reasons = b.needs_review, list(b.reasons or [])
            a.bbox = b.bbox if same_page else None
            added.append(key)
        drop.append(b)
    for b in drop:
        s.delete(b)
    s.flush()
    audit(s, first.id, RECORD_KEY, MERGE, second.id, first.id, who)
    audit(s, second.id, MERGED_INTO, MERGE, snapshot, first.id, who)
    if same_page and first.bbox and second.bbox:
        first.bbox = _union([first.bbox, second.bbox])
    s.delete(second)
    _mark_reviewed(first, user)
    _status_after(s, first)
    rescore(s, first)
    return {"id": first.id, "version": new_version, "removed": second.id, "taken": added,
            "conflicts": conflicts}


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record the current one may be merged with, as the merge menu shows it."""

    id: str
    kind: str
    where: str  # 本页 / 下一页
    summary: str


def merge_candidates(s: Session, rec: RecordRow, user: Principal) -> list[Candidate]:
    """Same-kind records on the same page or on the next page of the same file."""
    page = s.get(Page, rec.page_id)
    if page is None:
        return []
    nxt = s.scalar(select(Page.id).where(Page.file_sha256 == page.file_sha256,
                                         Page.page_no == page.page_no + 1))
    q = select(RecordRow).where(
        or_(RecordRow.page_id == page.id, RecordRow.page_id == (nxt or "")),
        RecordRow.id != rec.id, RecordRow.kind == rec.kind,
        RecordRow.status != RecordStatus.REJECTED.value)
    if not user.may_see_adoption:
        q = q.where(RecordRow.kind != ADOPTION)
    recs = list(s.scalars(q.order_by(RecordRow.page_id != page.id, RecordRow.half,
                                     RecordRow.row, RecordRow.slot)))
    values: dict[str, dict[str, Any]] = {r.id: {} for r in recs}
    for rid, key, value in s.execute(select(FieldRow.record_id, FieldRow.key, FieldRow.value)
                                     .where(FieldRow.record_id.in_(list(values)),
                                            FieldRow.key.in_(_SUMMARY_KEYS))):
        values[rid][key] = value
    out = []
    for r in recs:
        parts = [str(values[r.id][k]) for k in _SUMMARY_KEYS if values[r.id].get(k)]
        where = "本页" if r.page_id == page.id else "下一页"
        if r.row is not None:
            where += f" 第{r.row}行"
        out.append(Candidate(r.id, r.kind, where, " ".join(parts[:3]) or r.id[:8]))
    return out
