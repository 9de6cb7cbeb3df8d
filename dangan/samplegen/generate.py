"""Whole sample sets: books of mixed pages, their scans and their truth files."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from records.model import Kind

from .degrade import random_scan_params
from .model import PageMeta, TruthRecord
from .render import FAMILIES, UnknownFamilyError, random_dpi, render_page
from .values import OFFICES, BookCursor, BookSpec, random_book
from .writer import ScanPage, check_format, write_book, write_jsonl

TRUTH_FILE = "truth.jsonl"
PAGES_FILE = "pages.jsonl"
DEMO_FILE = "book-1972-03.pdf"

FAMILY_WEIGHTS: Mapping[str, float] = {
    "form_party": 0.25, "form_columns": 0.17, "ledger": 0.12, "stubs": 0.10,
    "spread": 0.07, "adoption": 0.08, "cert1950s": 0.05, "blank": 0.06, "cover": 0.0,
}


@dataclass(frozen=True, slots=True)
class GeneratedSet:
    """What a generator run wrote: scan files, truth, per-page metadata, counts."""

    out_dir: Path
    files: tuple[Path, ...]
    truth_path: Path
    pages_path: Path
    pages: int
    records: int
    family_pages: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PagePlan:
    """One page to draw: its family and any forced rotation."""

    family: str
    rotation: int | None = None


@dataclass(frozen=True, slots=True)
class BookPlan:
    """One file to write: the book it scans and its pages in order."""

    stem: str
    spec: BookSpec
    pages: tuple[PagePlan, ...]
    dpi: int
    mild: bool = False


def _page_families(rng: random.Random, pages: int, families: Sequence[str],
                   n_books: int) -> list[list[str]]:
    """Split ``pages`` into books: every family at least once, covers first in each book."""
    with_cover = "cover" in families
    body = [f for f in families if f != "cover"]
    n_body = pages - (n_books if with_cover else 0)
    chosen = body[:n_body] if body else []
    weights = [FAMILY_WEIGHTS.get(f, 0.1) or 0.1 for f in body]
    while body and len(chosen) < n_body:
        chosen.append(rng.choices(body, weights)[0])
    rng.shuffle(chosen)
    books, start = [], 0
    size = math.ceil(pages / n_books)
    for b in range(n_books):
        take = min(size - with_cover, n_body - start) if b < n_books - 1 else n_body - start
        part = chosen[start:start + take]
        start += take
        books.append((["cover"] if with_cover else []) + part)
    return [b for b in books if b]


def plan_set(seed: int, pages: int, families: Sequence[str], pages_per_file: int
             ) -> list[BookPlan]:
    """Decide every file and page of a set from ``seed`` alone (deterministic)."""
    rng = random.Random(f"dangan-samplegen/plan/{seed}")
    n_books = max(1, math.ceil(pages / max(1, pages_per_file)))
    plans, stems = [], set()
    books = _page_families(rng, pages, families, n_books)
    rotate_at = (rng.randrange(len(books)), ) if pages >= 10 else ()
    for i, fams in enumerate(books):
        early = "cert1950s" in fams and rng.random() < 0.5
        spec = random_book(rng, year=rng.randint(1950, 1959) if early else None)
        stem = f"book-{spec.year_from}-{spec.volume:02d}"
        while stem in stems:
            stem += "b"
        stems.add(stem)
        page_plans = [PagePlan(f) for f in fams]
        if rotate_at and rotate_at[0] == i:
            candidates = [j for j, f in enumerate(fams) if f not in ("cover", "blank")]
            if candidates:
                j = rng.choice(candidates)
                page_plans[j] = PagePlan(fams[j], rng.choice((90, 180, 270)))
        plans.append(BookPlan(stem, spec, tuple(page_plans), random_dpi(rng)))
    return plans


def _render_book(plan: BookPlan, seed: int, fmt: str, out_dir: Path
                 ) -> tuple[list[Path], list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(f"dangan-samplegen/{seed}/{plan.stem}")
    cursor = BookCursor(plan.spec, rng)
    scans: list[ScanPage] = []
    results: list[tuple[list[TruthRecord], PageMeta]] = []
    for page in plan.pages:
        params = random_scan_params(rng, rotation=page.rotation if page.rotation is not None
                                    else (0 if plan.mild else None), mild=plan.mild)
        if page.family == "cover":
            params = random_scan_params(rng, rotation=0, mild=True)
        image, records, meta = render_page(page.family, rng, cursor=cursor, dpi=plan.dpi,
                                           scan=params)
        scans.append(ScanPage(image, plan.dpi))
        results.append((records, meta))
    files = write_book(out_dir, plan.stem, scans, fmt)
    truth: list[dict[str, Any]] = []
    metas: list[dict[str, Any]] = []
    for i, (path, (records, meta)) in enumerate(zip(files, results, strict=True)):
        page_no = 1 if len(set(files)) > 1 else i + 1
        truth.extend(r.to_dict(path.name, page_no) for r in records)
        metas.append(meta.to_dict(path.name, page_no))
    return files, truth, metas


def _write_set(out_dir: Path, plans: Sequence[BookPlan], seed: int, fmt: str) -> GeneratedSet:
    check_format(fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    truth: list[dict[str, Any]] = []
    metas: list[dict[str, Any]] = []
    for plan in plans:
        f, t, m = _render_book(plan, seed, fmt, out_dir)
        files.extend(p for p in dict.fromkeys(f) if p not in files)
        truth.extend(t)
        metas.extend(m)
    truth_path, pages_path = out_dir / TRUTH_FILE, out_dir / PAGES_FILE
    write_jsonl(truth_path, truth)
    write_jsonl(pages_path, metas)
    return GeneratedSet(out_dir, tuple(files), truth_path, pages_path, len(metas), len(truth),
                        dict(Counter(m["family"] for m in metas)))


def generate_set(out_dir: Path, *, pages: int = 60, seed: int = 0,
                 families: Sequence[str] | None = None, file_format: str = "pdf",
                 pages_per_file: int = 20) -> GeneratedSet:
    """A mixed set of books (covers, blanks, rotated pages, spreads...) with truth files."""
    fams = list(families) if families else list(FAMILIES)
    for f in fams:
        if f not in FAMILIES:
            raise UnknownFamilyError(f)
    if pages < 1:
        raise ValueError("pages must be at least 1")
    return _write_set(out_dir, plan_set(seed, pages, fams, pages_per_file), seed, file_format)


def demo_plan(seed: int) -> BookPlan:
    """The README demo book: 20 pages of 1972 marriages at 北京市朝阳区.

    Cover first, one blank back side, one page turned upside down or sideways,
    one two-page spread, all other pages forms; mildly degraded.
    """
    rng = random.Random(f"dangan-samplegen/demo/{seed}")
    fams = ["cover"] + [rng.choices(("form_party", "form_columns"), (3, 1))[0]
                        for _ in range(19)]
    spread_at, blank_at, rotate_at = rng.sample(range(3, 19), 3)
    fams[spread_at], fams[blank_at] = "spread", "blank"
    pages = [PagePlan(f, rng.choice((90, 180)) if i == rotate_at else 0)
             for i, f in enumerate(fams)]
    office = next(o for o in OFFICES if o.code == "110105")
    spec = BookSpec(1972, 1972, office, Kind.MARRIAGE, volume=3)
    return BookPlan(DEMO_FILE.removesuffix(".pdf"), spec, tuple(pages), dpi=200, mild=True)


def generate_demo_book(out_dir: Path, *, seed: int = 1) -> GeneratedSet:
    """Exactly one 20-page PDF, ``book-1972-03.pdf``, with truth; for the README and e2e."""
    return _write_set(out_dir, [demo_plan(seed)], seed, "pdf")
