#!/usr/bin/env python
"""OCR throughput: the project's page pipeline against plain RapidOCR, same pages.

    bench_ocr.py [DIR] [--pages 18 --seed 5] [--families F ...] [--workers N]
                 [--baseline-pages N] [--no-baseline]

DIR holds scans (PDF, TIFF, JPEG, PNG; a ``truth.jsonl`` from ``dangan.samplegen``
beside them is scored when present); without DIR, pages of every family are
generated with ``dangan.samplegen``. The pages are ingested into a temporary home
and sent through the real OCR and extraction stages (``dangan.stages.run_ocr`` /
``run_extract``, database included) with the worker threads and ONNX threads
that ``dangan process`` would use. Printed: per stage (decode, clean-up,
detection, recognition, extraction, DB writes) seconds per page, characters
recognised, pages/s; then the same page images through ``RapidOCR()(image)``
(default settings, one page after another, as the library is usually called).
The last line is machine-readable:
``pages_per_s=… baseline_pages_per_s=… ratio=…``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STAGES = ("decode", "clean-up", "detection", "recognition", "extraction", "db_writes")
FORM_FAMILIES = ("form_party", "form_columns", "adoption", "spread")


class StageClock:
    """Exclusive wall and CPU time per stage, per thread: a nested section's time is its own.

    CPU time is the thread's own (``time.thread_time``); with one ONNX thread per
    worker the inference runs on the calling thread, so it is counted. On a shared,
    busy machine CPU seconds say more than wall seconds.
    """

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        stack: list[list[Any]] = self._local.__dict__.setdefault("stack", [])
        # name, wall start, cpu start, child wall, child cpu
        frame: list[Any] = [name, time.perf_counter(), time.thread_time(), 0.0, 0.0]
        stack.append(frame)
        try:
            yield
        finally:
            stack.pop()
            wall = time.perf_counter() - frame[1]
            cpu = time.thread_time() - frame[2]
            with self._lock:
                self.totals[name] += wall - frame[3]
                self.cpu[name] += cpu - frame[4]
            if stack:
                stack[-1][3] += wall
                stack[-1][4] += cpu

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **k: Any) -> Any:
            with self.section(name):
                return fn(*a, **k)
        return timed


class _Timed:
    """A model object (detector, classifier, recogniser) whose calls are timed."""

    def __init__(self, inner: Any, clock: StageClock, name: str) -> None:
        self._inner, self._clock, self._name = inner, clock, name

    def __call__(self, *a: Any, **k: Any) -> Any:
        with self._clock.section(self._name):
            return self._inner(*a, **k)

    def __getattr__(self, item: str) -> Any:
        return getattr(self._inner, item)


def instrument(engine: Any, clock: StageClock) -> None:
    """Time the engine's models wherever they are called from (clean-up, OCR, re-reads)."""
    inner = getattr(engine, "_ocr", None)
    for attr, name in (("_det", "detection"), ("_cls", "recognition"),
                       ("_rec", "recognition")):
        if hasattr(engine, attr):
            setattr(engine, attr, _Timed(getattr(engine, attr), clock, name))
    if inner is not None:
        for attr, name in (("text_det", "detection"), ("text_cls", "recognition"),
                           ("text_rec", "recognition")):
            if getattr(inner, attr, None) is not None:
                setattr(inner, attr, _Timed(getattr(inner, attr), clock, name))


def generate(pages: int, seed: int, families: list[str] | None) -> Path:
    from dangan.samplegen import FAMILIES, generate_set

    fams = families or list(FAMILIES)
    out = ROOT / ".cache" / f"bench_ocr_set_{seed}_{pages}" / "_".join(sorted(fams))
    if not (out / "pages.jsonl").exists():
        generate_set(out, pages=pages, seed=seed, families=fams)
    return out


def _load_bench_extraction() -> Any:
    spec = importlib.util.spec_from_file_location("bench_extraction",
                                                  ROOT / "scripts" / "bench_extraction.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_extraction"] = mod
    spec.loader.exec_module(mod)
    return mod


def run_project(set_dir: Path, workers: int, threads: int) -> dict[str, Any]:
    """Ingest into a temporary home, then OCR + extract every page with worker threads."""
    from sqlalchemy import select

    import dangan.stages as stages
    import extraction
    from dangan.runtime import build_runtime, default_ocr_threads, default_workers
    from dangan.settings import Settings
    from ingest.service import BookMeta, Ingestor
    from records.db import OcrResult, Page, PageState
    from records.export import iter_contract

    home = Path(tempfile.mkdtemp(prefix="bench-ocr-home-"))
    settings = Settings(home=home, workers=workers, ocr_threads=threads)
    rt = build_runtime(settings)
    workers = default_workers(settings)
    threads = settings.ocr_threads or default_ocr_threads(settings)
    Ingestor(rt.db, rt.blobs, rt.limits).ingest([set_dir], BookMeta())
    with rt.db.session() as s:
        page_ids = list(s.scalars(select(Page.id).where(Page.state == PageState.PENDING)
                                  .order_by(Page.id)))
        families = _families(set_dir, s)
    clock = StageClock()
    engine = rt.engine()  # one model load, outside the timing
    instrument(engine, clock)
    stages._decode = clock.wrap("decode", stages._decode)
    stages.clean_page = clock.wrap("clean-up", stages.clean_page)
    extraction.extract_page = clock.wrap("extraction", extraction.extract_page)
    per_page: dict[str, float] = {}

    def one(pid: str) -> None:
        t = time.perf_counter()
        with clock.section("db_writes"):  # whatever the stages do besides the above
            res = stages.run_ocr(rt, pid)
            if res.next_stage == "extract":
                stages.run_extract(rt, pid)
        per_page[pid] = time.perf_counter() - t

    t0, c0 = time.perf_counter(), process_cpu()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, page_ids))
    wall, cpu = time.perf_counter() - t0, process_cpu() - c0
    with rt.db.session() as s:
        chars = sum(s.scalars(select(OcrResult.chars)))
        states = dict.fromkeys(page_ids, "")
        for p in s.scalars(select(Page).where(Page.id.in_(page_ids))):
            states[p.id] = str(p.state)
        records = list(iter_contract(s))
        keys = [p.image_path for p in s.scalars(select(Page).where(Page.id.in_(page_ids)))]
    images = [rt.blobs.read_bytes(k) for k in keys if k]
    rt.close()
    return {"pages": len(page_ids), "wall": wall, "cpu": cpu, "totals": dict(clock.totals),
            "cpu_totals": dict(clock.cpu), "chars": chars,
            "per_page": per_page, "families": families, "states": states, "records": records,
            "workers": workers, "threads": threads, "images": images}


def process_cpu() -> float:
    """CPU seconds of this process, every thread (ONNX Runtime's pool included)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _families(set_dir: Path, s: Any) -> dict[str, str]:
    """page id -> generator family (from pages.jsonl), '' when unknown."""
    from sqlalchemy import select

    from records.db import Page, SourceFile

    fam: dict[tuple[str, int], str] = {}
    pages_file = set_dir / "pages.jsonl"
    if pages_file.exists():
        for line in pages_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                m = json.loads(line)
                fam[(Path(m["file"]).name, int(m["page"]))] = str(m.get("family", ""))
    rows = s.execute(select(Page.id, SourceFile.original_name, Page.page_no)
                     .join(SourceFile, Page.file_sha256 == SourceFile.sha256))
    return {pid: fam.get((name, int(no)), "") for pid, name, no in rows}


def run_baseline(blobs: list[bytes]) -> dict[str, Any]:
    """``RapidOCR()(image)`` per page, default settings, on the same stored page images."""
    import cv2
    from rapidocr import RapidOCR

    ocr = RapidOCR(params={"Global.log_level": "error"})
    for load in ("_load_det_model", "_load_cls_model", "_load_rec_model"):
        getattr(ocr, load, lambda: None)()  # load the models outside the timing, as ours
    chars = 0
    t0, c0 = time.perf_counter(), process_cpu()
    for data in blobs:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert img is not None, "a stored page image does not decode"
        res = ocr(img)
        chars += sum(len(t) for t in (getattr(res, "txts", None) or ()))
    wall, cpu = time.perf_counter() - t0, process_cpu() - c0
    return {"pages": len(blobs), "wall": wall, "cpu": cpu, "chars": chars}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", nargs="?", type=Path, help="scans to use (default: generate)")
    ap.add_argument("--pages", type=int, default=18, help="pages to generate")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--families", nargs="*", help="families to generate (default: all)")
    ap.add_argument("--workers", type=int, default=0, help="worker threads (0: as `process`)")
    ap.add_argument("--threads", type=int, default=0, help="ONNX threads (0: as `process`)")
    ap.add_argument("--baseline-pages", type=int, help="only the first N pages for the baseline")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args(argv)
    set_dir = args.dir or generate(args.pages, args.seed, args.families)

    got = run_project(set_dir, args.workers, args.threads)
    n = max(1, got["pages"])
    print(f"set {set_dir}: {got['pages']} pages; workers={got['workers']} "
          f"onnx_threads={got['threads']}")
    print("per stage, seconds per page (summed over worker threads):   wall     cpu")
    for st in STAGES:
        print(f"  {st:56s} {got['totals'].get(st, 0.0) / n:7.3f} "
              f"{got['cpu_totals'].get(st, 0.0) / n:7.3f}")
    busy, busy_cpu = sum(got["totals"].values()), sum(got["cpu_totals"].values())
    print(f"  {'total':56s} {busy / n:7.3f} {busy_cpu / n:7.3f}")
    by_fam: dict[str, list[float]] = defaultdict(list)
    for pid, sec in got["per_page"].items():
        by_fam[got["families"].get(pid, "") or "?"].append(sec)
    for fam, secs in sorted(by_fam.items()):
        print(f"  family {fam:14s} {len(secs):3d} pages  {np.mean(secs):6.2f} s/page (latency)")
    form = [s for pid, s in got["per_page"].items() if got["families"].get(pid) in FORM_FAMILIES]
    pps = got["pages"] / got["wall"]
    print(f"project: {got['pages']} pages in {got['wall']:.1f}s = {pps:.2f} pages/s, "
          f"{got['chars']} characters recognised; {got['cpu'] / n:.2f} CPU s/page")
    if form:
        # the workers overlap: wall share of form pages = their latency share of busy time
        share = sum(form) / max(1e-9, sum(got["per_page"].values()))
        print(f"form pages: {len(form) / (share * got['wall']):.2f} pages/s (estimated from "
              f"their share of worker time)")
    truth = set_dir / "truth.jsonl"
    if truth.exists():
        bex = _load_bench_extraction()
        sc = bex.score(bex.read_jsonl(truth), got["records"], bex.read_jsonl(
            set_dir / "pages.jsonl"))
        run = bex.RunResult(got["records"], got["wall"], 0.0, got["pages"], via="bench_ocr")
        print(bex.report(sc, run, False).splitlines()[-1])
    if args.no_baseline:
        print(f"pages_per_s={pps:.3f} baseline_pages_per_s=nan ratio=nan")
        return 0
    base = run_baseline(got["images"][:args.baseline_pages])
    bps = base["pages"] / base["wall"]
    print(f"baseline RapidOCR()(image): {base['pages']} pages in {base['wall']:.1f}s = "
          f"{bps:.2f} pages/s, {base['chars']} characters recognised; "
          f"{base['cpu'] / max(1, base['pages']):.2f} CPU s/page")
    print(f"CPU seconds per page, baseline / project: "
          f"{(base['cpu'] / max(1, base['pages'])) / max(1e-9, got['cpu'] / n):.2f} "
          f"(the speed-up where nothing else competes for the cores)")
    print(f"pages_per_s={pps:.3f} baseline_pages_per_s={bps:.3f} ratio={pps / bps:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
