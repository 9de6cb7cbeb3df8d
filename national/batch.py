"""Building one national batch: pick, validate, link, package, record.

Only ``approved`` and ``auto_accepted`` records that are in no accepted batch are
picked. Records that fail :mod:`national.validation` go back to review with the
reasons. Linked duplicates (``same_event``) go out once, as the best-reviewed
record, and the others are recorded as merged into it. The batch id is derived
from the records it carries, so a failed or re-run export produces the same
batch again instead of a second one, and ``national_sent``'s primary key makes
"a record is in at most one accepted batch" a database rule.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ingest.blobstore import BlobStore
from national.archive import Region, alto_xml, searchable_pdf
from national.db import BatchRecord, ExportBatch, RecordLink, SentRecord
from national.linkage import (
    CANDIDATE,
    CONFIRMED,
    SAME_EVENT,
    link_json,
    links_of,
    refresh_links,
    same_event_groups,
)
from national.mapping import NationalMapping
from national.package import publish, staging_dir, write_jsonl, write_manifest
from national.provenance import record_provenance
from national.validation import EXPORTABLE, Problem, export_problems
from ocr.types import OcrPage
from records.database import Database
from records.db import Book, FieldHistory, FieldRow, OcrResult, Page, RecordRow, SourceFile
from records.export import iter_contract
from records.model import BookContext, Kind

ACTOR = "national-export"
_HALF_ORDER = {"": 0, "left": 1, "right": 2}
_UNSAFE = re.compile(r"[^\w\-.]+")


@dataclass(frozen=True, slots=True)
class Held:
    """A record kept out of the batch, and why."""

    record_id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    batch_id: str | None
    path: Path | None
    exported: tuple[str, ...] = ()
    merged: Mapping[str, str] | None = None  # record id -> the record it was merged into
    failed_validation: tuple[Held, ...] = ()
    awaiting_link_review: tuple[Held, ...] = ()


@dataclass(frozen=True, slots=True)
class _Plan:
    exported: list[str]
    merged: dict[str, str]
    failed: list[Held]
    awaiting: list[Held]
    contracts: dict[str, dict[str, Any]]
    books: dict[str, dict[str, Any]]


def safe_ref(text: str) -> str:
    """An archive reference (档号) usable as a file name."""
    return _UNSAFE.sub("_", text).strip("_") or "book"


def _book_context(b: Mapping[str, Any]) -> BookContext:
    kind = b.get("kind")
    return BookContext(archive_ref=b.get("archive_ref"), year_from=b.get("year_from"),
                       year_to=b.get("year_to"), registry_office=b.get("registry_office"),
                       kind=Kind(kind) if kind in {k.value for k in Kind} else None)


def send_back_to_review(s: Session, record_id: str, problems: Sequence[Problem]) -> None:
    """Mark the record and its failing fields for review, with an audit entry each."""
    rec = s.get(RecordRow, record_id)
    if rec is None:
        return
    fields = {f.key: f for f in s.scalars(select(FieldRow).where(FieldRow.record_id == record_id))}
    old_status = rec.status
    rec.status, rec.version = "needs_review", rec.version + 1
    for p in problems:
        f = fields.get(p.key)
        if f is not None:
            f.needs_review = True
            f.reasons = [*list(f.reasons or []), p.reason] if p.reason not in (f.reasons or []) \
                else f.reasons
        s.add(FieldHistory(record_id=record_id, key=p.key if f is not None else "",
                           action="export_check_failed", old_value=old_status,
                           new_value=p.reason, actor=ACTOR))


def _pick_representative(ids: Iterable[str], contracts: Mapping[str, dict[str, Any]]) -> str:
    def rank(i: str) -> tuple[int, float, str]:
        c = contracts[i]
        conf = min((f["confidence"] for f in c["fields"].values()), default=0.0)
        return (0 if c["status"] == "approved" else 1, -conf, i)
    return min(ids, key=rank)


def plan_batch(s: Session, *, today: date | None = None) -> _Plan:
    refresh_links(s)
    sent = set(s.scalars(select(SentRecord.record_id)))
    ids = [i for i in s.scalars(select(RecordRow.id).where(RecordRow.status.in_(EXPORTABLE)))
           if i not in sent]
    contracts: dict[str, dict[str, Any]] = {}
    books: dict[str, dict[str, Any]] = {}
    for d in iter_contract(s, record_ids=ids, include_book=True):
        books[d["id"]] = d.pop("book")
        contracts[d["id"]] = d
    failed: list[Held] = []
    valid: list[str] = []
    for rid, c in contracts.items():
        problems = export_problems(c, _book_context(books[rid]), today)
        if problems:
            send_back_to_review(s, rid, problems)
            failed.append(Held(rid, tuple(f"{p.key}: {p.reason}" for p in problems)))
        else:
            valid.append(rid)
    valid_set = set(valid)
    links = links_of(s, valid)
    awaiting: dict[str, list[str]] = defaultdict(list)
    for lk in links:
        if lk.relation == SAME_EVENT and lk.status == CANDIDATE:
            for a, b in ((lk.record_a, lk.record_b), (lk.record_b, lk.record_a)):
                if a in valid_set:
                    awaiting[a].append(f"may be the same registration as {b} "
                                       f"({lk.evidence}): a reviewer must confirm or reject "
                                       f"link {lk.id}")
    all_same = s.scalars(select(RecordLink).where(RecordLink.relation == SAME_EVENT,
                                                  RecordLink.status == CONFIRMED))
    merged: dict[str, str] = {}
    for group in same_event_groups(all_same):
        already = sorted(group & sent)
        members = [i for i in group if i in valid_set and i not in awaiting]
        if not members:
            continue
        rep = already[0] if already else _pick_representative(members, contracts)
        for m in members:
            if m != rep:
                merged[m] = rep
    exported = [i for i in contracts if i in valid_set and i not in awaiting and i not in merged]
    return _Plan(exported, merged, failed,
                 [Held(k, tuple(v)) for k, v in awaiting.items()], contracts, books)


def batch_id_for(ids: Iterable[str]) -> str:
    return "NB-" + hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def book_regions(s: Session, blobs: BlobStore, book_id: str, ref: str) -> list[tuple[str, Region]]:
    """Every OCR'd clean image of a book in order, numbered 1.. (DA/T 31: 档号-NNNN)."""
    q = (select(OcrResult, Page.page_no, SourceFile.original_name, Page.id)
         .join(Page, OcrResult.page_id == Page.id)
         .join(SourceFile, Page.file_sha256 == SourceFile.sha256)
         .where(Page.book_id == book_id))
    rows = sorted(s.execute(q).all(),
                  key=lambda r: (r[2], r[1], _HALF_ORDER.get(r[0].half or "", 3)))
    out: list[tuple[str, Region]] = []
    for seq, (ocr, page_no, file_name, page_id) in enumerate(rows, 1):
        key = ocr.data.get("image")
        if not key or not blobs.exists(key):
            continue
        out.append((page_id, Region(f"{ref}-{seq:04d}", seq, blobs.path(key),
                                    OcrPage.from_dict(ocr.data), file_name, page_no,
                                    ocr.half or "")))
    return out


def write_package(s: Session, blobs: BlobStore, out: Path, batch_id: str, plan: _Plan,
                  mapping: NationalMapping, *, pdf: bool) -> Path:
    carried = plan.exported + list(plan.merged)
    recs = {r.id: r for r in s.scalars(select(RecordRow).where(RecordRow.id.in_(carried)))}
    book_ids = {recs[i].book_id for i in carried}
    regions: dict[tuple[str, str], Region] = {}
    by_book: dict[str, list[Region]] = {}
    for bid in sorted(book_ids):
        book = s.get(Book, bid)
        ref = safe_ref((book.archive_ref if book else None) or (book.name if book else bid))
        found = book_regions(s, blobs, bid, ref)
        by_book[ref] = [r for _, r in found]
        regions.update({(pid, r.half): r for pid, r in found})
    stage = staging_dir(out, batch_id)
    try:
        used = {regions[k].name: regions[k] for k in
                ((recs[i].page_id, recs[i].half or "") for i in carried) if k in regions}
        (stage / "images").mkdir()
        (stage / "alto").mkdir()
        for _, r in sorted(used.items()):
            shutil.copyfile(r.image, stage / "images" / f"{r.name}.jpg")
            (stage / "alto" / f"{r.name}.xml").write_bytes(alto_xml(r, f"{r.name}.jpg"))
        if pdf:
            for ref, rs in by_book.items():
                if rs:
                    searchable_pdf(rs, stage / "pdf" / f"{ref}.pdf", title=ref)
        prov = record_provenance(s, [recs[i] for i in carried], plan.contracts, regions)
        links = links_of(s, carried)
        write_jsonl(stage / "records.jsonl", (plan.contracts[i] for i in plan.exported))
        merged_into: dict[str, list[str]] = defaultdict(list)
        for m, rep in plan.merged.items():
            merged_into[rep].append(m)
        write_jsonl(stage / "national.jsonl", (
            {**mapping.map_record(plan.contracts[i]),
             "merged_records": [{"id": m, "source": plan.contracts[m]["source"]}
                                for m in sorted(merged_into.get(i, []))],
             "links": [link_json(lk) for lk in links if i in (lk.record_a, lk.record_b)
                       and lk.status == CONFIRMED]}
            for i in plan.exported))
        write_jsonl(stage / "provenance.jsonl", (
            {**prov[i], "merged_into": plan.merged.get(i)} for i in carried))
        write_jsonl(stage / "links.jsonl", (link_json(lk) for lk in links))
        write_manifest(stage, batch_id, len(plan.exported),
                       {"mapping_version": mapping.version, "merged": len(plan.merged),
                        "standards": {"naming": "DA/T 31 (档号-顺序号)", "ocr": "ALTO 4.4"}})
        final = out / batch_id
        publish(stage, final)
        return final
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def record_batch(db: Database, batch_id: str, path: Path, plan: _Plan, mapping_version: str
                 ) -> None:
    """The batch and what it carries, in one transaction; a clash means nothing was recorded."""
    from national.package import sha256_of

    with db.session() as s:
        versions = {i: v for i, v in s.execute(select(RecordRow.id, RecordRow.version).where(
            RecordRow.id.in_(plan.exported + list(plan.merged))))}
        batch = s.get(ExportBatch, batch_id)
        if batch is None:
            batch = ExportBatch(id=batch_id, attempts=0)
            s.add(batch)
        else:
            for old in s.scalars(select(BatchRecord).where(BatchRecord.batch_id == batch_id)):
                s.delete(old)
        batch.state, batch.mapping_version = "written", mapping_version
        batch.records, batch.path = len(plan.exported), str(path)
        batch.manifest_sha256, batch.error = sha256_of(path / "manifest.json"), None
        s.flush()
        for rid in plan.exported:
            s.add(BatchRecord(batch_id=batch_id, record_id=rid,
                              record_version=versions.get(rid, 1)))
            s.add(SentRecord(record_id=rid, batch_id=batch_id))
        for rid, rep in plan.merged.items():
            s.add(BatchRecord(batch_id=batch_id, record_id=rid, role="merged", merged_into=rep,
                              record_version=versions.get(rid, 1)))
            s.add(SentRecord(record_id=rid, batch_id=batch_id))


def build_batch(db: Database, blobs: BlobStore, out: Path, mapping: NationalMapping, *,
                pdf: bool = True, today: date | None = None) -> BatchOutcome:
    with db.session() as s:
        plan = plan_batch(s, today=today)
    if not plan.exported and not plan.merged:
        return BatchOutcome(None, None, failed_validation=tuple(plan.failed),
                            awaiting_link_review=tuple(plan.awaiting))
    batch_id = batch_id_for(plan.exported + list(plan.merged))
    out.mkdir(parents=True, exist_ok=True)
    with db.session() as s:
        path = write_package(s, blobs, out, batch_id, plan, mapping, pdf=pdf)
    try:
        record_batch(db, batch_id, path, plan, mapping.version)
    except IntegrityError as e:
        shutil.rmtree(path, ignore_errors=True)
        raise RuntimeError(f"batch {batch_id} clashed with another export (a record is already "
                           "in an accepted batch): run the export again") from e
    return BatchOutcome(batch_id, path, tuple(plan.exported), dict(plan.merged),
                        tuple(plan.failed), tuple(plan.awaiting))
