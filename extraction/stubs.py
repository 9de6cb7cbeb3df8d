"""Stub sheets: several small records on one sheet, each starting with a title.

The sheet is cut into regions at the repeated titles (存根, or the most
frequent strong label when titles are lost): titles are clustered into
columns by x, and within a column each title opens a region that runs down to
the next title. Every token goes to the region whose column holds it and
whose title is the last one above it. Each region is then read as a form.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from extraction.text import compact
from extraction.tokens import Token
from ocr.types import BBox, Line


@dataclass(frozen=True, slots=True)
class Region:
    slot: int
    title: str
    bbox: BBox
    tokens: tuple[Token, ...]


def _anchor_boxes(lines: Sequence[Line], tokens: Sequence[Token]) -> list[tuple[str, BBox]]:
    titles = [(ln.text, ln.bbox) for ln in lines if "存根" in compact(ln.text)]
    if len(titles) >= 2:
        return titles
    counts: dict[tuple[str | None, str | None], list[Token]] = {}
    for t in tokens:
        if t.is_field_label and t.label is not None and t.label.strong:
            counts.setdefault((t.label.party, t.label.field), []).append(t)
    repeated = [v for v in counts.values() if len(v) >= 2]
    if not repeated:
        return titles
    best = max(repeated, key=lambda v: (len(v), -min(t.bbox.y0 for t in v)))
    return [("", t.bbox) for t in best]


def _columns(boxes: list[BBox]) -> list[float]:
    """x borders between title columns (titles whose x ranges do not overlap)."""
    xs = sorted(boxes, key=lambda b: b.cx)
    groups: list[list[BBox]] = []
    for b in xs:
        if groups and b.x0 < max(g.x1 for g in groups[-1]):
            groups[-1].append(b)
        else:
            groups.append([b])
    return [(max(g.x1 for g in a) + min(g.x0 for g in b)) / 2
            for a, b in itertools.pairwise(groups)]


def split_regions(lines: Sequence[Line], tokens: Sequence[Token]) -> list[Region]:
    """Regions in reading order (top to bottom, then left to right); slot = that order."""
    anchors = _anchor_boxes(lines, tokens)
    if len(anchors) < 2:
        box = BBox(0, 0, 1, 1)
        return [Region(0, anchors[0][0] if anchors else "", box, tuple(tokens))]
    borders = _columns([b for _t, b in anchors])

    def col_of(x: float) -> int:
        return sum(1 for c in borders if x >= c)

    slack = min(b.height for _t, b in anchors)
    keyed = sorted(anchors, key=lambda a: (round(a[1].y0 / max(slack, 1e-3)), a[1].x0))
    members: dict[int, list[Token]] = {i: [] for i in range(len(keyed))}
    for tok in tokens:
        col = col_of(tok.bbox.cx)
        best: int | None = None
        for i, (_t, b) in enumerate(keyed):
            if col_of(b.cx) != col or b.y0 > tok.bbox.cy + slack:
                continue
            if best is None or b.y0 > keyed[best][1].y0:
                best = i
        if best is None:
            best = min((i for i, (_t, b) in enumerate(keyed) if col_of(b.cx) == col),
                       key=lambda i: keyed[i][1].y0, default=None)
        if best is not None:
            members[best].append(tok)
    out = []
    for i, (title, b) in enumerate(keyed):
        toks = members[i]
        box = b
        for t in toks:
            box = box.union(t.bbox)
        out.append(Region(i, title, box, tuple(toks)))
    return out
