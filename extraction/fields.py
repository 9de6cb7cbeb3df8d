"""Candidates -> ExtractedField: normalize, re-read doubtful cells, score, flag.

A field is auto-accepted only when every check passes: calibrated score above
its type's threshold, no normalization problem, no placeholder mark, and (at
record level) no cross-field contradiction. A doubtful value is re-recognised
from its own crop, which avoids the line-merging and context of the full-page
pass; the better of the two readings is kept, and agreement raises trust.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from extraction import plausible
from extraction.candidates import Candidate
from extraction.confidence import Calibration, raw_score
from extraction.text import PLACEHOLDERS, strip_separators
from ocr.engine import OcrEngine
from ocr.types import BBox
from records.model import ExtractedField, Kind

LOW_CONFIDENCE = "low OCR confidence"
EMPTY_VALUE = "label present but value empty or unreadable"
PLACEHOLDER = "placeholder mark in value"
WEAK_LABEL = "label read fuzzily"
SEALED = "seal over value"
DISAGREE = "re-reading the cell gave a different value"
_YEAR_PREFIX = re.compile(r"^\d{4}[)）]")


def repair(key: str, text: str) -> str:
    """Undo one frequent, unambiguous OCR loss: the ``(`` of a ``(1956)`` prefix."""
    if key == "certificate_no" and _YEAR_PREFIX.match(text):
        return "(" + text
    return text


@dataclass(frozen=True, slots=True)
class Reading:
    text: str
    conf: float
    via: str
    bbox: BBox | None


def _normalize(key: str, text: str) -> tuple[str | int | None, tuple[str, ...]]:
    from records.normalize import normalize_field

    n = normalize_field(key, text)
    return n.value, tuple(n.problems) + plausible.problems(key, n.value, text)


def _crop(image: np.ndarray, box: BBox, pad: float = 0.25) -> np.ndarray | None:
    h, w = image.shape[:2]
    px = box.height * pad
    x0, y0, x1, y1 = BBox(box.x0 - px, box.y0 - px, box.x1 + px, box.y1 + px).to_pixels(w, h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return image[y0:y1, x0:x1]


def _red_mask(crop: np.ndarray) -> np.ndarray | None:
    """Bright red pixels (seal ink); None for grey images."""
    if crop.ndim != 3 or crop.shape[2] < 3:
        return None
    c = crop[:, :, :3].astype(np.int16)
    b, g, r = c[:, :, 0], c[:, :, 1], c[:, :, 2]
    return (r > 140) & (r - np.maximum(g, b) > 60)


def seal_over(image: np.ndarray | None, box: BBox | None) -> bool:
    """Whether a red seal covers part of the value: its first reading is suspect."""
    if image is None or box is None:
        return False
    crop = _crop(image, box, pad=0.0)
    mask = _red_mask(crop) if crop is not None else None
    return mask is not None and float(mask.mean()) > 0.005


def _without_seal(crop: np.ndarray) -> np.ndarray:
    """The crop with seal-red pixels turned to paper white, so the ink under it reads."""
    mask = _red_mask(crop)
    if mask is None or not mask.any():
        return crop
    out = crop.copy()
    out[mask] = 255
    return out


def _reread(engine: OcrEngine, image: np.ndarray, box: BBox) -> Reading | None:
    crop = _crop(image, box)
    if crop is None:
        return None
    try:
        got = engine.recognize_crops([_without_seal(crop)])
    except Exception:  # an engine failure must not lose the page
        return None
    if not got:
        return None
    text, conf = got[0]
    text = strip_separators(text or "")
    return Reading(text, float(conf), "reread", box) if text else None


def _score(key: str, r: Reading, label_score: float, cal: Calibration
           ) -> tuple[str | int | None, tuple[str, ...], float, float]:
    value, problems = _normalize(key, r.text) if r.text else (None, (EMPTY_VALUE,))
    raw = raw_score(r.conf, label_score, r.via)
    return value, problems, raw, cal.for_key(key).probability(raw)


def build_field(key: str, cand: Candidate, cal: Calibration, image: np.ndarray | None,
                engine: OcrEngine | None) -> ExtractedField:
    """One field from its candidate (see module doc)."""
    first = Reading(repair(key, cand.text), cand.conf, cand.via, cand.bbox)
    tc = cal.for_key(key)
    value, problems, raw, prob = _score(key, first, cand.label_score, cal)
    best = (first, value, problems, raw, prob)
    box = cand.bbox or cand.cell
    sealed = seal_over(image, box)
    doubtful = bool(problems) or raw < tc.threshold or sealed
    disagree = False
    if doubtful and engine is not None and image is not None and box is not None:
        second = _reread(engine, image, cand.cell or box)
        if second is not None:
            second = Reading(repair(key, second.text), second.conf, second.via, second.bbox)
            v2, p2, raw2, prob2 = _score(key, second, cand.label_score, cal)
            if v2 is not None and v2 == value:
                raw = max(raw, raw2)
                best = (first, value, problems, raw, cal.for_key(key).probability(raw))
                sealed = False
            else:
                disagree = value is not None and v2 is not None
                if (sealed and not p2) or len(p2) < len(problems) or value is None:
                    best = (second, v2, p2, raw2, prob2)
    reading, value, problems, raw, prob = best
    reasons = list(problems)
    if sealed:
        reasons.append(SEALED)
    if disagree:
        reasons.append(DISAGREE)
    if raw < tc.threshold and reading.text:
        reasons.append(LOW_CONFIDENCE)
    if any(c in PLACEHOLDERS for c in reading.text) and key.endswith(("_name", "_date")):
        reasons.append(PLACEHOLDER)
    if cand.label_score < 1.0 and LOW_CONFIDENCE not in reasons:
        reasons.append(WEAK_LABEL)
    if value is None and EMPTY_VALUE not in reasons:
        reasons.append(EMPTY_VALUE)
    reasons = list(dict.fromkeys(reasons))
    return ExtractedField(key, value, reading.text or None, round(prob, 4), bool(reasons),
                          tuple(reasons), reading.bbox or box)


def add_record_reasons(kind: Kind, fields: Mapping[str, ExtractedField],
                       book: object | None) -> dict[str, ExtractedField]:
    """Cross-field checks (records.validate) added to the fields they concern."""
    from records.model import BookContext
    from records.validate import validate_record

    values = {k: f.value for k, f in fields.items()}
    ctx = book if isinstance(book, BookContext) else None
    try:
        found = validate_record(kind, values, ctx)
    except Exception as exc:  # validation must never lose a page
        found = {k: (f"validation failed: {exc}",) for k in fields}
    out = dict(fields)
    for key, reasons in found.items():
        f = out.get(key)
        if f is None:
            continue
        merged = tuple(dict.fromkeys((*f.reasons, *reasons)))
        out[key] = ExtractedField(f.key, f.value, f.original, f.confidence, True, merged, f.bbox)
    return out


def force_review(fields: Mapping[str, ExtractedField], reason: str) -> dict[str, ExtractedField]:
    """Every field needs review (e.g. a 1950s certificate)."""
    return {k: ExtractedField(f.key, f.value, f.original, f.confidence, True,
                              tuple(dict.fromkeys((*f.reasons, reason))), f.bbox)
            for k, f in fields.items()}


def pick_best(cands: Sequence[tuple[str, Candidate]]) -> dict[str, Candidate]:
    """One candidate per key: a value over none, exact label over fuzzy, longer label."""
    best: dict[str, Candidate] = {}
    for key, c in cands:
        cur = best.get(key)
        if cur is None or _rank(c) > _rank(cur):
            best[key] = c
    return best


def _rank(c: Candidate) -> tuple[int, float, int, float]:
    label_len = len(c.label.text) if c.label is not None else 9  # formula match (certificate)
    return (1 if c.tokens else 0, c.label_score, label_len, c.conf)
