"""`dangan demo`: the main job end to end on a generated sample book."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dangan.evaluate import evaluate, read_jsonl
from dangan.exitcodes import ExitCode
from dangan.process import Processor
from dangan.runtime import build_runtime
from dangan.settings import Settings
from ingest.service import BookMeta, Ingestor
from records.export import export_jsonl
from records.repository import book_statuses


def run_demo(settings: Settings, out: Path | None, console: Console) -> ExitCode:
    from dangan.samplegen import generate_demo_book

    sample_dir = out or settings.home / "sample"
    console.print(f"1/4 generating a sample book in {sample_dir} …")
    gen = generate_demo_book(sample_dir)
    rt = build_runtime(settings)
    try:
        console.print("2/4 ingest")
        meta = BookMeta(book="1972年 结婚登记档案 第3卷", archive_ref="J072-1972-003",
                        year_from=1972, year_to=1972, registry_office=None)
        for o in Ingestor(rt.db, rt.blobs, rt.limits).ingest(list(gen.files), meta):
            console.print(f"   {o.status}: {o.message}")
        console.print("3/4 process (clean-up, OCR, extraction, indexing)")
        summary = Processor(rt).run()
        console.print(f"   {summary.seconds:.1f} s, pages {summary.pages_by_state}, "
                      f"{summary.records} records")
        export_path = settings.home / "export.jsonl"
        with rt.db.session() as s:
            n = export_jsonl(s, export_path)
            books = book_statuses(s)
        console.print(f"4/4 export: {n} records → {export_path}")
    finally:
        rt.close()
    for b in books:
        console.print(f"book {b.name}: pages {b.pages_by_state}, {b.records} records, "
                      f"{b.records_needing_review} to review, {len(b.errors)} errors")
    ev = evaluate(read_jsonl(gen.truth_path), read_jsonl(export_path))
    console.print(f"against the generator's truth: {ev.found_records}/{ev.truth_records} "
                  f"records found, {ev.fields_right}/{ev.fields_total} fields right; {ev.line()}")
    return ExitCode.ok
