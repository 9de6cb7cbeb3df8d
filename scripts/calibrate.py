#!/usr/bin/env python
"""Refit ``extraction/calibration.json`` on a generated calibration set.

    calibrate.py [--pages 60 --seed 11 | --dir DIR] [--target 0.997] [--out PATH]

Use a seed different from the benchmark's. Extraction runs with an identity
curve so that the exported confidence *is* the raw score; then, per field
type, the threshold is the lowest raw score above which fields without any
other review reason were right at least ``target`` of the time, and the curve
maps raw-score bins to their observed accuracy (Laplace-smoothed, monotone).
Types with too few samples fall back to the pooled fit.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_extraction as bench  # noqa: E402

from extraction.confidence import (  # noqa: E402
    CALIBRATION_PATH,
    FIELD_TYPES,
    Calibration,
    TypeCalibration,
    field_type,
)
from extraction.fields import LOW_CONFIDENCE  # noqa: E402

BINS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 1.0001)
Sample = tuple[float, bool]


def fit_threshold(samples: list[Sample], target: float, min_n: int = 30) -> float | None:
    """Lowest raw score t with precision(raw >= t) >= target; None if no such t with min_n."""
    ordered = sorted(samples, key=lambda s: -s[0])
    best: float | None = None
    ok = 0
    for i, (raw, good) in enumerate(ordered, start=1):
        ok += good
        if i >= min_n and ok / i >= target:
            best = raw
    return best


def fit_curve(samples: list[Sample]) -> tuple[tuple[float, float], ...]:
    pts: list[tuple[float, float]] = []
    running = 0.0
    for lo, hi in itertools.pairwise(BINS):
        inside = [g for r, g in samples if lo <= r < hi]
        p = (sum(inside) + 1) / (len(inside) + 2)
        running = max(running, p)
        pts.append((min(hi, 1.0), round(running, 4)))
    return ((0.0, 0.0), *pts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--target", type=float, default=0.997)
    ap.add_argument("--out", type=Path, default=CALIBRATION_PATH)
    args = ap.parse_args()
    set_dir = args.dir or ROOT / ".cache" / f"bench_set_{args.seed}_{args.pages}" / "all"
    if not (set_dir / "truth.jsonl").exists():
        bench.generate(set_dir, args.pages, args.seed, None)
    identity = Calibration({t: TypeCalibration(0.95, ((0.0, 0.0), (1.0, 1.0)))
                            for t in FIELD_TYPES})
    run = bench.run_in_process(set_dir, calibration=identity)
    s = bench.score(bench.read_jsonl(set_dir / "truth.jsonl"), run.records,
                    bench.read_jsonl(set_dir / "pages.jsonl"))
    by_type: dict[str, list[Sample]] = defaultdict(list)
    clean: dict[str, list[Sample]] = defaultdict(list)
    for key, raw, ok, reasons in s.samples:
        t = field_type(key)
        by_type[t].append((raw, ok))
        if not [r for r in reasons if r != LOW_CONFIDENCE]:
            clean[t].append((raw, ok))
    pooled = [x for v in clean.values() for x in v]
    pooled_t = fit_threshold(pooled, args.target) or 1.0
    types: dict[str, TypeCalibration] = {}
    for t in FIELD_TYPES:
        thr = fit_threshold(clean.get(t, []), args.target)
        if thr is None:
            thr = pooled_t
        curve = fit_curve(by_type.get(t, []) or pooled)
        types[t] = TypeCalibration(max(thr, 0.5), curve)
        n = len(clean.get(t, []))
        print(f"{t:7s} n={n:4d} threshold={types[t].threshold:.4f}")
    args.out.write_text(json.dumps(Calibration(types).to_json(), indent=1) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
