"""Line crops from text-line quads, shared by the engines that read known boxes.

Cropping follows PP-OCR's own (a perspective warp of the quad to an upright
rectangle, tall crops turned a quarter), so a box from clean-up's detection
reads exactly as the engine's own detection would have.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ocr.types import BBox

ROW_STEP_PX = 10  # PP-OCR's box sorting: a new row where the top moves this much


def sorted_quads(boxes: Any) -> list[np.ndarray]:
    """Quads as float32 4×2 arrays in reading order (top to bottom, left to right);
    tiny ones (under 3 px a side, nothing a recogniser can read) dropped."""
    quads = [np.asarray(q, np.float32).reshape(4, 2) for q in boxes]
    quads = [q for q in quads if min(float(np.ptp(q[:, 0])), float(np.ptp(q[:, 1]))) >= 3]
    if not quads:
        return []
    tops = np.array([q[0, 1] for q in quads])
    by_y = np.argsort(tops, kind="stable")
    row = np.concatenate([[0], np.cumsum(np.diff(tops[by_y]) >= ROW_STEP_PX)])
    lefts = np.array([quads[i][0, 0] for i in by_y])
    return [quads[by_y[i]] for i in np.lexsort((lefts, row))]


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The quad's pixels warped to an upright rectangle; tall results turned to lie flat."""
    q = np.asarray(quad, np.float32).reshape(4, 2)
    w = int(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3])))
    h = int(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2])))
    w, h = max(w, 1), max(h, 1)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(q, dst)
    out = cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE,
                              flags=cv2.INTER_CUBIC)
    if out.shape[0] / out.shape[1] >= 1.5:
        out = np.rot90(out)
    return out


def to_bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return img


def quad_bbox(quad: Any, w: int, h: int) -> BBox:
    q = np.asarray(quad, dtype=np.float32).reshape(-1, 2)
    x0, y0 = q.min(axis=0)
    x1, y1 = q.max(axis=0)
    return BBox.from_pixels(float(x0), float(y0), float(x1), float(y1), w, h)
