"""The JSONL export contract of RECORDS.md, and the one function that builds it.

Search results, the review UI and the batch export all use :func:`to_contract`,
so every consumer sees the same shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.db import Book, FieldRow, Page, RecordRow, SourceFile
from records.model import FIELD_KEYS

_ORDER = {k: i for i, k in enumerate(FIELD_KEYS)}


def to_contract(rec: RecordRow, fields: list[FieldRow], file_name: str, page_no: int
                ) -> dict[str, Any]:
    source: dict[str, Any] = {"file": file_name, "page": page_no}
    if rec.half:
        source["half"] = rec.half
    if rec.row is not None:
        source["row"] = rec.row
    return {
        "id": rec.id,
        "kind": rec.kind,
        "status": rec.status,
        "source": source,
        "fields": {
            f.key: {"value": f.value, "original": f.original,
                    "confidence": round(float(f.confidence), 4),
                    "needs_review": bool(f.needs_review)}
            for f in sorted(fields, key=lambda f: _ORDER.get(f.key, 999))
        },
    }


def book_summary(book: Book) -> dict[str, Any]:
    return {"id": book.id, "name": book.name, "archive_ref": book.archive_ref,
            "registry_office": book.registry_office, "year_from": book.year_from,
            "year_to": book.year_to}


def iter_contract(s: Session, *, record_ids: list[str] | None = None,
                  page_id: str | None = None, include_book: bool = False,
                  kinds: list[str] | None = None, chunk: int = 500
                  ) -> Iterator[dict[str, Any]]:
    """Records in a stable order (file, page, half, row, slot)."""
    q = (select(RecordRow, SourceFile.original_name, Page.page_no, Book)
         .join(Page, RecordRow.page_id == Page.id)
         .join(SourceFile, Page.file_sha256 == SourceFile.sha256)
         .join(Book, RecordRow.book_id == Book.id)
         .order_by(Book.name, SourceFile.original_name, Page.page_no, RecordRow.half,
                   RecordRow.row, RecordRow.slot))
    if record_ids is not None:
        q = q.where(RecordRow.id.in_(record_ids))
    if page_id is not None:
        q = q.where(RecordRow.page_id == page_id)
    if kinds is not None:
        q = q.where(RecordRow.kind.in_(kinds))
    batch: list[tuple[RecordRow, str, int, Book]] = []
    for row in s.execute(q).all():
        batch.append(tuple(row))  # type: ignore[arg-type]
        if len(batch) >= chunk:
            yield from _emit(s, batch, include_book)
            batch = []
    yield from _emit(s, batch, include_book)


def _emit(s: Session, batch: list[tuple[RecordRow, str, int, Book]], include_book: bool
          ) -> Iterator[dict[str, Any]]:
    if not batch:
        return
    ids = [r.id for r, *_ in batch]
    by_rec: dict[str, list[FieldRow]] = {i: [] for i in ids}
    for f in s.scalars(select(FieldRow).where(FieldRow.record_id.in_(ids))):
        by_rec[f.record_id].append(f)
    for rec, name, page_no, book in batch:
        d = to_contract(rec, by_rec[rec.id], name, page_no)
        if include_book:
            d["book"] = book_summary(book)
        yield d


def write_jsonl(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    n = 0
    for d in records:
        out.write(json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n")
        n += 1
    return n


def export_jsonl(s: Session, path: Path, *, kinds: list[str] | None = None) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        n = write_jsonl(iter_contract(s, kinds=kinds), f)
    tmp.replace(path)
    return n
