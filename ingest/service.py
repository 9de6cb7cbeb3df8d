"""Ingest: files and folders in, books/files/pages in the database.

Each original is stored once (SHA-256) and never modified. A bad file gets one
line saying what is wrong and what to do, a ``failed`` row, and the batch goes on.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.blobstore import BlobStore, sha256_file
from ingest.errors import IngestError
from ingest.quality import assess, decode_gray, hamming, phash
from ingest.sources import Limits, SourcePage, iter_pages, sniff_media_type
from records.database import Database
from records.db import Page, PageState, SourceFile
from records.model import Kind
from records.repository import get_or_create_book, page_id_for

NEAR_DUPLICATE_BITS = 4
# files a book folder may hold beside its scans
SIDECARS = frozenset({"truth.jsonl", "pages.jsonl", "manifest.csv"})


@dataclass(frozen=True, slots=True)
class BookMeta:
    """Book metadata from options or a manifest row."""

    book: str | None = None
    archive_ref: str | None = None
    volume: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    registry_office: str | None = None
    kind: Kind | None = None

    def merged(self, other: BookMeta) -> BookMeta:
        """Values of ``other`` where it has them, ours otherwise."""
        return BookMeta(**{k: getattr(other, k) if getattr(other, k) is not None
                           else getattr(self, k) for k in self.__slots__})


@dataclass(frozen=True, slots=True)
class FileOutcome:
    path: Path
    status: str  # "ingested" | "duplicate" | "failed"
    message: str
    pages: int = 0
    book: str | None = None


def parse_years(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    parts = [p for p in text.replace("–", "-").replace("—", "-").split("-") if p.strip()]
    try:
        years = [int(p) for p in parts]
    except ValueError as e:
        raise ValueError(f"year range {text!r} is not like 1972 or 1972-1975") from e
    return years[0], years[-1]


def read_manifest(path: Path) -> dict[str, BookMeta]:
    """CSV: file, book, archive_ref (档号), volume, years or year_from/year_to,
    registry_office, kind. Keyed by the file's base name."""
    out: dict[str, BookMeta] = {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            name = (row.get("file") or "").strip()
            if not name:
                raise ValueError(f"{path.name} line {n}: the 'file' column is empty")
            y0, y1 = parse_years(row.get("years"))
            kind = (row.get("kind") or "").strip() or None
            out[Path(name).name] = BookMeta(
                book=(row.get("book") or "").strip() or None,
                archive_ref=(row.get("archive_ref") or row.get("档号") or "").strip() or None,
                volume=(row.get("volume") or "").strip() or None,
                year_from=int(row["year_from"]) if row.get("year_from") else y0,
                year_to=int(row["year_to"]) if row.get("year_to") else y1,
                registry_office=(row.get("registry_office") or "").strip() or None,
                kind=Kind(kind) if kind else None,
            )
    return out


def discover(paths: Iterable[Path]) -> Iterator[tuple[Path, str | None]]:
    """Files to ingest, with the folder name as the default book for folder contents."""
    for p in paths:
        if p.is_dir():
            for f in sorted(x for x in p.rglob("*") if x.is_file()):
                hidden = any(part.startswith(".") for part in f.relative_to(p).parts)
                if not hidden and f.name not in SIDECARS:
                    yield f, p.name
        else:
            yield p, None


class Ingestor:
    def __init__(self, db: Database, blobs: BlobStore, limits: Limits) -> None:
        self.db = db
        self.blobs = blobs
        self.limits = limits

    def ingest(self, paths: Iterable[Path], meta: BookMeta,
               manifest: dict[str, BookMeta] | None = None,
               on_file: Callable[[FileOutcome], None] | None = None) -> list[FileOutcome]:
        outcomes = []
        for path, folder in discover(paths):
            m = meta.merged(manifest.get(path.name, BookMeta())) if manifest else meta
            if m.book is None:
                m = replace(m, book=m.archive_ref or folder or path.stem)
            outcome = self.ingest_file(path, m)
            outcomes.append(outcome)
            if on_file:
                on_file(outcome)
        return outcomes

    def ingest_file(self, path: Path, meta: BookMeta) -> FileOutcome:
        book_name = meta.book or path.stem
        if not path.exists():
            return FileOutcome(path, "failed", f"{path}: no such file: check the path",
                               book=book_name)
        sha = sha256_file(path)
        with self.db.session() as s:
            existing = s.get(SourceFile, sha)
            if existing is not None and existing.state == "failed":
                s.delete(existing)  # a file that failed before gets another try
                s.flush()
            elif existing is not None:
                return FileOutcome(path, "duplicate",
                                   f"{path.name}: already ingested as {existing.original_name} "
                                   f"({existing.state}); skipped", book=book_name)
            book = get_or_create_book(
                s, book_name, archive_ref=meta.archive_ref, volume=meta.volume,
                year_from=meta.year_from, year_to=meta.year_to,
                registry_office=meta.registry_office,
                kind=str(meta.kind) if meta.kind else None)
            row = SourceFile(sha256=sha, book_id=book.id, original_name=path.name,
                             original_path=str(path.resolve()), size=path.stat().st_size)
            s.add(row)
            try:
                row.media_type = sniff_media_type(path)
                row.stored_path = self.blobs.put_original(path, sha)
                n = self._add_pages(s, row, path)
            except IngestError as e:
                row.state, row.error = "failed", str(e)
                return FileOutcome(path, "failed", str(e), book=book_name)
            row.page_count = n
        return FileOutcome(path, "ingested", f"{path.name}: {n} page(s)", n, book_name)

    def _add_pages(self, s: Session, row: SourceFile, path: Path) -> int:
        q = select(Page.id, Page.phash, Page.page_no).where(
            Page.book_id == row.book_id, Page.phash.is_not(None))
        known: list[tuple[str, str, int]] = [(a, b or "", c) for a, b, c in s.execute(q)]
        pages: list[Page] = []
        for sp in iter_pages(path, row.media_type or "", self.limits):
            page = self._page_row(row, sp)
            self._flag_duplicate(page, known)
            if page.phash:
                known.append((page.id, page.phash, page.page_no))
            pages.append(page)
        s.add_all(pages)
        return len(pages)

    def _page_row(self, row: SourceFile, sp: SourcePage) -> Page:
        pid = page_id_for(row.sha256, sp.page_no)
        key = self.blobs.put_bytes(f"pages/{row.sha256[:2]}/{pid}/v1{sp.ext}", sp.data)
        gray = decode_gray(sp.data)
        q = assess(gray, sp.dpi)
        cleanup: dict[str, object] = {"source": sp.how, "quality": q.as_dict()}
        if sp.exif_orientation != 1:
            cleanup["exif_orientation"] = sp.exif_orientation
        return Page(id=pid, file_sha256=row.sha256, book_id=row.book_id, page_no=sp.page_no,
                    state=PageState.PENDING, image_path=key, width=sp.width, height=sp.height,
                    dpi=sp.dpi, phash=None if q.probably_blank else phash(sp.data),
                    flags=list(q.flags), cleanup=cleanup)

    @staticmethod
    def _flag_duplicate(page: Page, known: list[tuple[str, str, int]]) -> None:
        if not page.phash:
            return
        for pid, ph, _page_no in known:
            if hamming(page.phash, ph) <= NEAR_DUPLICATE_BITS:
                page.duplicate_of = pid
                page.flags = [*page.flags, f"near_duplicate_of:{pid}"]
                return
