"""Calibrated field confidence and the auto-accept decision.

A raw score (OCR confidence × label-match score × layout factor) is mapped to
the probability that the field is right with a per-field-type monotone curve,
and compared with a per-type threshold chosen so that fields accepted without
review are right at least 99.5% of the time. Both are fitted on a generated
calibration set by ``scripts/calibrate.py`` and shipped in ``calibration.json``,
because OCR confidence alone is not a probability: PP-OCR says 0.99 for a
misread surname as readily as for a correct one.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from records.model import AGE_FIELDS, DATE_FIELDS, GENDER_FIELDS, ID_FIELDS, NAME_FIELDS

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
FIELD_TYPES = ("name", "date", "id", "age", "gender", "text")
VIA_FACTOR = {"right": 1.0, "column": 1.0, "below": 0.97, "reread": 0.98}


def field_type(key: str) -> str:
    """The calibration bucket of a field key."""
    if key in NAME_FIELDS:
        return "name"
    if key in DATE_FIELDS:
        return "date"
    if key in ID_FIELDS:
        return "id"
    if key in AGE_FIELDS:
        return "age"
    if key in GENDER_FIELDS:
        return "gender"
    return "text"


@dataclass(frozen=True, slots=True)
class TypeCalibration:
    """Threshold on the raw score and a monotone raw → probability curve."""

    threshold: float = 0.95
    curve: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.9, 0.8), (1.0, 0.99))

    def probability(self, raw: float) -> float:
        xs = [p[0] for p in self.curve]
        i = bisect.bisect_right(xs, raw)
        if i == 0:
            return self.curve[0][1]
        if i >= len(self.curve):
            return self.curve[-1][1]
        (x0, y0), (x1, y1) = self.curve[i - 1], self.curve[i]
        t = 0.0 if x1 == x0 else (raw - x0) / (x1 - x0)
        return y0 + t * (y1 - y0)


@dataclass(frozen=True, slots=True)
class Calibration:
    types: dict[str, TypeCalibration] = field(default_factory=dict)

    def for_key(self, key: str) -> TypeCalibration:
        return self.types.get(field_type(key), TypeCalibration())

    def to_json(self) -> dict[str, object]:
        return {"version": 1, "types": {
            k: {"threshold": round(v.threshold, 4),
                "curve": [[round(a, 4), round(b, 4)] for a, b in v.curve]}
            for k, v in self.types.items()}}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Calibration:
        raw_types = data.get("types", {})
        assert isinstance(raw_types, dict)
        types = {k: TypeCalibration(float(v["threshold"]),
                                    tuple((float(a), float(b)) for a, b in v["curve"]))
                 for k, v in raw_types.items()}
        return cls(types)


@lru_cache(maxsize=4)
def load_calibration(path: str | None = None) -> Calibration:
    """The shipped calibration (defaults when the file is missing or broken)."""
    p = Path(path) if path else CALIBRATION_PATH
    try:
        return Calibration.from_json(json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, AssertionError):
        return Calibration()


def raw_score(ocr_conf: float, label_score: float, via: str) -> float:
    """Uncalibrated evidence that a field was read right, 0..1."""
    return max(0.0, min(1.0, ocr_conf * label_score * VIA_FACTOR.get(via, 0.95)))
