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

from ocr.crops import crop_quad, quad_bbox, sorted_quads, to_bgr
from ocr.engine import OcrEngineError
from ocr.types import Line, OcrPage

ENGINE_NAME = "rapidocr-ppocrv6"
REC_MIN_WIDTH = 48  # recognition input width floor (px at height 48); RapidOCR's is 320
REC_BATCH = 6  # crops per recognition batch on CPU (sorted by width; larger pads more)
REC_BATCH_GPU = 32  # on a GPU a launch costs more than padding does


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


def require_cuda() -> None:
    """The GPU path is onnxruntime-gpu's CUDA provider; say how to get it when it is absent.

    (RapidOCR itself would only log a warning and run on the CPU.)
    """
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        raise OcrEngineError(
            "DANGAN_OCR_USE_GPU is set but ONNX Runtime has no CUDA provider: "
            "`pip uninstall -y onnxruntime && pip install onnxruntime-gpu` (CUDA 12 + cuDNN 9) "
            "or unset DANGAN_OCR_USE_GPU")


class RapidOcrEngine:
    """Thin wrapper; one instance (one model load) per process, shared by threads."""

    name = ENGINE_NAME

    def __init__(self, *, threads: int = 0, use_gpu: bool = False) -> None:
        from rapidocr import RapidOCR

        if use_gpu:
            require_cuda()
        models = bundled_models()
        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Det.model_path": str(models["det"]),
            "Rec.model_path": str(models["rec"]),
            "Cls.model_path": str(models["cls"]),
            "EngineConfig.onnxruntime.use_cuda": use_gpu,
            # RapidOCR pads every recognition batch to at least 320 px (ratio 6.7); form
            # cells are mostly short (ratio ~3.5), so half the work was padding. Batches
            # are sorted by width, so padding to the widest crop of the batch is enough.
            "Rec.rec_img_shape": [3, 48, REC_MIN_WIDTH],
            "Rec.rec_batch_num": REC_BATCH_GPU if use_gpu else REC_BATCH,
        }
        if use_gpu:
            # recognition batches vary in width: an exhaustive cuDNN search per new
            # shape (RapidOCR's default) costs more than it saves
            params["EngineConfig.onnxruntime.cuda_ep_cfg.cudnn_conv_algo_search"] = "HEURISTIC"
        if threads > 0:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        self._ocr = RapidOCR(params=params)
        self._text_score = float(self._ocr.text_score)
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
                lines.append(Line(text, quad_bbox(quad, w, h), float(score)))
        return OcrPage(w, h, tuple(lines), engine=self.name, seconds=time.perf_counter() - t0)

    def recognize_boxes(self, image: np.ndarray, boxes: np.ndarray) -> OcrPage:
        """Recognition of known line quads: the page's one detection was clean-up's.

        The same cropping (perspective warp, tall crops turned) and score filter as
        ``RapidOCR()(image)``, without its detector and per-line direction
        classifier: the page is upright after clean-up.
        """
        t0 = time.perf_counter()
        h, w = image.shape[:2]
        quads = sorted_quads(boxes)
        bgr = to_bgr(image)
        crops = [crop_quad(bgr, q.copy()) for q in quads]
        lines: list[Line] = []
        if crops:
            from rapidocr.ch_ppocr_rec.typings import TextRecInput

            out = self._rec(TextRecInput(img=crops))
            for quad, text, score in zip(quads, out.txts or (), out.scores or (), strict=False):
                if str(text).strip() and float(score) >= self._text_score:
                    lines.append(Line(str(text), quad_bbox(quad, w, h), float(score)))
        return OcrPage(w, h, tuple(lines), engine=self.name, seconds=time.perf_counter() - t0,
                       extra={"detection": "clean-up", "boxes": len(quads)})

    def recognize_crops(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        from rapidocr.ch_ppocr_rec.typings import TextRecInput

        out = self._rec(TextRecInput(img=[to_bgr(c) for c in crops]))
        return [(str(t), float(s)) for t, s in zip(out.txts or (), out.scores or (), strict=False)]

    def detect_boxes(self, image: np.ndarray) -> np.ndarray:
        """Text-line quads (N×4×2, pixels) without recognition: for page geometry."""
        res = self._det(to_bgr(image))
        return res.boxes if res.boxes is not None else np.zeros((0, 4, 2), np.float32)

    def classify_upright(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Per line crop: ``("0"|"180", score)`` from the PP-OCR direction classifier."""
        if not crops:
            return []
        res = self._cls([to_bgr(c) for c in crops])
        return [(str(label), float(score)) for label, score in (res.cls_res or [])]
