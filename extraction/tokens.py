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

from extraction.labels import LabelMatch, Party, find_labels, match_label_at
from extraction.layout import group_rows
from extraction.text import SEPARATORS, char_offsets, char_weight, strip_separators
from ocr.types import BBox, Line, Word


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
            cuts.append(_label_start_near(line.text, idx))
    return sorted(set(cuts))


def _label_start_near(text: str, idx: int) -> int:
    """Move a cut that fell a character or two into a label back to the label's start.

    Offsets are proportional estimates; a cut after the 女 of 女方住址 would
    leave 女 on the value before it and 方住址 as a party-less fuzzy label.
    """
    here = match_label_at(text, idx, fuzzy=False)
    if here is not None and here.party is not None:
        return idx
    for back in (1, 2):
        j = idx - back
        if j <= 0:
            break
        m = match_label_at(text, j, fuzzy=False)
        if m is not None and m.party is not None and m.field is not None and m.end > idx:
            return j
    return idx


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


def _is_break(ch: str) -> bool:
    return ch in SEPARATORS or ch.isspace()


def _split_label(a: Line, b: Line) -> bool:
    """Whether a label printed spread out (姓　　名, 籍　贯) was cut by OCR between ``a`` and ``b``.

    The joined characters must be an exact label that starts at a break in
    ``a`` (or at its start) or is followed by a colon in ``b``, and ends at a
    break in ``b``; the gap must be a few characters at most.
    """
    ta, tb = a.text.rstrip(), b.text.lstrip()
    if not ta or not tb or _is_break(ta[-1]) or _is_break(tb[0]):
        return False
    cw = a.bbox.width / max(1e-6, sum(char_weight(c) for c in a.text))
    gap = b.bbox.x0 - a.bbox.x1
    if not -0.5 * cw <= gap <= 4.5 * cw:
        return False
    for k in (1, 2, 3):
        if k > len(ta) or any(_is_break(c) for c in ta[-k:]):
            break
        joined = ta[-k:] + tb
        m = match_label_at(joined, 0, fuzzy=False)
        if m is None or m.field is None or m.score < 1.0 or m.end <= k:
            continue
        end_b = m.end - k
        ends_at_break = end_b >= len(tb) or _is_break(tb[end_b])
        starts_at_break = k == len(ta) or _is_break(ta[-k - 1])
        colon = end_b < len(tb) and tb[end_b] in ":："
        if ends_at_break and (starts_at_break or colon):
            return True
    return False


def _char_words(line: Line) -> list[Word]:
    if line.words and len(line.words) == len(line.text):
        return list(line.words)
    offs = char_offsets(line.text)
    b = line.bbox
    return [Word(ch, BBox(b.x0 + b.width * offs[i], b.y0,
                          max(b.x0 + b.width * offs[i + 1], b.x0 + b.width * offs[i] + 1e-4),
                          b.y1), line.confidence)
            for i, ch in enumerate(line.text)]


def _join(a: Line, b: Line) -> Line:
    words = tuple(_char_words(a) + _char_words(b))
    return Line(a.text + b.text, a.bbox.union(b.bbox), min(a.confidence, b.confidence), words)


def join_split_labels(lines: Sequence[Line]) -> list[Line]:
    """Rejoin labels that OCR cut in two at their wide letter spacing (see ``_split_label``).

    Lines keep their order; a joined line takes the place of its first part.
    """
    replace: dict[int, Line] = {}
    drop: set[int] = set()
    index = {id(ln): i for i, ln in enumerate(lines)}
    for row in group_rows(list(lines)):
        cur = row[0]
        first = index[id(cur)]
        for nxt in row[1:]:
            if _split_label(cur, nxt):
                cur = _join(cur, nxt)
                replace[first] = cur
                drop.add(index[id(nxt)])
            else:
                cur, first = nxt, index[id(nxt)]
    return [replace.get(i, ln) for i, ln in enumerate(lines) if i not in drop]
