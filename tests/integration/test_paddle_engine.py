"""The optional PaddleOCR 3.x engine, run from local ONNX model directories.

CI points it at the PP-OCRv6 ONNX models inside the rapidocr wheel
(:func:`ocr.paddle.write_rapidocr_model_dirs`), run by PaddleOCR's own
``engine="onnxruntime"``: no paddlepaddle, no download. Where paddleocr is not
installed (it is the optional extra ``dangan[paddle]``), the tests that need it
are skipped with the reason.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr.paddle import find_models, write_rapidocr_model_dirs

NOT_INSTALLED = (
    "paddleocr 3.x is not installed (optional extra dangan[paddle]); it also needs the "
    "distribution opencv-contrib-python, which shares the cv2 module with the project's "
    "opencv-python-headless, so install the extra in its own environment")
needs_paddle = pytest.mark.skipif(importlib.util.find_spec("paddleocr") is None,
                                  reason=NOT_INSTALLED)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_rapidocr_model_dirs(tmp_path_factory.mktemp("paddle-models"))


def test_model_dirs_from_the_rapidocr_wheel(model_dir: Path) -> None:
    found = find_models(model_dir)
    assert found["det"].name == "PP-OCRv6_small_det" and found["det"].engine == "onnxruntime"
    assert found["rec"].name == "PP-OCRv6_small_rec"
    assert (found["rec"].path / "inference.onnx").stat().st_size > 1_000_000
    assert "cls" not in found


@pytest.fixture(scope="module")
def paddle_engine(model_dir: Path):
    from ocr.factory import make_engine

    return make_engine("paddleocr", paddle_model_dir=model_dir, threads=2)


@needs_paddle
def test_reads_a_page_with_local_onnx_models(paddle_engine, shared_dir: Path) -> None:
    img = cv2.imread(str(shared_dir / "peer-ocr/rapidocr/ch_en_num.jpg"))
    page = paddle_engine.recognize_page(img)
    assert page.engine == "paddleocr"
    assert page.lines[0].text == "正品促销"  # RapidOCR's own expected first line
    assert all(0 <= ln.bbox.x0 < ln.bbox.x1 <= 1 for ln in page.lines)


@needs_paddle
def test_geometry_and_known_boxes(paddle_engine, shared_dir: Path) -> None:
    img = cv2.imread(str(shared_dir / "peer-ocr/rapidocr/ch_en_num.jpg"))
    assert img is not None
    boxes = paddle_engine.detect_boxes(img)
    assert boxes.ndim == 3 and boxes.shape[1:] == (4, 2) and len(boxes) >= 10
    fast = paddle_engine.recognize_boxes(img, boxes)
    assert fast.lines[0].text == "正品促销"
    [(text, conf)] = paddle_engine.recognize_crops([img[0:60, 0:300]])
    assert text and 0 < conf <= 1
    # no line-orientation model among the directories: no evidence to turn a page
    assert paddle_engine.classify_upright([np.full((48, 192, 3), 255, np.uint8)]) == [
        ("0", 0.0)]
