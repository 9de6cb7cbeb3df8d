"""Carrying clean-up's text boxes to OCR: box geometry, crops, engine dispatch.

No model runs here; tests/integration/test_ocr_speed_paths.py reads real pages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.cleanup import (
    _order_quads,
    _rotate_quads,
    _rotate_small_angle,
    rotate_quads_right_angle,
    rotate_right_angle,
)
from ocr.crops import crop_quad, quad_bbox, sorted_quads
from ocr.engine import BoxRecognizer, OcrEngineError, read_region
from ocr.fake import FakeEngine
from ocr.types import OcrPage


def rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def marked_image(w: int = 120, h: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """A white image with one black block, and the block's quad."""
    img = np.full((h, w), 255, np.uint8)
    img[20:30, 40:90] = 0
    return img, rect(40, 20, 89, 29)


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_right_angle_rotation_moves_boxes_with_the_pixels(degrees: int) -> None:
    img, quad = marked_image()
    turned = rotate_right_angle(img, degrees)
    [q] = rotate_quads_right_angle(quad[None], degrees, img.shape[1], img.shape[0])
    x0, y0 = q.min(axis=0).astype(int)
    x1, y1 = q.max(axis=0).astype(int)
    block = turned[y0:y1 + 1, x0:x1 + 1]
    assert block.size == 50 * 10 and (block == 0).all()  # exactly the black block
    # corners stay in detector order: top-left first, clockwise
    assert q[0, 0] <= q[1, 0] and q[0, 1] <= q[3, 1]


def test_small_rotation_moves_boxes_with_the_pixels() -> None:
    img = np.full((400, 600), 255, np.uint8)
    img[190:210, 200:400] = 0
    quad = rect(200, 190, 399, 209)
    turned = _rotate_small_angle(img, 3.0)
    [q] = _rotate_quads(quad[None], 3.0, 600, 400)
    mask = np.zeros_like(img)
    import cv2

    cv2.fillPoly(mask, [q.round().astype(np.int32)], 255)
    inside = turned[mask > 0]
    assert (inside < 128).mean() > 0.9  # the moved quad covers the moved block
    assert (turned < 128).sum() < 1.15 * (mask > 0).sum()


def test_order_quads_puts_corners_in_detector_order() -> None:
    q = rect(10, 10, 50, 20)[[2, 3, 0, 1]][None]  # start at bottom-right
    [o] = _order_quads(q)
    assert o.tolist() == rect(10, 10, 50, 20).tolist()


def test_sorted_quads_reads_rows_then_columns_and_drops_specks() -> None:
    quads = [rect(200, 52, 260, 70), rect(10, 50, 90, 70), rect(10, 100, 90, 120),
             rect(5, 5, 6, 40)]  # 1 px wide: nothing to read
    got = sorted_quads(np.stack(quads))
    assert [int(q[0, 0]) for q in got] == [10, 200, 10]
    assert [int(q[0, 1]) for q in got] == [50, 52, 100]


def test_crop_quad_turns_tall_crops_and_keeps_wide_ones() -> None:
    img = np.zeros((100, 100, 3), np.uint8)
    assert crop_quad(img, rect(10, 10, 70, 30)).shape[:2] == (20, 60)
    assert crop_quad(img, rect(10, 10, 30, 90)).shape[:2] == (20, 80)  # vertical line


def test_quad_bbox_is_relative() -> None:
    b = quad_bbox(rect(10, 20, 60, 40), 100, 200)
    assert (b.x0, b.y0, b.x1, b.y1) == (0.1, 0.1, 0.6, 0.2)


class _BoxEngine(FakeEngine):
    def __init__(self) -> None:
        super().__init__()
        self.boxes_seen: int | None = None

    def recognize_boxes(self, image: np.ndarray, boxes: np.ndarray) -> OcrPage:
        self.boxes_seen = len(boxes)
        return OcrPage(image.shape[1], image.shape[0], (), engine="boxes")


def test_read_region_uses_known_boxes_when_the_engine_can() -> None:
    img, quad = marked_image()
    eng = _BoxEngine()
    assert isinstance(eng, BoxRecognizer)
    assert read_region(eng, img, quad[None]).engine == "boxes" and eng.boxes_seen == 1
    assert read_region(eng, img, None).engine == "fake"  # no boxes: full-page OCR


def test_read_region_falls_back_to_full_page_ocr() -> None:
    img, quad = marked_image()
    eng = FakeEngine()  # (the scripted test engine builds on it: must keep recognize_page)
    assert not isinstance(eng, BoxRecognizer)
    read_region(eng, img, quad[None])
    assert eng.calls == 1


def test_paddle_engine_without_models_says_what_to_set(tmp_path: Path) -> None:
    from ocr.factory import make_engine

    with pytest.raises(OcrEngineError, match="DANGAN_PADDLE_MODEL_DIR"):
        make_engine("paddleocr", paddle_model_dir=None)
    with pytest.raises(OcrEngineError, match="no det and no rec model"):
        make_engine("paddleocr", paddle_model_dir=tmp_path)
    (tmp_path / "x_det").mkdir()
    (tmp_path / "x_det" / "inference.yml").write_text("Global: {model_name: PP-OCRv5_server_det}")
    with pytest.raises(OcrEngineError, match="no weights"):
        make_engine("paddleocr", paddle_model_dir=tmp_path)


def test_gpu_without_cuda_provider_says_what_to_install() -> None:
    import onnxruntime as ort

    from ocr.rapid import RapidOcrEngine

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has a CUDA provider")
    with pytest.raises(OcrEngineError, match="onnxruntime-gpu"):
        RapidOcrEngine(use_gpu=True)


def test_content_box_skips_margins_but_keeps_faint_ink() -> None:
    from ingest.cleanup import content_box

    page = np.full((1280, 905), 235, np.uint8)
    page[200:220, 150:700] = 60  # a dark line of text
    page[900:915, 120:400] = 170  # faded ink, only 65 grey levels under the paper
    x0, y0, x1, y1 = content_box(page)
    assert x0 <= 120 and x1 >= 700 and y0 <= 200 and y1 >= 915
    assert (x1 - x0) * (y1 - y0) < 0.7 * page.size
    bordered = page.copy()
    bordered[:, :12] = 0  # a scanner's dark edge: no margin to skip
    bordered[:, -12:] = 0
    bordered[:12, :] = 0
    bordered[-12:, :] = 0
    assert content_box(bordered) == (0, 0, 905, 1280)
