#!/usr/bin/env python3
"""Write synthetic scanned registration books with ground truth (see dangan.samplegen)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dangan.samplegen import FAMILIES, FORMATS, generate_demo_book, generate_set


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument("--pages", type=int, default=60, help="number of pages (default 60)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--families", default="",
                   help=f"comma-separated subset of: {','.join(FAMILIES)}")
    p.add_argument("--format", dest="file_format", choices=FORMATS, default="pdf")
    p.add_argument("--pages-per-file", type=int, default=20)
    p.add_argument("--demo", action="store_true",
                   help="write the 20-page demo book book-1972-03.pdf instead")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        if args.demo:
            result = generate_demo_book(args.out, seed=args.seed or 1)
        else:
            families = [f.strip() for f in args.families.split(",") if f.strip()] or None
            result = generate_set(args.out, pages=args.pages, seed=args.seed,
                                  families=families, file_format=args.file_format,
                                  pages_per_file=args.pages_per_file)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {result.pages} pages, {result.records} records in {len(result.files)} files "
          f"to {result.out_dir} in {time.perf_counter() - started:.1f}s "
          f"(truth: {result.truth_path.name}, pages: {result.pages_path.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
