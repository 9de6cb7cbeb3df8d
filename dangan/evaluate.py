"""Compare exported records with generated ground truth (demo, tests, benchmarks).

Records are matched by where they sit (file, page, half, row, slot order); a truth
field that is missing or different counts as wrong.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _loc(rec: dict[str, Any]) -> tuple[str, int, str, int]:
    src = rec["source"]
    return (src["file"], int(src["page"]), src.get("half") or "", int(src.get("row") or 0))


@dataclass
class Evaluation:
    truth_records: int = 0
    found_records: int = 0
    spurious_records: int = 0
    fields_total: int = 0
    fields_right: int = 0
    auto_fields: int = 0
    auto_right: int = 0
    per_field: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    wrong: list[tuple[str, str, Any, Any]] = field(default_factory=list)

    @property
    def field_acc(self) -> float:
        return self.fields_right / self.fields_total if self.fields_total else 0.0

    @property
    def recall(self) -> float:
        return self.found_records / self.truth_records if self.truth_records else 0.0

    @property
    def auto_rate(self) -> float:
        return self.auto_fields / self.fields_total if self.fields_total else 0.0

    @property
    def auto_precision(self) -> float:
        return self.auto_right / self.auto_fields if self.auto_fields else 0.0

    def line(self) -> str:
        return (f"field_acc={self.field_acc:.4f} auto_rate={self.auto_rate:.4f} "
                f"auto_precision={self.auto_precision:.4f} recall={self.recall:.4f} "
                f"spurious={self.spurious_records}")


def evaluate(truth: Iterable[dict[str, Any]], exported: Iterable[dict[str, Any]]
             ) -> Evaluation:
    ev = Evaluation()
    by_loc: dict[tuple[str, int, str, int], list[dict[str, Any]]] = defaultdict(list)
    for exp in exported:
        by_loc[_loc(exp)].append(exp)
    truth_by_loc: dict[tuple[str, int, str, int], list[dict[str, Any]]] = defaultdict(list)
    for t in truth:
        truth_by_loc[_loc(t)].append(t)
    for loc, ts in truth_by_loc.items():
        got = by_loc.pop(loc, [])
        for t in ts:
            ev.truth_records += 1
            rec = _best_match(t, got)
            if rec is not None:
                got.remove(rec)
            ev.found_records += rec is not None
            _score_fields(ev, loc, t, rec)
        ev.spurious_records += len(got)
    ev.spurious_records += sum(len(v) for v in by_loc.values())
    return ev


def _best_match(t: dict[str, Any], candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Several records at one place (stubs): pair by the most agreeing field values."""
    def agree(rec: dict[str, Any]) -> int:
        return sum(1 for k, v in t["fields"].items()
                   if rec["fields"].get(k, {}).get("value") == (v["value"] if isinstance(v, dict)
                                                                else v))
    return max(candidates, key=agree, default=None)


def _score_fields(ev: Evaluation, loc: tuple[str, int, str, int], t: dict[str, Any],
                  rec: dict[str, Any] | None) -> None:
    fields: dict[str, Any] = rec["fields"] if rec else {}
    for key, tv in t["fields"].items():
        want = tv["value"] if isinstance(tv, dict) else tv
        got: dict[str, Any] | None = fields.get(key)
        right = got is not None and got.get("value") == want
        ev.fields_total += 1
        ev.fields_right += right
        ev.per_field[key][0] += right
        ev.per_field[key][1] += 1
        if got is not None and not got.get("needs_review", True):
            ev.auto_fields += 1
            ev.auto_right += right
        if not right:
            ev.wrong.append((f"{loc[0]} p{loc[1]}{loc[2]} r{loc[3]}", key, want,
                             got.get("value") if got else None))
