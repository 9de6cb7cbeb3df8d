"""Cheap per-page checks done at ingest: quality flags (DA/T 31) and near-duplicates.

DA/T 31 asks for at least 200 dpi for archival digitization; blur, too dark and too
faint pages are flagged so the clerk can re-scan them before OCR time is spent.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import imagehash
import numpy as np
from PIL import Image

MIN_DPI = 200
BLUR_VAR = 60.0  # variance of the Laplacian on text pixels below this = blurred
DARK_MEAN = 90  # mean grey level of the page below this = too dark
FAINT_RANGE = 60  # ink-to-paper contrast below this = too faint
BLANK_INK = 0.0015  # share of ink pixels under which a page is blank


@dataclass(frozen=True, slots=True)
class QualityReport:
    flags: tuple[str, ...]
    ink_ratio: float
    blur_var: float
    mean: float
    contrast: float
    probably_blank: bool

    def as_dict(self) -> dict[str, object]:
        return {"flags": list(self.flags), "ink_ratio": round(self.ink_ratio, 5),
                "blur_var": round(self.blur_var, 1), "mean": round(self.mean, 1),
                "contrast": round(self.contrast, 1), "probably_blank": self.probably_blank}


def decode_gray(data: bytes, max_side: int = 1600) -> np.ndarray:
    """Decode to grey, downscaled: the checks need shape, not detail."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if arr is None:
        raise ValueError("image cannot be decoded")
    scale = max_side / max(arr.shape)
    if scale < 1:
        arr = cv2.resize(arr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return arr


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark marks against their local background (robust to yellowed paper)."""
    bg = cv2.medianBlur(gray, 31)
    diff = cv2.subtract(bg, gray)
    return diff > 40


def assess(gray: np.ndarray, dpi: float | None) -> QualityReport:
    flags: list[str] = []
    if dpi is not None and round(dpi) < MIN_DPI:
        flags.append(f"low_resolution:{dpi:.0f}dpi")
    mask = ink_mask(gray)
    ink = float(mask.mean())
    mean = float(gray.mean())
    p5, p95 = np.percentile(gray, [1, 99])
    contrast = float(p95 - p5)
    lap = cv2.Laplacian(gray, cv2.CV_64F)
    blur_var = float(lap[mask].var()) if mask.sum() > 200 else 0.0
    blank = ink < BLANK_INK
    if mean < DARK_MEAN:
        flags.append("too_dark")
    if not blank and contrast < FAINT_RANGE:
        flags.append("too_faint")
    if not blank and blur_var and blur_var < BLUR_VAR:
        flags.append("blurred")
    return QualityReport(tuple(flags), ink, blur_var, mean, contrast, blank)


def phash(data: bytes) -> str:
    from io import BytesIO

    with Image.open(BytesIO(data)) as im:
        im.draft("L", (512, 512))
        return str(imagehash.phash(im.convert("L")))


def hamming(a: str, b: str) -> int:
    return int(imagehash.hex_to_hash(a) - imagehash.hex_to_hash(b))
