"""Page clean-up before OCR: orientation, deskew, spread split, blank detection.

Every step is recorded with its parameters (``CleanStep``) so a reviewer can see
what was done to a page and the original scan stays untouched. Geometry comes from
the OCR engine's text detector and direction classifier rather than from
projection profiles, because ruled tables fool profile-based methods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

DETECT_SIDE = 1280  # smaller loses lines (measured: adoption forms, spreads at 1024/1152)
INK_BELOW_PAPER = 60  # grey levels under the paper's: ink, for the content box
CONTENT_PAD = 0.02  # of the page side, around the content box
SPREAD_ASPECT = 1.15
BLEED_THROUGH_INK = 185  # darkest ink (grey level) lighter than this = show-through only


class GeometryEngine(Protocol):
    def detect_boxes(self, image: np.ndarray) -> np.ndarray: ...
    def classify_upright(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]: ...
    def recognize_crops(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]: ...


@dataclass(frozen=True, slots=True)
class CleanStep:
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.name, **self.params}


@dataclass(frozen=True, slots=True)
class CleanRegion:
    """One page image ready for OCR; ``half`` is set when a spread was split.

    ``boxes`` are the text-line quads (N×4×2, pixels of ``image``) that clean-up's
    detection found, carried through its rotations, so OCR need not detect again;
    None when there are none to give (a blank page).
    """

    half: str | None
    image: np.ndarray
    boxes: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class CleanPage:
    regions: tuple[CleanRegion, ...]
    steps: tuple[CleanStep, ...]
    blank: bool
    rotation: int
    skew: float
    vertical_text: bool = False


def clean_page(image: np.ndarray, engine: GeometryEngine, *, probably_blank: bool = False
               ) -> CleanPage:
    """Upright, deskewed page region(s) with their text-line boxes.

    The text detector runs once, on a copy downscaled to ``DETECT_SIDE``: rotating
    and deskewing move its boxes by the same transform instead of detecting again.
    """
    steps: list[CleanStep] = []
    small, scale = _downscale(image)
    boxes = _detect_in_content(small, engine)
    if len(boxes) == 0 or (probably_blank and len(boxes) < 3):
        steps.append(CleanStep("blank", {"text_boxes": len(boxes)}))
        return CleanPage((CleanRegion(None, image),), tuple(steps), True, 0, 0.0)
    ink = _ink_darkness(small, boxes)
    if ink > BLEED_THROUGH_INK:
        # only faint marks: text of the other side shining through thin paper
        steps.append(CleanStep("blank", {"text_boxes": len(boxes), "back_side": True,
                                         "ink_grey": round(ink, 1)}))
        return CleanPage((CleanRegion(None, image),), tuple(steps), True, 0, 0.0)

    rotation, vertical, detail = _orientation(small, boxes, engine)
    steps.append(CleanStep("orientation", {"rotate": rotation, **detail}))
    if rotation:
        boxes = rotate_quads_right_angle(boxes, rotation, small.shape[1], small.shape[0])
        image = rotate_right_angle(image, rotation)
        small = rotate_right_angle(small, rotation)

    skew = 0.0 if vertical else _skew_angle(boxes)
    if abs(skew) >= 0.25:
        image = _rotate_small_angle(image, skew)
        boxes = _rotate_quads(boxes, skew, small.shape[1], small.shape[0])
        steps.append(CleanStep("deskew", {"angle": round(skew, 2)}))

    full = boxes / np.float32(scale)
    split = _spread_split(small, boxes)
    if split is not None:
        x = round(split / scale)
        steps.append(CleanStep("split_spread", {"x": x, "width": image.shape[1]}))
        left = full[:, :, 0].mean(axis=1) < x
        right = full[~left].copy()
        right[:, :, 0] -= x
        regions: tuple[CleanRegion, ...] = (
            CleanRegion("left", image[:, :x].copy(), _clip(full[left], image[:, :x])),
            CleanRegion("right", image[:, x:].copy(), _clip(right, image[:, x:])))
    else:
        regions = (CleanRegion(None, image, _clip(full, image)),)
    return CleanPage(regions, tuple(steps), False, rotation, skew, vertical)


def rotate_right_angle(image: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate clockwise by 0/90/180/270 degrees."""
    k = {0: 0, 90: 3, 180: 2, 270: 1}[degrees % 360]
    return np.ascontiguousarray(np.rot90(image, k))


def rotate_quads_right_angle(quads: np.ndarray, degrees: int, width: int, height: int
                             ) -> np.ndarray:
    """Quads of a ``width``×``height`` image, moved as :func:`rotate_right_angle` moves
    its pixels."""
    q = quads.astype(np.float32).copy()
    x, y = q[:, :, 0].copy(), q[:, :, 1].copy()
    d = degrees % 360
    if d == 90:
        q[:, :, 0], q[:, :, 1] = (height - 1) - y, x
    elif d == 180:
        q[:, :, 0], q[:, :, 1] = (width - 1) - x, (height - 1) - y
    elif d == 270:
        q[:, :, 0], q[:, :, 1] = y, (width - 1) - x
    return _order_quads(q)


def _rotate_quads(quads: np.ndarray, degrees: float, width: int, height: int) -> np.ndarray:
    """Quads moved as :func:`_rotate_small_angle` moves the pixels of that image."""
    m = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    moved = cv2.transform(quads.reshape(-1, 1, 2).astype(np.float32), m)
    return _order_quads(moved.reshape(-1, 4, 2))


def _order_quads(q: np.ndarray) -> np.ndarray:
    """Corners in the detector's order: top-left, top-right, bottom-right, bottom-left."""
    if len(q) == 0:
        return q
    s = q.sum(axis=2)
    d = q[:, :, 1] - q[:, :, 0]
    idx = np.stack([s.argmin(1), d.argmin(1), s.argmax(1), d.argmax(1)], axis=1)
    return np.take_along_axis(q, idx[:, :, None], axis=1).astype(np.float32)


def _detect_in_content(small: np.ndarray, engine: GeometryEngine) -> np.ndarray:
    """Text-line quads of ``small``, detected inside its content box only.

    Margins are a third to a half of a form page and hold no text; the detector's
    cost grows with the pixels it sees. Boxes come back in ``small``'s coordinates.
    """
    crop, (x0, y0) = _content_crop(small)
    quads = _as_quads(engine.detect_boxes(crop)).copy()
    quads[:, :, 0] += x0
    quads[:, :, 1] += y0
    return quads


def _content_crop(small: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    x0, y0, x1, y1 = content_box(small)
    if (x0, y0, x1, y1) == (0, 0, small.shape[1], small.shape[0]):
        return small, (0, 0)
    return small[y0:y1, x0:x1], (x0, y0)


def detector_view(image: np.ndarray) -> np.ndarray:
    """The pixels the text detector first sees of a page (downscaled, margins cut).

    For tests that script an engine's answer per image.
    """
    return _content_crop(_downscale(image)[0])[0]


def content_box(small: np.ndarray) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` around everything darker than the paper, padded; the whole
    image when that is most of it (dark scan borders, full-bleed pages)."""
    h, w = small.shape[:2]
    grey = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    grey = cv2.medianBlur(grey, 3)  # scan noise is not ink
    paper = float(np.percentile(grey, 75))
    ink = grey < paper - INK_BELOW_PAPER
    rows = np.flatnonzero(ink.sum(axis=1) >= 2)
    cols = np.flatnonzero(ink.sum(axis=0) >= 2)
    if rows.size == 0 or cols.size == 0:
        return 0, 0, w, h
    pad = round(CONTENT_PAD * max(h, w))
    x0, x1 = max(0, int(cols[0]) - pad), min(w, int(cols[-1]) + 1 + pad)
    y0, y1 = max(0, int(rows[0]) - pad), min(h, int(rows[-1]) + 1 + pad)
    if (x1 - x0) * (y1 - y0) > 0.85 * w * h:
        return 0, 0, w, h
    return x0, y0, x1, y1


def _as_quads(boxes: np.ndarray) -> np.ndarray:
    return np.asarray(boxes, np.float32).reshape(-1, 4, 2)


def _clip(quads: np.ndarray, image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    out = quads.copy()
    out[:, :, 0] = out[:, :, 0].clip(0, w - 1)
    out[:, :, 1] = out[:, :, 1].clip(0, h - 1)
    return out


def _downscale(image: np.ndarray) -> tuple[np.ndarray, float]:
    scale = min(1.0, DETECT_SIDE / max(image.shape[:2]))
    if scale >= 1.0:
        return image, 1.0
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


def _quad_sizes(q: np.ndarray) -> tuple[float, float]:
    w = float(np.linalg.norm(q[1] - q[0]))
    h = float(np.linalg.norm(q[3] - q[0]))
    return w, h


def _crop(image: np.ndarray, q: np.ndarray) -> np.ndarray:
    x0, y0 = np.floor(q.min(axis=0)).astype(int)
    x1, y1 = np.ceil(q.max(axis=0)).astype(int)
    h, w = image.shape[:2]
    return image[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]


def _largest(boxes: np.ndarray, n: int) -> list[np.ndarray]:
    areas = [(_quad_sizes(q)[0] * _quad_sizes(q)[1], i) for i, q in enumerate(boxes)]
    return [boxes[i] for _, i in sorted(areas, reverse=True)[:n]]


def _orientation(small: np.ndarray, boxes: np.ndarray, engine: GeometryEngine
                 ) -> tuple[int, bool, dict[str, Any]]:
    """Clockwise rotation that makes the page upright, and whether text is vertical.

    Tall boxes mean the page lies on its side (or has vertical writing). The
    direction classifier decides 0 vs 180 for each line; recognition scores decide
    between "rotated page" and "vertical writing" for tall boxes.
    """
    sizes = [_quad_sizes(q) for q in boxes]
    weight_tall = sum(w * h for w, h in sizes if h > 1.5 * w)
    weight_all = sum(w * h for w, h in sizes) or 1.0
    tall = weight_tall / weight_all > 0.6
    crops = [c for c in (_crop(small, q) for q in _largest(boxes, 12)) if c.size > 0]
    if not crops:
        return 0, False, {"method": "none"}
    if tall:
        crops = [rotate_right_angle(c, 270) for c in crops]  # as if page rotated 90° cw
    votes = engine.classify_upright(crops)
    flipped = sum(1 for label, score in votes if label == "180" and score > 0.7)
    upside_down = flipped > len(votes) / 2
    detail: dict[str, Any] = {"method": "det+cls", "tall_boxes": tall,
                              "cls_180": flipped, "lines": len(votes)}
    if not tall:
        return (180 if upside_down else 0), False, detail
    turned = [rotate_right_angle(c, 180) for c in crops] if upside_down else crops
    rec = engine.recognize_crops(turned)
    mean_score = float(np.mean([s for _, s in rec])) if rec else 0.0
    detail["rec_score"] = round(mean_score, 3)
    if mean_score < 0.5:  # sideways characters: vertical writing, not a rotated page
        return 0, True, detail
    return (90 if upside_down else 270), False, detail


def _ink_darkness(small: np.ndarray, boxes: np.ndarray) -> float:
    """Median over text boxes of the darkest ink grey level (2nd percentile)."""
    gray = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    levels = [float(np.percentile(c, 2)) for c in (_crop(gray, q) for q in boxes) if c.size]
    return float(np.median(levels)) if levels else 255.0


def _skew_angle(boxes: np.ndarray) -> float:
    """Median angle (degrees) of long text lines; positive = clockwise."""
    angles = []
    for q in boxes:
        w, h = _quad_sizes(q)
        if w > 3 * h:
            dx, dy = q[1] - q[0]
            angles.append(math.degrees(math.atan2(float(dy), float(dx))))
    if len(angles) < 3:
        return 0.0
    a = float(np.median(angles))
    return a if abs(a) < 10 else 0.0


def _rotate_small_angle(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _spread_split(small: np.ndarray, boxes: np.ndarray) -> float | None:
    """x (in ``small`` pixels) of the gutter of a two-page spread, or None."""
    h, w = small.shape[:2]
    if w / h < SPREAD_ASPECT or len(boxes) < 6:
        return None
    cover = np.zeros(w, np.int32)
    left = right = 0
    for q in boxes:
        x0, x1 = int(q[:, 0].min()), int(q[:, 0].max())
        cover[max(0, x0):min(w, x1 + 1)] += 1
        cx = (x0 + x1) / 2
        left += cx < w / 2
        right += cx >= w / 2
    if left < 3 or right < 3:
        return None
    lo, hi = int(w * 0.38), int(w * 0.62)
    free = np.where(cover[lo:hi] == 0)[0]
    if free.size == 0:
        return None
    # the longest run of columns no text line crosses, nearest the middle
    runs = np.split(free, np.where(np.diff(free) != 1)[0] + 1)
    best = max(runs, key=lambda r: (len(r), -abs((r[0] + r[-1]) / 2 + lo - w / 2)))
    if len(best) < w * 0.01:
        return None
    x = float((best[0] + best[-1]) / 2 + lo)
    # a gap between the columns of one wide table (a landscape ledger) is no gutter:
    # the table's ruled lines run straight through it
    return None if _rules_cross(small, int(x)) else x


def _rules_cross(small: np.ndarray, x: int) -> bool:
    """Whether two or more long horizontal ruled lines pass through column ``x``."""
    gray = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                25, 15)
    w = gray.shape[1]
    span = max(15, w // 12)  # a rule must reach this far on both sides of x
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_RECT, (span, 1)))
    lo, hi = max(0, x - span // 2), min(w, x + span // 2 + 1)
    crossing = rules[:, lo:hi].min(axis=1) > 0  # rows where a rule covers the whole band
    runs = np.diff(np.concatenate(([0], crossing.astype(np.int8), [0])))
    return int((runs == 1).sum()) >= 2
