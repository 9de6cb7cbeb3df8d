"""The `dangan` command. Settings are read here, once, and passed down."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dangan.exitcodes import ExitCode
from dangan.runtime import Runtime, build_runtime
from dangan.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Digitize marriage, divorce and adoption registration archives.")
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class State:
    settings: Settings


state = State()


@app.callback()
def main_options(
    home: Annotated[Path | None, typer.Option("--home", envvar="DANGAN_HOME",
                                              help="data directory")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    settings = Settings() if home is None else Settings(home=home)
    state.settings = settings


def runtime() -> Runtime:
    return build_runtime(state.settings)


def fail(msg: str, code: ExitCode) -> typer.Exit:
    err.print(f"dangan: {msg}")
    return typer.Exit(int(code))


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="scan files or folders")],
    book: Annotated[str | None, typer.Option(help="book name (default: folder or file name)")
                    ] = None,
    archive_ref: Annotated[str | None, typer.Option("--archive-ref", help="档号")] = None,
    volume: Annotated[str | None, typer.Option()] = None,
    years: Annotated[str | None, typer.Option(help="year range, e.g. 1972-1975")] = None,
    office: Annotated[str | None, typer.Option(help="registry office")] = None,
    kind: Annotated[str | None, typer.Option(help="marriage | divorce | adoption (hint)")
                    ] = None,
    manifest: Annotated[Path | None, typer.Option(help="CSV of per-file book metadata")
                        ] = None,
) -> None:
    """Store scans (content-addressed, never modified) and register their pages."""
    from ingest.service import BookMeta, FileOutcome, Ingestor, parse_years, read_manifest
    from records.model import Kind

    try:
        y0, y1 = parse_years(years)
        meta = BookMeta(book=book, archive_ref=archive_ref, volume=volume, year_from=y0,
                        year_to=y1, registry_office=office, kind=Kind(kind) if kind else None)
        rows = read_manifest(manifest) if manifest else None
    except (ValueError, OSError) as e:
        raise fail(str(e), ExitCode.bad_args) from e
    rt = runtime()
    failed = 0

    def report(o: FileOutcome) -> None:
        nonlocal failed
        mark = {"ingested": "[green]ok[/]", "duplicate": "[yellow]skip[/]",
                "failed": "[red]FAIL[/]"}[o.status]
        failed += o.status == "failed"
        console.print(f"{mark} {o.message}")

    outcomes = Ingestor(rt.db, rt.blobs, rt.limits).ingest(paths, meta, rows, on_file=report)
    pages = sum(o.pages for o in outcomes)
    console.print(f"{len(outcomes)} file(s), {pages} page(s) ingested, {failed} failed")
    rt.close()
    if failed:
        raise typer.Exit(int(ExitCode.input_file))


@app.command()
def process(
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Clean up, OCR and extract every unfinished page; returns when all are done or failed."""
    from dangan.process import AlreadyRunning, Processor
    from ocr.engine import OcrEngineError

    rt = runtime()
    proc = Processor(rt)
    show = _progress_printer(rt, quiet)
    try:
        summary = proc.run(on_tick=show)
    except AlreadyRunning as e:
        raise fail(str(e), ExitCode.already_running) from e
    except OcrEngineError as e:
        raise fail(str(e), ExitCode.engine_error) from e
    finally:
        rt.close()
    states = ", ".join(f"{k} {v}" for k, v in sorted(summary.pages_by_state.items()))
    console.print(f"processed in {summary.seconds:.1f} s: pages {states}; "
                  f"{summary.records} record(s)")


Tick = Callable[[dict[str, tuple[int, int]], float], None]


def _progress_printer(rt: Runtime, quiet: bool) -> Tick:
    """A progress line per book (pages/min, ETA), redrawn on a terminal, every 10 s otherwise."""
    from records.db import Book

    with rt.db.session() as s:
        names = {b.id: b.name for b in s.query(Book)}
    last = [0.0]

    def show(counts: dict[str, tuple[int, int]], rate: float) -> None:
        if quiet:
            return
        now = time.monotonic()
        if not console.is_terminal and now - last[0] < 10:
            return
        last[0] = now
        parts = []
        for bid, (done, total) in counts.items():
            left = total - done
            eta = f"{left / rate:.1f} min" if rate > 0 and left else "-"
            parts.append(f"{names.get(bid, bid)}: {done}/{total} pages, ETA {eta}")
        line = f"{rate:.1f} pages/min | " + " | ".join(parts)
        if console.is_terminal:
            console.print(line, end="\r")
        else:
            console.print(line)

    return show


@app.command()
def worker(
    queues: Annotated[str | None, typer.Option(
        help="queues to consume, comma-separated: ocr,extract,index (DANGAN_WORKER_QUEUES)")
                      ] = None,
    processes: Annotated[int | None, typer.Option(
        help="worker processes (DANGAN_WORKER_PROCESSES, default 1)")] = None,
    threads: Annotated[int | None, typer.Option(
        help="threads per process (DANGAN_WORKER_THREADS, default: cores / processes)")
                       ] = None,
) -> None:
    """Consume stage messages from the shared broker (DANGAN_BROKER_URL) until SIGTERM."""
    from dangan.worker import WorkerConfigError, plan_workers, run_worker
    from ocr.engine import OcrEngineError

    try:
        plan = plan_workers(state.settings, queues, processes, threads)
    except WorkerConfigError as e:
        raise fail(str(e), ExitCode.bad_args) from e
    try:
        code = run_worker(state.settings, plan, echo=console.print)
    except OcrEngineError as e:
        raise fail(str(e), ExitCode.engine_error) from e
    raise typer.Exit(code)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Per-book counts: pages by state, records, fields to review, errors with reasons;
    queue depth and worker throughput."""
    from dangan.jobs import pipeline_status
    from records.repository import book_statuses

    rt = runtime()
    with rt.db.session() as s:
        books = book_statuses(s)
    pipe = pipeline_status(rt)
    rt.close()
    if as_json:
        print(json.dumps([asdict(b) for b in books], ensure_ascii=False, indent=1))
        return
    console.print(pipe.describe(), markup=False)
    table = Table("book", "pages", "records", "to review", "fields to review", "flagged", "errors")
    for b in books:
        pages = ", ".join(f"{k} {v}" for k, v in sorted(b.pages_by_state.items())) or "0"
        table.add_row(b.name, pages, str(b.records), str(b.records_needing_review),
                      str(b.fields_needing_review), str(b.flagged_pages), str(len(b.errors)))
    console.print(table)
    for b in books:
        for where, msg in b.errors:
            console.print(f"[red]error[/] {b.name} / {where}: {msg}")


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="output file (a folder with --batch)")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl")] = "jsonl",
    batch: Annotated[bool, typer.Option("--batch", help="a validated batch package for the "
                                        "national system: approved and auto-accepted records "
                                        "not yet sent")] = False,
) -> None:
    """Write every record in the RECORDS.md export contract (or a national-system batch)."""
    from records.export import export_jsonl

    if batch:
        from national.cli import run_batch_export

        rt = runtime()
        try:
            code = run_batch_export(rt, out, console)
        finally:
            rt.close()
        raise typer.Exit(int(code))
    if fmt != "jsonl":
        raise fail(f"unknown export format {fmt!r}: use --format jsonl", ExitCode.bad_args)
    rt = runtime()
    with rt.db.session() as s:
        n = export_jsonl(s, out)
    rt.close()
    console.print(f"{n} record(s) written to {out}")


@app.command()
def retry() -> None:
    """Send dead and failed pages through the pipeline again."""
    from sqlalchemy import update

    from records.db import Page, PageState

    rt = runtime()
    with rt.db.session() as s:
        n = s.execute(update(Page).where(Page.state.in_([PageState.DEAD, PageState.FAILED]))
                      .values(state=PageState.PENDING, attempts=0, error=None)).rowcount  # type: ignore[attr-defined]
    rt.close()
    console.print(f"{n} page(s) queued again; run `dangan process`")


@app.command()
def reextract() -> None:
    """Run field extraction again on every OCR'd page (no re-OCR); reviewed records are kept."""
    from sqlalchemy import update

    from records.db import Page, PageState

    rt = runtime()
    with rt.db.session() as s:
        n = s.execute(update(Page).where(Page.state == PageState.DONE,
                                         Page.page_type != "blank")
                      .values(state=PageState.OCR_DONE, attempts=0)).rowcount  # type: ignore[attr-defined]
    rt.close()
    console.print(f"{n} page(s) queued for extraction; run `dangan process`")


@app.command()
def demo(
    out: Annotated[Path | None, typer.Option(help="where to write the sample book")] = None,
) -> None:
    """Generate a sample book, then ingest → process → export it, and print a summary."""
    from dangan.demo import run_demo

    code = run_demo(state.settings, out, console)
    raise typer.Exit(int(code))


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="names, years, ID or certificate numbers, office")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option("--limit")] = 10,
    offset: Annotated[int, typer.Option("--offset")] = 0,
    role: Annotated[str, typer.Option(help="act as this role (CLI users are operators)")
                    ] = "admin",
) -> None:
    """Search records by free text (both names, years, IDs, certificate numbers)."""
    from dangan.search import run_search

    rt = runtime()
    try:
        code = run_search(rt, text, as_json=as_json, limit=limit, offset=offset, role=role,
                          console=console)
    finally:
        rt.close()
    raise typer.Exit(int(code))


@app.command()
def reindex() -> None:
    """Rebuild the search index from the database (after a schema change or restore)."""
    from dangan.search import reindex_all

    rt = runtime()
    try:
        n = reindex_all(rt)
    finally:
        rt.close()
    console.print(f"{n} record(s) indexed")


def _register_web() -> None:
    """`dangan serve` and `dangan user …` live with the web app."""
    try:
        from review_ui.cli import register
    except ImportError:
        return
    register(app, lambda: state.settings)


_register_web()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("dangan: interrupted; run the same command again to resume")
        sys.exit(130)


if __name__ == "__main__":
    main()
