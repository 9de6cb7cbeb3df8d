"""OCR lines -> label / marker / value tokens with their own boxes.

OCR merges what the form prints apart (``出生日期一九六五年三月十二日`` comes back
as one line), and sometimes runs across a ruled cell line. Tokens undo both:
a line is first cut at the ruled vertical lines it crosses, then each piece is
cut at every label found in it. Boxes of the pieces are interpolated from the
character positions, which is good enough for geometry and for cropping.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from extraction.labels import LabelMatch, Party, find_labels
from extraction.text import char_offsets, strip_separators
from ocr.types import BBox, Line


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of one OCR line: a label, a party marker, or a value."""

    text: str
    bbox: BBox
    conf: float
    label: LabelMatch | None = None
    line_index: int = -1

    @property
    def is_value(self) -> bool:
        return self.label is None

    @property
    def is_marker(self) -> bool:
        return self.label is not None and self.label.is_marker

    @property
    def is_field_label(self) -> bool:
        return self.label is not None and self.label.field is not None

    @property
    def party(self) -> Party | None:
        return self.label.party if self.label is not None else None


def _sub_bbox(line: Line, offsets: list[float], start: int, end: int) -> BBox:
    """Box of ``line.text[start:end]``; uses per-character boxes when the engine gave them."""
    text = line.text
    if line.words and len(line.words) == len(text) and end > start:
        box = line.words[start].bbox
        for w in line.words[start + 1:end]:
            box = box.union(w.bbox)
        return box
    b = line.bbox
    x0 = b.x0 + b.width * offsets[start]
    x1 = b.x0 + b.width * offsets[end]
    return BBox(x0, b.y0, max(x1, x0 + 1e-4), b.y1)


def _cut_points(line: Line, offsets: list[float], vlines: Sequence[float]) -> list[int]:
    """Character indices where ruled vertical lines cross the line's box."""
    b = line.bbox
    cuts: list[int] = []
    for x in vlines:
        if not (b.x0 + 0.01 * b.width < x < b.x1 - 0.01 * b.width):
            continue
        rel = (x - b.x0) / b.width
        idx = min(range(len(offsets)), key=lambda i: abs(offsets[i] - rel))
        if 0 < idx < len(line.text):
            cuts.append(idx)
    return sorted(set(cuts))


def tokenize_line(line: Line, index: int = -1, vlines: Sequence[float] = ()) -> list[Token]:
    """Split one OCR line into tokens (see module doc)."""
    text = line.text
    if not text.strip():
        return []
    offsets = char_offsets(text)
    bounds = [0, *_cut_points(line, offsets, vlines), len(text)]
    out: list[Token] = []
    for a, b in itertools.pairwise(bounds):
        piece = text[a:b]
        pos = a
        for m in find_labels(piece):
            ms, me = a + m.start, a + m.end
            out.extend(_value_tokens(line, offsets, pos, ms, index))
            shifted = LabelMatch(m.field, m.party, ms, me, m.score, m.strong)
            out.append(Token(text[ms:me], _sub_bbox(line, offsets, ms, me), line.confidence,
                             shifted, index))
            pos = me
        out.extend(_value_tokens(line, offsets, pos, b, index))
    return out


def _value_tokens(line: Line, offsets: list[float], start: int, end: int, index: int
                  ) -> list[Token]:
    raw = line.text[start:end]
    value = strip_separators(raw)
    if not value:
        return []
    lead = raw.find(value)
    s = start + lead
    e = s + len(value)
    return [Token(value, _sub_bbox(line, offsets, s, e), line.confidence, None, index)]


def tokenize(lines: Sequence[Line], vlines_for: object = None) -> list[Token]:
    """Tokens of all lines; ``vlines_for(line)`` gives the ruled x positions crossing it."""
    out: list[Token] = []
    for i, line in enumerate(lines):
        vl = vlines_for(line) if callable(vlines_for) else ()
        out.extend(tokenize_line(line, i, vl))
    return out
