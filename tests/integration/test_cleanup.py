"""Page clean-up with the real PP-OCR detector and direction classifier."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from PIL import Image

from dangan.samplegen import ScanParams, render_page
from ingest.cleanup import clean_page


def bgr(img: Image.Image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_orientation_is_found(rapid_engine, rotation: int) -> None:
    img, _truth, meta = render_page("form_party", random.Random(rotation), rotation=rotation)
    cleaned = clean_page(bgr(img), rapid_engine)
    # the generator turned the page clockwise by `rotation`; we turn it back
    assert cleaned.rotation == (360 - meta.rotation) % 360
    assert not cleaned.blank
    h, w = cleaned.regions[0].image.shape[:2]
    assert h > w  # upright A4 portrait again
    assert cleaned.steps[0].name == "orientation"


def test_spread_is_split_in_halves(rapid_engine) -> None:
    img, truth, _meta = render_page("spread", random.Random(5), rotation=0)
    cleaned = clean_page(bgr(img), rapid_engine)
    assert [r.half for r in cleaned.regions] == ["left", "right"]
    assert {t.half for t in truth} == {"left", "right"}
    assert any(s.name == "split_spread" for s in cleaned.steps)


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_blank_and_back_side_pages(rapid_engine, seed: int) -> None:
    img, truth, _meta = render_page("blank", random.Random(seed), rotation=0)
    cleaned = clean_page(bgr(img), rapid_engine)
    assert cleaned.blank and not truth


def test_faded_form_is_not_blank(rapid_engine) -> None:
    img, _truth, _meta = render_page("form_party", random.Random(2), rotation=0)
    faded = Image.eval(img.convert("L"), lambda v: 110 + v * 145 // 255)  # ink at grey 110
    assert not clean_page(bgr(faded), rapid_engine).blank


def test_skew_is_corrected(rapid_engine) -> None:
    img, _truth, _meta = render_page("form_party", random.Random(9), rotation=0,
                                     scan=ScanParams())
    tilted = img.rotate(2.0, expand=False, fillcolor="white")  # 2° counter-clockwise
    cleaned = clean_page(bgr(tilted), rapid_engine)
    [deskew] = [s for s in cleaned.steps if s.name == "deskew"]
    assert abs(abs(deskew.params["angle"]) - 2.0) < 0.6


def _landscape_table(one_table: bool) -> np.ndarray:
    """Rows of text in columns left and right of an empty middle, ruled as one table
    across the page, or as two tables with a gutter between them."""
    from PIL import ImageDraw, ImageFont

    from dangan.samplegen.fonts import face_path

    w, h = 2400, 1650
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    path, index = face_path("sans_sc")
    font = ImageFont.truetype(path, 40, index=index)
    cols = [150, 520, 1500, 1900]
    for r in range(12):
        y = 150 + r * 110
        for i, x in enumerate(cols):
            d.text((x, y + 30), ["王建国", "汉族", "李秀英", "北京市"][i], font=font, fill="black")
        spans = [(100, w - 100)] if one_table else [(100, w // 2 - 120), (w // 2 + 120, w - 100)]
        for x0, x1 in spans:
            d.line([(x0, y), (x1, y)], fill="black", width=3)
    return bgr(img)


def test_landscape_ledger_is_not_split_but_two_pages_are(rapid_engine) -> None:
    assert len(clean_page(_landscape_table(True), rapid_engine).regions) == 1
    assert len(clean_page(_landscape_table(False), rapid_engine).regions) == 2
