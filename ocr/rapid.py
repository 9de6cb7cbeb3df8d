"""Default engine: RapidOCR 3.x running the PP-OCRv6 ONNX models shipped in its wheel.

Nothing is downloaded: the model paths are checked at start-up and a missing model
is an :class:`OcrEngineError` that says how to fix the install.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ocr.engine import OcrEngineError
from ocr.types import BBox, Line, OcrPage

ENGINE_NAME = "rapidocr-ppocrv6"


def _models_dir() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


def bundled_models() -> dict[str, Path]:
    """The PP-OCR ONNX files inside the installed rapidocr wheel."""
    d = _models_dir()
    found = {
        "det": next(iter(sorted(d.glob("PP-OCRv6_det*.onnx"))), None),
        "rec": next(iter(sorted(d.glob("PP-OCRv6_rec*.onnx"))), None),
        "cls": next(iter(sorted(d.glob("*cls*.onnx"))), None),
    }
    missing = [k for k, v in found.items() if v is None]
    if missing:
        raise OcrEngineError(
            f"the rapidocr wheel in {d} lacks the PP-OCRv6 {', '.join(missing)} model(s): "
            "reinstall it with `pip install --force-reinstall 'rapidocr>=3.4,<4'` "
            "(the wheel carries the models; nothing is downloaded at run time)")
    return {k: v for k, v in found.items() if v is not None}


class RapidOcrEngine:
    """Thin wrapper; one instance (one model load) per process, shared by threads."""

    name = ENGINE_NAME

    def __init__(self, *, threads: int = 0, use_gpu: bool = False) -> None:
        from rapidocr import RapidOCR

        models = bundled_models()
        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Det.model_path": str(models["det"]),
            "Rec.model_path": str(models["rec"]),
            "Cls.model_path": str(models["cls"]),
            "EngineConfig.onnxruntime.use_cuda": use_gpu,
        }
        if threads > 0:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        self._ocr = RapidOCR(params=params)
        self._lock = threading.Lock()
        # load the three models now, not inside the first page's timing
        with self._lock:
            self._det = self._ocr._load_det_model()
            self._cls = self._ocr._load_cls_model()
            self._rec = self._ocr._load_rec_model()

    def recognize_page(self, image: np.ndarray) -> OcrPage:
        t0 = time.perf_counter()
        h, w = image.shape[:2]
        res = self._ocr(image)
        lines: list[Line] = []
        boxes = getattr(res, "boxes", None)
        txts = getattr(res, "txts", None)
        if boxes is not None and txts is not None:
            scores = getattr(res, "scores", None) or ()
            for quad, text, score in zip(boxes, txts, scores, strict=False):
                lines.append(Line(text, _quad_bbox(quad, w, h), float(score)))
        return OcrPage(w, h, tuple(lines), engine=self.name, seconds=time.perf_counter() - t0)

    def recognize_crops(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        from rapidocr.ch_ppocr_rec.typings import TextRecInput

        out = self._rec(TextRecInput(img=[_bgr(c) for c in crops]))
        return [(str(t), float(s)) for t, s in zip(out.txts or (), out.scores or (), strict=False)]

    def detect_boxes(self, image: np.ndarray) -> np.ndarray:
        """Text-line quads (N×4×2, pixels) without recognition: for page geometry."""
        res = self._det(_bgr(image))
        return res.boxes if res.boxes is not None else np.zeros((0, 4, 2), np.float32)

    def classify_upright(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Per line crop: ``("0"|"180", score)`` from the PP-OCR direction classifier."""
        if not crops:
            return []
        res = self._cls([_bgr(c) for c in crops])
        return [(str(label), float(score)) for label, score in (res.cls_res or [])]


def _bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        import cv2

        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return img


def _quad_bbox(quad: Any, w: int, h: int) -> BBox:
    q = np.asarray(quad, dtype=np.float32)
    x0, y0 = q.min(axis=0)
    x1, y1 = q.max(axis=0)
    return BBox.from_pixels(float(x0), float(y0), float(x1), float(y1), w, h)
