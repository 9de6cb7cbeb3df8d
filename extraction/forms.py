"""Forms: pair every label with its value and every label with its party.

Works for the common form layouts without knowing which one it is looking at:

* ``男方姓名：王建国  女方姓名：李红梅`` - the label names the party;
* row labels with 男方 / 女方 value columns under a header row;
* 男方 / 女方 section headers, or a left column cell spanning the party's rows;
* the value right of its label, or under it (grid with labels on top);
* a value printed a little off the label's baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from extraction.candidates import COMMON, Candidate
from extraction.labels import OTHER, LabelMatch, Party
from extraction.layout import Ruling, group_rows, median_height, x_overlap
from extraction.tokens import Token
from ocr.types import BBox


@dataclass
class _Slot:
    """A label on the page and the value tokens attached to it so far."""

    label: Token
    row: int
    values: list[Token] = field(default_factory=list)
    via: str = "right"


@dataclass(frozen=True, slots=True)
class _Column:
    party: Party
    cx: float
    row: int


def _demote_values(row: list[Token]) -> list[Token]:
    """男/女 right after 性别 is the gender, not a party marker."""
    out: list[Token] = []
    for tok in row:
        prev = out[-1] if out else None
        if (tok.is_marker and len(tok.text) == 1 and prev is not None
                and prev.label is not None and prev.label.field == "gender"):
            tok = Token(tok.text, tok.bbox, tok.conf, None, tok.line_index)
        out.append(tok)
    return out


def _spanning_cell(tok: Token, ruling: Ruling | None, rows: Sequence[Sequence[Token]]
                   ) -> BBox | None:
    """The ruled cell of ``tok`` when it spans several text rows (a left-column party cell)."""
    if ruling is None or not ruling.vertical:
        return None
    cell = ruling.cell_of(tok.bbox)
    if cell is None or cell.height < 1.5 * tok.bbox.height:
        return None
    beside = [row for row in rows if any(
        t is not tok and cell.y0 <= t.bbox.cy <= cell.y1 and t.bbox.x0 >= cell.x1 - 1e-3
        for t in row)]
    return cell if len(beside) >= 2 else None


def _promote_markers(row: list[Token], ruling: Ruling | None = None,
                     rows: Sequence[Sequence[Token]] = ()) -> list[Token]:
    """A party marker with a value after it is a name label (送养人 王某, 男方：王建国).

    Not a marker in a ruled cell spanning several rows: that is a left-column
    party cell, and the value beside it belongs to a label above it.
    """
    out = list(row)
    for i, tok in enumerate(row[:-1]):
        nxt = row[i + 1]
        if tok.is_marker and nxt.is_value and tok.label is not None and (
                _spanning_cell(tok, ruling, rows) is None):
            lab = tok.label
            named = LabelMatch("name", lab.party, lab.start, lab.end,
                               lab.score if len(tok.text) > 1 else 0.95, lab.strong)
            out[i] = Token(tok.text, tok.bbox, tok.conf, named, tok.line_index)
    return out


def _is_header_row(row: Sequence[Token]) -> bool:
    """A row of party markers over value columns (other labels such as 项目 allowed)."""
    parties = {t.party for t in row if t.is_marker}
    fields = [t for t in row if t.is_field_label and t.label and t.label.field != OTHER]
    values = [t for t in row if t.is_value]
    return len(parties) >= 2 and not fields and len(values) <= 1


def _attach(rows: list[list[Token]], h: float) -> list[_Slot]:
    """Give every value to a label: the nearest label on its left, else the label above it.

    "On its left" tolerates a value written up to most of a line off the
    label's baseline, which row grouping alone would split into two rows.
    """
    slots = [_Slot(t, r) for r, row in enumerate(rows) for t in row if t.is_field_label]
    barriers = [t for row in rows for t in row if t.is_marker]
    below: list[Token] = []
    for row in rows:
        for tok in row:
            if not tok.is_value:
                continue
            slot = _left_label(slots, barriers, tok, h)
            if slot is None:
                below.append(tok)
            else:
                slot.values.append(tok)
    for tok in below:
        _attach_below(slots, tok, h)
    for slot in slots:
        slot.values.sort(key=lambda t: (round(t.bbox.cy / (1.2 * h)), t.bbox.x0))
    return slots


def _left_label(slots: list[_Slot], barriers: list[Token], tok: Token, h: float) -> _Slot | None:
    vb = tok.bbox
    tol = 0.9 * max(h, vb.height)
    near = [s for s in slots if s.label.bbox.x1 <= vb.x0 + 0.5 * h
            and abs(s.label.bbox.cy - vb.cy) < tol]
    if not near:
        return None
    best = min(near, key=lambda s: (vb.x0 - s.label.bbox.x1) + 3 * abs(s.label.bbox.cy - vb.cy))
    lb = best.label.bbox
    if any(lb.x1 <= m.bbox.cx <= vb.x0 and abs(m.bbox.cy - vb.cy) < tol for m in barriers):
        return None
    return best


def _attach_below(slots: list[_Slot], tok: Token, h: float) -> None:
    above = [s for s in slots if (not s.values or s.via == "below")
             and s.label.bbox.cy < tok.bbox.y0
             and tok.bbox.y0 - s.label.bbox.y1 < 2.5 * h
             and (x_overlap(s.label.bbox, tok.bbox) > 0.3
                  or abs(s.label.bbox.x0 - tok.bbox.x0) < h)]
    if not above:
        return
    best = max(above, key=lambda s: s.label.bbox.cy)
    if best.values and tok.bbox.y0 - best.values[-1].bbox.y1 > 1.5 * h:
        return
    best.values.append(tok)
    best.via = "below"


def _columns_above(columns: list[_Column], row: int) -> list[_Column]:
    """The nearest header row's columns above ``row``."""
    above = [c for c in columns if c.row < row]
    if not above:
        return []
    last = max(c.row for c in above)
    return [c for c in above if c.row == last]


def _party_of(slot: _Slot, markers: list[tuple[int, Token]], row_tokens: list[list[Token]],
              left_edge: float, ruling: Ruling | None = None) -> Party | None:
    """Party of a label that does not name one: row, spanning, left-column or section marker.

    A marker left of every label is a left-column cell when its ruled cell (or
    its own text) spans the label's height; a marker alone on its line is a
    section heading and governs the labels below it, up to the next heading.
    """
    lb = slot.label.bbox
    same_row = [t for t in row_tokens[slot.row] if t.party is not None
                and t.bbox.x1 <= lb.x0 + 1e-6]
    if same_row:
        return same_row[-1].party
    left = [(r, t) for r, t in markers if t.is_marker and t.bbox.x1 <= left_edge + 0.005]
    spanning = [t for _r, t in left if t.bbox.y0 <= lb.cy <= t.bbox.y1]
    if spanning:
        return max(spanning, key=lambda t: t.bbox.x1).party
    for _r, t in left:
        cell = _spanning_cell(t, ruling, row_tokens)
        if cell is not None and cell.y0 <= lb.cy <= cell.y1:
            return t.party
    if left:
        headings = [t for r, t in left if _is_heading(t, row_tokens[r], row_tokens)]
        if len(headings) == len(left):
            above = [t for t in headings if t.bbox.cy < lb.cy]
            if above:
                return max(above, key=lambda t: t.bbox.cy).party
        return min((t for _r, t in left), key=lambda t: abs(t.bbox.cy - lb.cy)).party
    above_m = [t for r, t in markers if r < slot.row]
    if above_m:
        return max(above_m, key=lambda t: t.bbox.cy).party
    return None


def _is_heading(tok: Token, own_row: Sequence[Token], rows: Sequence[Sequence[Token]]
                ) -> bool:
    """A marker on a line of its own: nothing beside it overlaps its height.

    A left-column party cell's text sits in the middle of its rows and so
    overlaps some of them; a section heading (男方情况, 一、男方) does not.
    """
    if len(own_row) != 1:
        return False
    b = tok.bbox
    for row in rows:
        for t in row:
            if t is tok or t.bbox.x0 < b.x1:
                continue
            overlap = min(b.y1, t.bbox.y1) - max(b.y0, t.bbox.y0)
            if overlap > 0.2 * min(b.height, t.bbox.height):
                return False
    return True


def read_form(tokens: Sequence[Token], ruling: Ruling | None = None) -> list[Candidate]:
    """Candidates (label, party, value tokens) of one form or form region."""
    if not tokens:
        return []
    h = median_height(tokens)
    rows = [_demote_values(r) for r in group_rows(tokens)]
    columns: list[_Column] = []
    markers: list[tuple[int, Token]] = []
    for r, row in enumerate(rows):
        if _is_header_row(row):
            columns.extend(_Column(t.party, t.bbox.cx, r) for t in row if t.is_marker and t.party)
        else:
            rows[r] = _promote_markers(row, ruling, rows)
            markers.extend((r, t) for t in rows[r] if t.party is not None)
    slots = _attach(rows, h)
    # party labels only: a common field (登记日期) printed further left says
    # nothing about where a left column of party cells ends
    party_x = [s.label.bbox.x0 for s in slots if s.label.label is not None
               and s.label.label.field not in COMMON and s.label.label.field != OTHER]
    left_edge = min(party_x or [s.label.bbox.x0 for s in slots] or [0.0])
    out: list[Candidate] = []
    for slot in slots:
        out.extend(_candidates(slot, columns, markers, rows, ruling, left_edge))
    return _resolve_by_order(out)


def _candidates(slot: _Slot, columns: list[_Column], markers: list[tuple[int, Token]],
                rows: list[list[Token]], ruling: Ruling | None, left_edge: float
                ) -> list[Candidate]:
    lab = slot.label.label
    assert lab is not None
    if lab.field is None or lab.field == OTHER:
        return []
    fld = lab.field
    if lab.party is not None or fld in COMMON:
        return [Candidate(lab.party, fld, tuple(slot.values), slot.label, slot.via,
                          _cell_right(slot.label.bbox, ruling))]
    cols = _columns_above(columns, slot.row)
    if cols and slot.via == "right":
        return _split_columns(slot, fld, cols)
    party = _party_of(slot, markers, rows, left_edge, ruling)
    return [Candidate(party, fld, tuple(slot.values), slot.label, slot.via,
                      _cell_right(slot.label.bbox, ruling))]


def _split_columns(slot: _Slot, fld: str, cols: list[_Column]) -> list[Candidate]:
    """Row label with one value per party column."""
    by_party: dict[Party, list[Token]] = {c.party: [] for c in cols}
    for tok in slot.values:
        col = min(cols, key=lambda c: abs(c.cx - tok.bbox.cx))
        by_party[col.party].append(tok)
    out = []
    lb = slot.label.bbox
    xs = sorted(c.cx for c in cols)
    for c in cols:
        i = xs.index(c.cx)
        x0 = lb.x1 if i == 0 else (xs[i - 1] + c.cx) / 2
        x1 = 0.98 if i + 1 == len(xs) else (xs[i + 1] + c.cx) / 2
        cell = BBox(x0, lb.y0 - 0.3 * lb.height, x1, lb.y1 + 0.3 * lb.height)
        out.append(Candidate(c.party, fld, tuple(by_party[c.party]), slot.label, "column", cell))
    return out


def _cell_right(label_box: BBox, ruling: Ruling | None) -> BBox | None:
    """The ruled cell right of a label cell: where an unread value would be."""
    if ruling is None or not ruling.vertical:
        return None
    own = ruling.cell_of(label_box)
    if own is None:
        return None
    probe = BBox(own.x1 + 0.006, label_box.y0, own.x1 + 0.008, label_box.y1)
    return ruling.cell_of(probe)


def _resolve_by_order(cands: list[Candidate]) -> list[Candidate]:
    """Party-less couple fields: the first occurrence is the man's, the second the woman's.

    Chinese couple forms list 男方 before 女方; this is only a fallback for
    forms whose markers OCR lost, and such fields get a lower label score.
    """
    out: list[Candidate] = []
    seen: dict[str, int] = {}
    for c in cands:
        if c.party is not None or c.field in COMMON or c.field == "gender":
            out.append(c)
            continue
        n = seen.get(c.field, 0)
        seen[c.field] = n + 1
        if n < 2 and c.label is not None and c.label.label is not None:
            party = Party.MALE if n == 0 else Party.FEMALE
            lab = c.label.label
            weaker = LabelMatch(lab.field, lab.party, lab.start, lab.end, lab.score * 0.9,
                                lab.strong)
            tok = Token(c.label.text, c.label.bbox, c.label.conf, weaker, c.label.line_index)
            out.append(Candidate(party, c.field, c.tokens, tok, c.via, c.cell))
        else:
            out.append(c)
    return out
