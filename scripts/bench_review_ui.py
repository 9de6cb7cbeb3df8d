"""Server time of the review UI's record page with 10,000 records in the database.

    .venv/bin/python scripts/bench_review_ui.py [--records 10000] [--requests 200]

Synthetic ledger rows are inserted directly (no OCR); requests go through
FastAPI's TestClient, so the numbers are the app's own time (routing, session,
database, templates, access log write), without network.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from dangan.runtime import build_runtime
from dangan.settings import Settings
from records.db import FieldRow, OcrResult, Page, RecordRow
from records.repository import book_id_for, page_id_for, record_id_for
from review_ui.app import create_app
from review_ui.testing import BOOK, PASSWORD, SHA, seed

TARGET_MS = 300.0
KEYS = ("registration_date", "certificate_no", "registry_office", "male_name", "male_age",
        "male_id_number", "male_address", "female_name", "female_age", "female_address")


def fill(rt_home: Path, n_records: int, per_page: int = 20) -> list[str]:
    rt = build_runtime(Settings(home=rt_home, ocr_engine="fake"))
    seed(rt)
    rng = random.Random(7)
    with rt.db.session() as s:
        clean = s.query(OcrResult).first()
        assert clean is not None
        image = clean.data["image"]
    pages, records, fields, ids = [], [], [], []
    for i in range(n_records // per_page):
        page_no = 10 + i
        pid = page_id_for(SHA, page_no)
        pages.append({"id": pid, "file_sha256": SHA, "book_id": book_id_for(BOOK),
                      "page_no": page_no, "state": "done", "image_path": image,
                      "width": 1000, "height": 1400, "flags": [], "cleanup": {},
                      "page_type": "ledger", "image_version": 1, "attempts": 0,
                      "seconds": 0.0})
        for row in range(1, per_page + 1):
            rid = record_id_for(SHA, page_no, None, row, 0)
            ids.append(rid)
            review = rng.random() < 0.3
            records.append({"id": rid, "page_id": pid, "book_id": book_id_for(BOOK),
                            "kind": "marriage", "status": "needs_review" if review
                            else "auto_accepted", "row": row, "slot": 0,
                            "review_score": rng.random(), "version": 1,
                            "indexed_version": 0})
            y = (row - 1) / per_page
            for k, key in enumerate(KEYS):
                fields.append({"record_id": rid, "key": key, "value": f"值{k}{row}",
                               "original": f"值{k}{row}", "confidence": 0.9,
                               "needs_review": review and k == 3, "reasons": [],
                               "bbox": [k / 10, y, (k + 1) / 10, y + 1 / per_page]})
    with rt.db.session() as s:
        s.execute(insert(Page), pages)
        s.execute(insert(RecordRow), records)
        for start in range(0, len(fields), 20000):
            s.execute(insert(FieldRow), fields[start:start + 20000])
    rt.close()
    return ids


def timed(client: TestClient, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        t0 = time.perf_counter()
        r = client.get(url)
        out.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}")
    return out


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        t0 = time.perf_counter()
        ids = fill(home, args.records)
        print(f"inserted {len(ids)} records in {time.perf_counter() - t0:.1f} s")
        rt = build_runtime(Settings(home=home, ocr_engine="fake"))
        with TestClient(create_app(runtime=rt)) as client:
            page = client.get("/login").text
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"username": "rev", "password": PASSWORD,
                                        "csrf_token": token})
            rng = random.Random(1)
            urls = [f"/records/{rng.choice(ids)}" for _ in range(args.requests)]
            timed(client, urls[:10])  # warm-up: templates compiled, caches filled
            record = timed(client, urls)
            queue = timed(client, ["/review"] * 50)
        rt.close()
    ok = True
    for name, values in (("record page", record), ("review queue", queue)):
        p50, p95 = statistics.median(values), pct(values, 95)
        ok &= p95 < TARGET_MS
        print(f"{name:13s} n={len(values):4d}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
              f"max {max(values):6.1f} ms  (target p95 < {TARGET_MS:.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
