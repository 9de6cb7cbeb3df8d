"""Page geometry: ruled lines (OpenCV morphology) and rows of OCR boxes.

Ruled lines are optional help, never required: the extractors work on OCR box
geometry alone (rows by y, columns by x) and use the ruling, when the image is
given and shows one, to cut OCR lines that run across a cell border and to
find the cell of a value for re-recognition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from ocr.types import BBox


class HasBox(Protocol):
    @property
    def bbox(self) -> BBox: ...


@dataclass(frozen=True, slots=True)
class Segment:
    """A ruled line: horizontal (``pos`` = y, span in x) or vertical (``pos`` = x, span in y)."""

    pos: float
    lo: float
    hi: float


@dataclass(frozen=True, slots=True)
class Ruling:
    """Ruled lines of a page, relative coordinates."""

    horizontal: tuple[Segment, ...] = ()
    vertical: tuple[Segment, ...] = ()

    def vlines_crossing(self, box: BBox) -> list[float]:
        """x of vertical lines that cross the vertical middle of ``box``."""
        return [s.pos for s in self.vertical if s.lo <= box.cy <= s.hi and box.x0 < s.pos < box.x1]

    def cell_of(self, box: BBox, pad: float = 0.002) -> BBox | None:
        """The ruled cell around ``box`` (its centre), or None when not enclosed."""
        cx, cy = box.cx, box.cy
        left = [s.pos for s in self.vertical if s.lo <= cy <= s.hi and s.pos <= cx]
        right = [s.pos for s in self.vertical if s.lo <= cy <= s.hi and s.pos >= cx]
        top = [s.pos for s in self.horizontal if s.lo <= cx <= s.hi and s.pos <= cy]
        bottom = [s.pos for s in self.horizontal if s.lo <= cx <= s.hi and s.pos >= cy]
        if not (left and right and top and bottom):
            return None
        return BBox(max(left) + pad, max(top) + pad, min(right) - pad, min(bottom) - pad)


def _segments(mask: np.ndarray, horizontal: bool, min_frac: float) -> list[Segment]:
    import cv2

    h, w = mask.shape
    n, _labels, stats, _c = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out: list[Segment] = []
    for i in range(1, n):
        x, y, bw, bh, _area = (int(v) for v in stats[i])
        if horizontal and bw >= min_frac * w and bh <= 0.02 * h:
            out.append(Segment((y + bh / 2) / h, x / w, (x + bw) / w))
        elif not horizontal and bh >= min_frac * h and bw <= 0.02 * w:
            out.append(Segment((x + bw / 2) / w, y / h, (y + bh) / h))
    return out


def detect_ruling(image: np.ndarray | None) -> Ruling:
    """Long straight dark lines by morphological opening with long thin kernels.

    Red seal ink is suppressed first (seals are red, rules are dark), so a seal
    stamped over a cell does not add or break lines.
    """
    if image is None or image.size == 0:
        return Ruling()
    import cv2

    grey = _dark_ink(image)
    h, w = grey.shape
    binary = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C,
                                   cv2.THRESH_BINARY_INV, 25, 15)
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 25), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, h // 40)))
    hmask = cv2.dilate(cv2.morphologyEx(binary, cv2.MORPH_OPEN, hk), np.ones((3, 3), np.uint8))
    vmask = cv2.dilate(cv2.morphologyEx(binary, cv2.MORPH_OPEN, vk), np.ones((3, 3), np.uint8))
    return Ruling(tuple(_segments(hmask, True, 0.04)), tuple(_segments(vmask, False, 0.025)))


def _dark_ink(image: np.ndarray) -> np.ndarray:
    """Grey image where red (seal) pixels are turned white."""
    import cv2

    if image.ndim == 2:
        return image.astype(np.uint8)
    bgr = image[:, :, :3].astype(np.int16)
    b, g, r = bgr[:, :, 0], bgr[:, :, 1], bgr[:, :, 2]
    grey = cv2.cvtColor(image[:, :, :3].astype(np.uint8), cv2.COLOR_BGR2GRAY)
    red = (r - np.maximum(g, b)) > 50
    grey = grey.copy()
    grey[red] = 255
    return grey


T = TypeVar("T", bound=HasBox)


def group_rows(items: Sequence[T], tol: float = 0.55) -> list[list[T]]:
    """Group boxes into rows: same row when vertical centres differ by < tol × height.

    Rows are returned top to bottom, each sorted left to right.
    """
    rows: list[list[T]] = []
    centers: list[float] = []
    heights: list[float] = []
    for it in sorted(items, key=lambda t: t.bbox.cy):
        b = it.bbox
        for k in range(len(rows)):
            if abs(b.cy - centers[k]) < tol * min(heights[k], b.height) + 1e-9:
                rows[k].append(it)
                n = len(rows[k])
                centers[k] = (centers[k] * (n - 1) + b.cy) / n
                break
        else:
            rows.append([it])
            centers.append(b.cy)
            heights.append(b.height)
    order = sorted(range(len(rows)), key=lambda k: centers[k])
    return [sorted(rows[k], key=lambda t: t.bbox.x0) for k in order]


def x_overlap(a: BBox, b: BBox) -> float:
    """Horizontal overlap as a fraction of the narrower box."""
    inter = min(a.x1, b.x1) - max(a.x0, b.x0)
    return max(0.0, inter) / max(1e-9, min(a.width, b.width))


def median_height(items: Sequence[HasBox]) -> float:
    hs = sorted(it.bbox.height for it in items)
    return hs[len(hs) // 2] if hs else 0.02
