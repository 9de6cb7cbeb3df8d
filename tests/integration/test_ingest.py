"""Ingest of a mixed batch into a real (SQLite) database and blob store."""

from __future__ import annotations

import hashlib
import io
import stat
from pathlib import Path

import img2pdf
from PIL import Image, ImageDraw
from sqlalchemy import select

from ingest.blobstore import BlobStore
from ingest.service import BookMeta, Ingestor, read_manifest
from ingest.sources import Limits
from records.database import Database
from records.db import Book, Page, SourceFile


def page_jpeg(text_rows: int, seed: int) -> bytes:
    img = Image.new("RGB", (1240, 1754), "white")
    d = ImageDraw.Draw(img)
    for i in range(text_rows):
        y = 150 + i * 60 + seed * 7
        d.rectangle([120 + (seed * 37 + i * 13) % 200, y, 900 + (i * 53) % 200, y + 25],
                    fill="black")
    buf = io.BytesIO()
    img.save(buf, "JPEG", dpi=(150, 150))
    return buf.getvalue()


def setup(tmp_path: Path) -> tuple[Database, BlobStore, Ingestor]:
    db = Database(f"sqlite:///{tmp_path / 'd.db'}")
    blobs = BlobStore(tmp_path / "blobs")
    return db, blobs, Ingestor(db, blobs, Limits())


def test_mixed_batch_goes_on_after_bad_files(tmp_path: Path) -> None:
    db, blobs, ing = setup(tmp_path)
    scans = tmp_path / "book-A"
    scans.mkdir()
    good = scans / "good.pdf"
    good.write_bytes(img2pdf.convert([page_jpeg(10, 1), page_jpeg(12, 2)]))
    (scans / "empty.pdf").write_bytes(b"")
    (scans / "broken.tif").write_bytes(b"II*\x00" + b"\x00" * 20)
    (scans / "z-last.jpg").write_bytes(page_jpeg(8, 3))
    before = hashlib.sha256(good.read_bytes()).hexdigest()

    out = {o.path.name: o for o in ing.ingest([scans], BookMeta(year_from=1972, year_to=1972))}
    assert out["good.pdf"].status == "ingested" and out["good.pdf"].pages == 2
    assert out["z-last.jpg"].status == "ingested"
    assert out["empty.pdf"].status == "failed" and "0 bytes" in out["empty.pdf"].message
    assert out["broken.tif"].status == "failed"
    assert all("\n" not in o.message for o in out.values())

    with db.session() as s:
        [book] = s.scalars(select(Book)).all()
        assert book.name == "book-A" and book.year_from == 1972
        files = {f.original_name: f for f in s.scalars(select(SourceFile))}
        assert files["empty.pdf"].state == "failed" and files["empty.pdf"].error
        stored = blobs.path(files["good.pdf"].stored_path or "")
    # the original is untouched, and its stored copy is identical and read-only
    assert hashlib.sha256(good.read_bytes()).hexdigest() == before
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == before
    assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_same_file_twice_is_skipped_and_near_duplicates_flagged(tmp_path: Path) -> None:
    db, _blobs, ing = setup(tmp_path)
    a = tmp_path / "a.jpg"
    a.write_bytes(page_jpeg(10, 1))
    b = tmp_path / "b.jpg"  # the same page scanned again: other bytes, same picture
    Image.open(a).save(b, "JPEG", quality=70)
    meta = BookMeta(book="B")
    [first] = ing.ingest([a], meta)
    [again] = ing.ingest([a], meta)
    assert first.status == "ingested"
    assert again.status == "duplicate" and "already ingested" in again.message
    ing.ingest([b], meta)
    with db.session() as s:
        pages = {p.file_sha256: p for p in s.scalars(select(Page))}
    flagged = [p for p in pages.values() if p.duplicate_of]
    assert len(pages) == 2 and len(flagged) == 1
    assert any(f.startswith("near_duplicate_of:") for f in flagged[0].flags)


def test_low_resolution_is_flagged(tmp_path: Path) -> None:
    db, _blobs, ing = setup(tmp_path)
    p = tmp_path / "low.jpg"
    p.write_bytes(page_jpeg(10, 1))  # 150 dpi
    ing.ingest([p], BookMeta(book="C"))
    with db.session() as s:
        [page] = s.scalars(select(Page)).all()
    assert "low_resolution:150dpi" in page.flags


def test_manifest_gives_book_metadata(tmp_path: Path) -> None:
    db, _blobs, ing = setup(tmp_path)
    scan = tmp_path / "vol3.jpg"
    scan.write_bytes(page_jpeg(10, 4))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,archive_ref,volume,years,registry_office,kind\n"
                        "vol3.jpg,J072-1972-003,3,1972-1973,北京市朝阳区民政局,marriage\n",
                        encoding="utf-8")
    ing.ingest([scan], BookMeta(), read_manifest(manifest))
    with db.session() as s:
        [book] = s.scalars(select(Book)).all()
    assert (book.name, book.archive_ref, book.volume, book.year_from, book.year_to,
            book.registry_office, book.kind) == (
        "J072-1972-003", "J072-1972-003", "3", 1972, 1973, "北京市朝阳区民政局", "marriage")
