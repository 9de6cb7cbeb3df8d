"""The main job through the CLI, as a clerk runs it, on a generated 20-page book
(forms, a cover, a blank page, a rotated page, a spread).

The first `dangan process` is killed with SIGKILL part-way; the second must finish
every page with no duplicate record.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dangan.evaluate import evaluate, read_jsonl
from records.contract import contract_errors

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
DANGAN = [sys.executable, "-m", "dangan.cli"]


def dangan(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([*DANGAN, "--home", str(home), *args], capture_output=True, text=True,
                         timeout=900)
    if check and res.returncode != 0:
        raise AssertionError(f"dangan {' '.join(args)} exited {res.returncode}:\n"
                             f"{res.stdout}\n{res.stderr}")
    return res


def page_states(home: Path) -> Counter[str]:
    with sqlite3.connect(home / "dangan.db") as db:
        return Counter(s for (s,) in db.execute("select state from pages"))


@dataclass
class Run:
    home: Path
    sample: Path
    killed_states: Counter[str]
    export: Path
    records: list[dict[str, Any]]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    from dangan.samplegen import generate_demo_book

    base = tmp_path_factory.mktemp("pipeline")
    gen = generate_demo_book(base / "sample")
    home = base / "home"
    res = dangan(home, "ingest", str(gen.files[0]), "--years", "1972", "--kind", "marriage")
    assert "20 page(s)" in res.stdout

    proc = subprocess.Popen([*DANGAN, "--home", str(home), "process", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if page_states(home)["done"] >= 4:
            break
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = page_states(home)

    dangan(home, "process")
    out = base / "export.jsonl"
    dangan(home, "export", "--format", "jsonl", "--out", str(out))
    return Run(home, base / "sample", killed, out, read_jsonl(out))


def test_kill_then_resume_finishes_every_page_once(run: Run) -> None:
    assert run.killed_states["done"] < 20, "the kill came too late to test anything"
    assert page_states(run.home) == Counter({"done": 20})
    ids = [r["id"] for r in run.records]
    assert len(ids) == len(set(ids))
    where = [(r["source"]["page"], r["source"].get("half"), r["source"].get("row"))
             for r in run.records]
    assert len(where) == len(set(where)), "two records from the same place"


def test_export_follows_the_contract(run: Run) -> None:
    problems = {r["id"]: contract_errors(r) for r in run.records}
    assert not {k: v for k, v in problems.items() if v}
    for line in run.export.read_text(encoding="utf-8").splitlines():
        assert json.loads(line)  # one JSON object per line, UTF-8


def test_export_matches_the_known_values(run: Run) -> None:
    ev = evaluate(read_jsonl(run.sample / "truth.jsonl"), run.records)
    assert ev.recall >= 0.95, ev.line()
    assert ev.spurious_records == 0, ev.line()
    assert ev.field_acc >= 0.90, (ev.line(), ev.wrong)
    # what is auto-accepted must be right
    assert ev.auto_precision >= 0.98, (ev.line(), ev.wrong)


def test_page_families_are_handled(run: Run) -> None:
    truth_pages = [json.loads(x) for x in (run.sample / "pages.jsonl").read_text().splitlines()]
    by_page: Counter[int] = Counter(r["source"]["page"] for r in run.records)
    for p in truth_pages:
        if p["page_type"] in ("cover", "blank"):
            assert by_page[p["page"]] == 0, f"records from a {p['page_type']} page"
        if p["rotation"]:
            assert by_page[p["page"]] == p["records"], "rotated page not read"
        if p["family"] == "spread":
            halves = {r["source"].get("half") for r in run.records
                      if r["source"]["page"] == p["page"]}
            assert halves == {"left", "right"}


def test_rerun_changes_nothing(run: Run) -> None:
    res = dangan(run.home, "process")
    assert "done 20" in res.stdout
    again = run.export.with_name("again.jsonl")
    dangan(run.home, "export", "--format", "jsonl", "--out", str(again))
    assert read_jsonl(again) == run.records
    res = dangan(run.home, "ingest", str(run.sample / "book-1972-03.pdf"))
    assert "already ingested" in res.stdout


def test_status_reports_the_book(run: Run) -> None:
    res = dangan(run.home, "status", "--json")
    [book] = json.loads(res.stdout)
    assert book["pages_by_state"] == {"done": 20}
    assert book["records"] == len(run.records)


def test_search_finds_exported_records_by_name(run: Run) -> None:
    auto = [r for r in run.records if r["fields"].get("male_name", {}).get("value")
            and not r["fields"]["male_name"]["needs_review"]]
    assert auto
    for rec in auto[:3]:
        name = rec["fields"]["male_name"]["value"]
        res = dangan(run.home, "search", name, "--json", "--limit", "5")
        out = json.loads(res.stdout)
        assert out["total"] >= 1
        assert rec["id"] in [h["id"] for h in out["hits"]]
        hit = next(h for h in out["hits"] if h["id"] == rec["id"])
        assert hit["record"]["fields"]["male_name"]["value"] == name
        assert set(hit["record"]) == set(rec)


def test_reextract_reuses_stored_ocr(run: Run) -> None:
    with sqlite3.connect(run.home / "dangan.db") as db:
        before = db.execute("select id, created_at from ocr_results order by id").fetchall()
    res = dangan(run.home, "reextract")
    assert "queued for extraction" in res.stdout
    dangan(run.home, "process")
    with sqlite3.connect(run.home / "dangan.db") as db:
        after = db.execute("select id, created_at from ocr_results order by id").fetchall()
    assert after == before  # no OCR ran again
    again = run.export.with_name("reextracted.jsonl")
    dangan(run.home, "export", "--format", "jsonl", "--out", str(again))
    assert read_jsonl(again) == run.records
