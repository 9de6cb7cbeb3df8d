"""Entry point: one cleaned-up page (OCR + image) -> PageExtraction."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from extraction.candidates import Candidate, field_key
from extraction.certificate import read_certificate
from extraction.classify import PageClass, classify_page, kind_from_text
from extraction.confidence import Calibration, load_calibration
from extraction.fields import add_record_reasons, build_field, force_review, pick_best
from extraction.forms import read_form
from extraction.layout import Ruling, detect_ruling
from extraction.ledger import read_ledger
from extraction.stubs import split_regions
from extraction.tokens import Token, join_split_labels, tokenize
from ocr.engine import OcrEngine
from ocr.types import BBox, Line, OcrPage
from records.model import (
    ADOPTION_FIELDS,
    COMMON_FIELDS,
    COUPLE_FIELDS,
    BookContext,
    ExtractedRecord,
    Kind,
    PageExtraction,
    PageType,
)

CERT_REASON = "1950s certificate: layout not verified, check every field"
_ALLOWED = {
    Kind.MARRIAGE: frozenset(COMMON_FIELDS + COUPLE_FIELDS),
    Kind.DIVORCE: frozenset(COMMON_FIELDS + COUPLE_FIELDS),
    Kind.ADOPTION: frozenset(COMMON_FIELDS + ADOPTION_FIELDS),
}


def extract_page(ocr: OcrPage, image: np.ndarray | None, *, book: BookContext | None = None,
                 kind_hint: Kind | None = None, engine: OcrEngine | None = None,
                 calibration: Calibration | None = None) -> PageExtraction:
    """Records of one page (a half of a spread counts as a page).

    ``image`` (BGR or grey, the same page the OCR ran on) enables ruled-line
    detection and, with ``engine``, re-recognition of doubtful cells; both are
    optional. Covers, blank and unknown pages yield no records.
    """
    cal = calibration or load_calibration()
    ruling = detect_ruling(image) if image is not None else Ruling()
    lines = join_split_labels([ln for ln in ocr.lines if ln.text.strip()])
    tokens = tokenize(lines, lambda ln: ruling.vlines_crossing(ln.bbox))
    pc = classify_page(ocr, tokens, kind_hint, book.kind if book else None)
    if not pc.page_type.bears_records:
        return PageExtraction(pc.page_type, (), pc.kind, pc.notes)
    kind = pc.kind or Kind.MARRIAGE
    notes = list(pc.notes)
    if pc.kind is None:
        notes.append("kind not found on page; assumed marriage")
    ctx = _Ctx(cal, image, engine, book)
    records = _records(pc, kind, lines, tokens, ruling, ctx, notes)
    return PageExtraction(pc.page_type, tuple(records), kind, tuple(notes),
                          needs_review=pc.page_type is PageType.CERTIFICATE)


class _Ctx:
    """What building fields needs besides the candidates."""

    def __init__(self, cal: Calibration, image: np.ndarray | None, engine: OcrEngine | None,
                 book: BookContext | None) -> None:
        self.cal, self.image, self.engine, self.book = cal, image, engine, book


def _records(pc: PageClass, kind: Kind, lines: Sequence[Line], tokens: Sequence[Token],
             ruling: Ruling, ctx: _Ctx, notes: list[str]) -> list[ExtractedRecord]:
    if pc.page_type is PageType.LEDGER:
        rows = read_ledger(lines, tokens, ruling)
        if len(rows) >= 1:
            got = [_record(kind, list(r.candidates), ctx, row=r.row) for r in rows]
            return [r for r in got if r is not None]
        notes.append("ledger header not found; read as a form")
    if pc.page_type is PageType.STUBS:
        out: list[ExtractedRecord] = []
        for region in split_regions(lines, tokens):
            rkind = kind_from_text([_title_line(region.title)]) if region.title else None
            rec = _record(rkind or kind, read_form(region.tokens, ruling), ctx,
                          slot=region.slot)
            if rec is not None:
                out.append(rec)
        return out
    cands = read_form(tokens, ruling)
    if pc.page_type is PageType.CERTIFICATE:
        cands = read_certificate(lines) + cands
    rec = _record(kind, cands, ctx)
    if rec is None:
        return []
    if pc.page_type is PageType.CERTIFICATE:
        rec = ExtractedRecord(rec.kind, force_review(rec.fields, CERT_REASON), rec.row,
                              rec.half, rec.bbox, rec.slot)
    return [rec]


def _title_line(text: str) -> Line:
    return Line(text, BBox(0, 0, 1, 0.05), 1.0)


def _record(kind: Kind, cands: list[Candidate], ctx: _Ctx, *, row: int | None = None,
            slot: int = 0) -> ExtractedRecord | None:
    """A record from its candidates; None when nothing usable was found."""
    keyed = [(k, c) for c in cands if (k := field_key(kind, c.party, c.field)) is not None
             and k in _ALLOWED[kind]]
    chosen = pick_best(keyed)
    if not any(c.tokens for c in chosen.values()):
        return None
    fields = {k: build_field(k, c, ctx.cal, ctx.image, ctx.engine) for k, c in chosen.items()}
    fields = add_record_reasons(kind, fields, ctx.book)
    box: BBox | None = None
    for f in fields.values():
        if f.bbox is not None:
            box = f.bbox if box is None else box.union(f.bbox)
    return ExtractedRecord(kind, fields, row=row, bbox=box, slot=slot)
