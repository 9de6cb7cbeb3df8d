"""Ledgers (登记簿): a header row gives each column a role; one record per row.

Headers come in one level (男方姓名 | 年龄 | ...) or two (男方 spanning 姓名 年龄
籍贯). A label repeated under several party markers gets the parties in x
order; column extents come from the ruling when there is one, otherwise from
midpoints between header centres. OCR lines that run across a ruled cell
line were already cut there by the tokenizer.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from extraction.candidates import COMMON, Candidate
from extraction.labels import OTHER, Party
from extraction.layout import Ruling, group_rows, median_height
from extraction.tokens import Token
from ocr.types import BBox, Line


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    party: Party | None
    x0: float
    x1: float
    header: Token


@dataclass(frozen=True, slots=True)
class LedgerRow:
    row: int
    candidates: tuple[Candidate, ...]
    bbox: BBox


def _header_band(rows: list[list[Token]], h: float) -> tuple[int, int] | None:
    """Rows [a, b] forming the header: the row richest in labels plus label-only neighbours."""
    def n_labels(row: list[Token]) -> int:
        return sum(1 for t in row if t.is_field_label)

    def label_only(row: list[Token]) -> bool:
        return sum(1 for t in row if t.is_value) <= 1 and any(not t.is_value for t in row)

    best = max(range(len(rows)), key=lambda r: (n_labels(rows[r]), -r), default=None)
    if best is None or n_labels(rows[best]) < 3:
        return None
    a = b = best
    while a > 0 and label_only(rows[a - 1]) and rows[a][0].bbox.y0 - rows[a - 1][0].bbox.y1 < 2 * h:
        a -= 1
    while b + 1 < len(rows) and label_only(rows[b + 1]) and (
            rows[b + 1][0].bbox.y0 - rows[b][0].bbox.y1 < 2 * h):
        b += 1
    return a, b


def _assign_parties(labels: list[Token], markers: list[Token]) -> list[Party | None]:
    """Party of each header label: its own prefix, else the marker spanning it."""
    parties: list[Party | None] = [t.party for t in labels]
    if not markers:
        current: Party | None = None
        for i, t in enumerate(labels):  # 男方姓名 | 年龄 | 住址 | 女方姓名 | 年龄
            if parties[i] is not None:
                current = parties[i]
            elif t.label and t.label.field not in COMMON:
                parties[i] = current
        return parties
    ms = sorted(markers, key=lambda t: t.bbox.cx)
    by_field: dict[str, list[int]] = {}
    for i, t in enumerate(labels):
        if parties[i] is None and t.label and t.label.field not in COMMON:
            by_field.setdefault(t.label.field or "", []).append(i)
    for idxs in by_field.values():
        idxs.sort(key=lambda i: labels[i].bbox.cx)
        if len(idxs) == len(ms):
            for i, m in zip(idxs, ms, strict=True):
                parties[i] = m.party
        else:
            for i in idxs:
                cx = labels[i].bbox.cx
                parties[i] = min(ms, key=lambda m: abs(m.bbox.cx - cx)).party
    return parties


def _columns(header: list[Token], ruling: Ruling | None) -> list[Column]:
    labels = sorted((t for t in header if t.is_field_label), key=lambda t: t.bbox.cx)
    markers = [t for t in header if t.is_marker]
    parties = _assign_parties(labels, markers)
    cells = [ruling.cell_of(t.bbox) if ruling else None for t in labels]
    out: list[Column] = []
    for i, t in enumerate(labels):
        cell = cells[i]
        if cell is not None and cell.width < 0.5:
            x0, x1 = cell.x0, cell.x1
        else:
            x0 = (labels[i - 1].bbox.cx + t.bbox.cx) / 2 if i > 0 else 0.0
            x1 = (t.bbox.cx + labels[i + 1].bbox.cx) / 2 if i + 1 < len(labels) else 1.0
        assert t.label is not None
        out.append(Column(t.label.field or OTHER, parties[i], x0, x1, t))
    return out


def _row_numbers(row_boxes: list[BBox]) -> list[int]:
    """1-based data row numbers in top-to-bottom order.

    Counting rows is steadier than measuring them: row heights vary with wrapped
    text and ruled bands break under seals, both of which skip numbers.
    """
    return list(range(1, len(row_boxes) + 1))


def read_ledger(lines: Sequence[Line], tokens: Sequence[Token], ruling: Ruling | None
                ) -> list[LedgerRow]:
    """One LedgerRow per data row that holds values in at least two columns."""
    if not tokens:
        return []
    h = median_height(tokens)
    rows = group_rows(tokens)
    band = _header_band(rows, h)
    if band is None:
        return []
    header = [t for r in range(band[0], band[1] + 1) for t in rows[r]]
    cols = _columns(header, ruling)
    header_bottom = max(t.bbox.y1 for t in header)
    # tokens were already cut at ruled column lines; midpoints between header
    # centres are too unreliable to cut text at (a footer would become a row)
    data_tokens = [t for t in tokens if t.bbox.cy > header_bottom]
    data_rows = [r for r in _data_rows([t for t in data_tokens if t.is_value or t.is_marker])
                 if _is_record_row(r, cols)]
    nums = _row_numbers([_union(r) for r in data_rows])
    out: list[LedgerRow] = []
    for num, row in zip(nums, data_rows, strict=True):
        cands = []
        for c in cols:
            if c.field == OTHER:
                continue
            toks = tuple(t for t in row if c.x0 <= t.bbox.cx < c.x1)
            toks = tuple(Token(t.text, t.bbox, t.conf, None, t.line_index) for t in toks)
            cell = None
            if not toks:
                y0, y1 = min(t.bbox.y0 for t in row), max(t.bbox.y1 for t in row)
                cell = BBox(c.x0 + 0.002, y0, c.x1 - 0.002, y1)
            cands.append(Candidate(c.party, c.field, toks, c.header, "column", cell))
        out.append(LedgerRow(num, tuple(cands), _union(row)))
    return out


def _data_rows(tokens: list[Token]) -> list[list[Token]]:
    """Rows of a ledger, robust to handwriting that drifts off its row's baseline.

    Well-populated rows fix the row centres; fragments (one or two values that
    sat high or low) join the nearest centre within 0.6 row pitch.
    """
    rows = group_rows(tokens)
    if len(rows) < 2:
        return rows
    most = max(len(r) for r in rows)
    big = [r for r in rows if len(r) >= max(3, 0.4 * most)]
    if len(big) < 2:
        return rows
    centers = [sum(t.bbox.cy for t in r) / len(r) for r in big]
    gaps = sorted(b - a for a, b in itertools.pairwise(centers))
    pitch = gaps[len(gaps) // 2]
    merged: list[list[Token]] = [list(r) for r in big]
    for r in rows:
        if any(r is b for b in big):
            continue
        cy = sum(t.bbox.cy for t in r) / len(r)
        k = min(range(len(centers)), key=lambda i: abs(centers[i] - cy))
        if abs(centers[k] - cy) < 0.6 * pitch:
            merged[k].extend(r)
        else:
            merged.append(list(r))
            centers.append(cy)
    order = sorted(range(len(merged)), key=lambda i: centers[i])
    return [sorted(merged[i], key=lambda t: (t.bbox.x0, t.bbox.y0)) for i in order]


def _is_record_row(row: list[Token], cols: list[Column]) -> bool:
    filled = {c.field for c in cols for t in row if c.x0 <= t.bbox.cx < c.x1
              and c.field != OTHER}
    return len(filled) >= 2  # a lone cell is a footer or a page number, not a couple


def _union(row: Sequence[Token]) -> BBox:
    box = row[0].bbox
    for t in row[1:]:
        box = box.union(t.bbox)
    return box
