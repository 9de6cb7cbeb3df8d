"""Fake OCR pages for the extraction tests: lines placed by hand."""

from __future__ import annotations

from ocr.types import BBox, Line, OcrPage

Spec = tuple[str, float, float, float, float] | tuple[str, float, float, float, float, float]


def page(*specs: Spec) -> OcrPage:
    """An OcrPage from (text, x0, y0, x1, y1[, conf]) tuples, relative coordinates."""
    lines = []
    for s in specs:
        conf = s[5] if len(s) == 6 else 0.999
        lines.append(Line(s[0], BBox(s[1], s[2], s[3], s[4]), conf))
    return OcrPage(width=1654, height=2339, lines=tuple(lines), engine="fake")


def row(y: float, *cells: tuple[str, float, float], h: float = 0.02, conf: float = 0.999
        ) -> list[Spec]:
    """One row of lines at height ``y``: (text, x0, x1) each."""
    return [(t, x0, y, x1, y + h, conf) for t, x0, x1 in cells]
