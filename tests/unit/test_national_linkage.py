"""National batches on hand-made DB rows: linkage, validation, 15→18 IDs, HTTP submission.

Rows are inserted directly (no OCR), so each case is set up in milliseconds.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from PIL import Image
from rich.console import Console
from sqlalchemy import func, select

from ingest.blobstore import BlobStore
from national.batch import build_batch
from national.cli import submit_pending
from national.db import BatchRecord, ExportBatch, RecordLink, SentRecord
from national.linkage import decide_link
from national.mapping import load_mapping
from national.package import verify_manifest
from national.settings import NationalSettings
from national.validation import export_problems
from records.database import Database
from records.db import Book, FieldRow, OcrResult, Page, RecordRow, SourceFile
from records.idnum import check_digit


def id18(first17: str) -> str:
    return first17 + check_digit(first17)


class Archive:
    """A tiny archive: one book, one file, pages with a clean image each."""

    def __init__(self, root: Path) -> None:
        self.db = Database(f"sqlite:///{root / 'd.db'}")
        self.blobs = BlobStore(root / "blobs")
        self.out = root / "out"
        self.n = 0
        key = "pages/x/clean.jpg"
        buf = root / "clean.jpg"
        Image.new("RGB", (400, 560), "white").save(buf)
        self.blobs.put_bytes(key, buf.read_bytes())
        with self.db.session() as s:
            s.add(Book(id="b1", name="测试卷", archive_ref="J001-1980-001", year_from=1975,
                       year_to=1990))
            s.flush()
            s.add(SourceFile(sha256="f1", book_id="b1", original_name="book.pdf",
                             original_path="/x/book.pdf", size=1))
        self.key = key

    def record(self, kind: str, status: str = "auto_accepted", **values: Any) -> str:
        self.n += 1
        pid, rid = f"p{self.n}", f"r{self.n}"
        with self.db.session() as s:
            s.add(Page(id=pid, file_sha256="f1", book_id="b1", page_no=self.n, state="done",
                       width=400, height=560))
            s.flush()
            s.add(OcrResult(page_id=pid, half="", engine="test", data={
                "width": 400, "height": 560, "engine": "test", "image": self.key,
                "lines": [{"text": str(v), "bbox": [0.1, 0.1 + i * 0.05, 0.6, 0.14 + i * 0.05],
                           "confidence": 0.99} for i, v in enumerate(values.values())]}))
            s.flush()
            s.add(RecordRow(id=rid, page_id=pid, book_id="b1", kind=kind, status=status))
            s.flush()
            for i, (k, v) in enumerate(values.items()):
                s.add(FieldRow(record_id=rid, key=k, value=v, original=str(v), confidence=0.99,
                               bbox=[0.1, 0.1 + i * 0.05, 0.6, 0.14 + i * 0.05]))
        return rid

    def export(self) -> Any:
        return build_batch(self.db, self.blobs, self.out, load_mapping(), pdf=False)

    def count(self, table: Any) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    a = Archive(tmp_path)
    yield a
    a.db.dispose()


COUPLE = {"male_name": "王建国", "female_name": "李秀英", "registration_date": "1980-05-04",
          "male_birth_date": "1955-02-01", "female_birth_date": "1957-03-02"}


def test_same_event_seen_twice_exports_once(archive: Archive) -> None:
    form = archive.record("marriage", certificate_no="朝婚字第0324号", **COUPLE)
    stub = archive.record("marriage", status="approved", certificate_no="(朝)婚字第0324号",
                          **COUPLE)
    other = archive.record("marriage", male_name="张三", female_name="赵四",
                           registration_date="1981-06-01")
    o = archive.export()
    assert o.batch_id is not None and o.path is not None
    assert sorted(o.exported) == sorted([stub, other])  # the approved one represents the event
    assert o.merged == {form: stub}
    lines = (o.path / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["id"] for x in lines].count(stub) == 1 and len(lines) == 2
    nat = [json.loads(x) for x in (o.path / "national.jsonl").read_text().splitlines()]
    assert next(n for n in nat if n["id"] == stub)["merged_records"][0]["id"] == form
    assert verify_manifest(o.path) == []
    assert archive.count(SentRecord) == 3
    assert archive.export().batch_id is None  # re-run adds nothing
    assert archive.count(ExportBatch) == 1


def test_divorce_linked_to_marriage_and_person_married_twice(archive: Archive) -> None:
    m1 = archive.record("marriage", male_id_number=id18("11010519550201003"), **COUPLE)
    d1 = archive.record("divorce", male_name="王建国", female_name="李秀英",
                        registration_date="1984-01-10")
    m2 = archive.record("marriage", male_name="王建国", female_name="陈芳",
                        registration_date="1986-09-09", male_birth_date="1955-02-01",
                        male_id_number=id18("11010519550201003"))
    o = archive.export()
    assert o.path is not None and set(o.exported) == {m1, d1, m2}
    links = [json.loads(x) for x in (o.path / "links.jsonl").read_text().splitlines()]
    rel = {(lk["a"], lk["b"], lk["relation"]) for lk in links}
    assert (d1, m1, "divorce_of") in rel
    assert (m1, m2, "same_person") in rel
    nat = {n["id"]: n for n in map(json.loads, (o.path / "national.jsonl").read_text()
                                   .splitlines())}
    assert any(lk["relation"] == "same_person" for lk in nat[m2]["links"])


def test_uncertain_duplicate_waits_for_a_reviewer(archive: Archive) -> None:
    a = archive.record("marriage", **COUPLE)
    b = archive.record("marriage", **{**COUPLE, "female_name": "李秀瑛"})  # one character off
    o = archive.export()
    assert o.batch_id is None and {h.record_id for h in o.awaiting_link_review} == {a, b}
    with archive.db.session() as s:
        link = s.scalars(select(RecordLink)).one()
        assert link.status == "candidate"
        decide_link(s, link.id, "reviewer1", confirm=True)
    o = archive.export()
    assert len(o.exported) == 1 and len(o.merged or {}) == 1


def test_failed_validation_stays_in_review_and_15_digit_id_becomes_18(archive: Archive) -> None:
    good = archive.record("marriage", male_id_number="110105550201003", **COUPLE)
    bad = archive.record("marriage", male_name="刘〇", female_name="周红",
                         registration_date="1982-01-01",
                         female_id_number="110105195801010020")  # wrong check digit
    o = archive.export()
    assert o.exported == (good,)
    held = {h.record_id: " ".join(h.reasons) for h in o.failed_validation}
    assert "placeholder" in held[bad] and "check digit" in held[bad]
    with archive.db.session() as s:
        assert s.get(RecordRow, bad).status == "needs_review"  # type: ignore[union-attr]
    assert o.path is not None
    nat = json.loads((o.path / "national.jsonl").read_text().splitlines()[0])
    item = next(i for i in nat["items"] if i["field"] == "male_id_number")
    assert item["value"] == "110105195502010031"[:17] + item["value"][17]
    assert len(item["value"]) == 18 and item["original_value"] == "110105550201003"
    states = {i["field"]: i["state"] for i in nat["items"] if "field" in i}
    assert states["female_id_number"] == "not_recorded"
    assert all(i["value"] not in (0, "0") for i in nat["items"])


def test_export_problems_reject_placeholder_zero_date() -> None:
    rec = {"id": "x", "kind": "marriage", "status": "approved",
           "source": {"file": "a.pdf", "page": 1},
           "fields": {k: {"value": v, "original": v, "confidence": 1.0, "needs_review": False}
                      for k, v in {**COUPLE, "certificate_no": "0000"}.items()}}
    assert any("placeholder" in p.reason for p in export_problems(rec))


class _Endpoint(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[str | None, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append((self.headers.get("Idempotency-Key"), body))
        if len(type(self).calls) == 1:
            self.send_response(503)
            self.end_headers()
            return
        acks = [{"id": r["id"], "status": "accepted"} for r in body["records"]]
        acks[-1] = {"id": acks[-1]["id"], "status": "rejected", "message": "证号重复"}
        data = json.dumps({"acks": acks}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_http_submission_retries_with_one_idempotency_key(archive: Archive) -> None:
    r1 = archive.record("marriage", **COUPLE)
    r2 = archive.record("marriage", male_name="张三", female_name="赵四",
                        registration_date="1981-06-01")
    o = archive.export()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    _Endpoint.calls = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = NationalSettings(endpoint=f"http://127.0.0.1:{server.server_port}/batches",
                                    backoff=0.01, retries=3)
        submit_pending(archive.db, settings, Console(file=None, quiet=True))
    finally:
        server.shutdown()
    assert [k for k, _ in _Endpoint.calls] == [o.batch_id, o.batch_id]
    with archive.db.session() as s:
        assert s.get(ExportBatch, o.batch_id).state == "acknowledged"  # type: ignore[union-attr]
        acks = {e.record_id: e.ack_status for e in s.scalars(select(BatchRecord))}
        rejected = next(r for r, st in acks.items() if st == "rejected")
        assert set(acks) == {r1, r2}
        assert s.get(SentRecord, rejected) is None  # free to go again once fixed
        assert s.get(RecordRow, rejected).status == "needs_review"  # type: ignore[union-attr]
