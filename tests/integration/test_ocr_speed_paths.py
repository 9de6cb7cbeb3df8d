"""The fast OCR path with the real PP-OCR models: one detection per page (clean-up's),
carried through rotation, deskew and spread splitting, then recognition only.

What must hold: reading clean-up's boxes gives the text that a full
``recognize_page`` (second, full-resolution detection) gives. Speed itself is
measured by scripts/bench_ocr.py, not here.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from PIL import Image
from rapidfuzz.distance import Indel

from dangan.samplegen import ScanParams, render_page
from ingest.cleanup import clean_page
from ocr.engine import read_region
from ocr.types import OcrPage


def bgr(img: Image.Image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)


def chars(page: OcrPage) -> str:
    """The page's characters, order-free (line splits may differ between detections)."""
    return "".join(sorted(page.text.replace("\n", "").replace(" ", "")))


def similarity(a: OcrPage, b: OcrPage) -> float:
    return float(Indel.normalized_similarity(chars(a), chars(b)))


@pytest.mark.parametrize(("family", "seed", "rotation"), [
    ("form_party", 1, 0), ("form_columns", 2, 180), ("ledger", 3, 90)])
def test_known_boxes_read_like_a_second_detection(rapid_engine, family: str, seed: int,
                                                  rotation: int) -> None:
    img, _truth, _meta = render_page(family, random.Random(seed), rotation=rotation,
                                     scan=ScanParams(skew=1.2, rotation=rotation))
    cleaned = clean_page(bgr(img), rapid_engine)
    [region] = cleaned.regions
    assert region.boxes is not None and len(region.boxes) >= 10
    h, w = region.image.shape[:2]
    scan_w, scan_h = img.size
    assert (w, h) == ((scan_h, scan_w) if rotation in (90, 270) else (scan_w, scan_h))
    assert cleaned.rotation == (360 - rotation) % 360  # upright again
    assert (region.boxes[:, :, 0] <= w).all() and (region.boxes[:, :, 1] <= h).all()
    fast = read_region(rapid_engine, region.image, region.boxes)
    full = rapid_engine.recognize_page(region.image)
    assert fast.extra.get("detection") == "clean-up"
    assert fast.char_count >= 0.9 * full.char_count
    assert similarity(fast, full) >= 0.93


def test_spread_halves_get_their_own_boxes(rapid_engine) -> None:
    img, _truth, _meta = render_page("spread", random.Random(5), rotation=0)
    cleaned = clean_page(bgr(img), rapid_engine)
    assert [r.half for r in cleaned.regions] == ["left", "right"]
    for r in cleaned.regions:
        assert r.boxes is not None and len(r.boxes) >= 10
        w = r.image.shape[1]
        assert r.boxes[:, :, 0].min() >= 0 and r.boxes[:, :, 0].max() <= w
        fast = read_region(rapid_engine, r.image, r.boxes)
        assert similarity(fast, rapid_engine.recognize_page(r.image)) >= 0.93


def test_blank_page_has_no_boxes_to_read(rapid_engine) -> None:
    img, _truth, _meta = render_page("blank", random.Random(3), rotation=0)
    cleaned = clean_page(bgr(img), rapid_engine)
    assert cleaned.blank and cleaned.regions[0].boxes is None
