"""Optional engine: PaddleOCR 3.x, always from local model directories.

``pip install 'dangan[paddle]'``, then ``DANGAN_OCR_ENGINE=paddleocr`` and
``DANGAN_PADDLE_MODEL_DIR=/srv/ocr-models``. PaddleOCR fetches models by name
from the internet unless it is given their directories; archives are often
air-gapped, so this wrapper only ever passes directories and fails at start-up,
with one line saying what is missing, when they are not there.

The model directory holds one sub-directory per model, each with an
``inference.yml`` (its ``Global.model_name`` says what the model is) and either
``inference.onnx`` (run with ONNX Runtime, no paddlepaddle needed) or PaddlePaddle's
``inference.json`` + ``inference.pdiparams`` (needs ``paddlepaddle`` or
``paddlepaddle-gpu``)::

    /srv/ocr-models/
        PP-OCRv5_server_det/     inference.yml, inference.onnx | inference.json + .pdiparams
        PP-OCRv5_server_rec/     ...
        PP-LCNet_x1_0_textline_ori/   optional: 0°/180° line classifier for clean-up

A site copies the official model archives there once (they are the
``*_infer.tar`` files PaddleOCR itself downloads), or writes ONNX directories
from the models inside the rapidocr wheel with :func:`write_rapidocr_model_dirs`.
Without a line-orientation model, clean-up cannot tell an upside-down page and
leaves pages as scanned (sideways pages are still found from the box shapes).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ocr.crops import crop_quad, quad_bbox, sorted_quads, to_bgr
from ocr.engine import OcrEngineError
from ocr.types import Line, OcrPage

ENGINE_NAME = "paddleocr"
TEXT_SCORE = 0.5  # as RapidOCR's default: lines read with less confidence are dropped


@dataclass(frozen=True, slots=True)
class PaddleModel:
    """One local model directory and what PaddleOCR needs to know about it."""

    name: str
    path: Path
    engine: str | None  # "onnxruntime", or None for PaddlePaddle's own inference

    @property
    def task(self) -> str:
        if self.name.endswith("_det"):
            return "det"
        if self.name.endswith("_rec"):
            return "rec"
        if "textline_ori" in self.name:
            return "cls"
        return "other"


def find_models(model_dir: Path | None) -> dict[str, PaddleModel]:
    """The det / rec (and optional cls) models under ``model_dir``; errors say how to fix."""
    if model_dir is None:
        raise OcrEngineError(
            "the paddleocr engine needs local models: set DANGAN_PADDLE_MODEL_DIR to a "
            "directory with one sub-directory per model (see ocr/paddle.py)")
    if not model_dir.is_dir():
        raise OcrEngineError(f"DANGAN_PADDLE_MODEL_DIR {model_dir} is not a directory: "
                             "create it and copy the PP-OCR model directories into it")
    found: dict[str, PaddleModel] = {}
    for yml in sorted(model_dir.glob("*/inference.yml")):
        m = _read_model(yml.parent)
        if m is not None and m.task != "other":
            found.setdefault(m.task, m)
    missing = [t for t in ("det", "rec") if t not in found]
    if missing:
        raise OcrEngineError(
            f"{model_dir} has no {' and no '.join(missing)} model directory (a sub-directory "
            "with inference.yml naming a *_det / *_rec model and its weights): copy the "
            "PP-OCR models there")
    return found


def _read_model(d: Path) -> PaddleModel | None:
    import yaml

    try:
        cfg = yaml.safe_load((d / "inference.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise OcrEngineError(f"{d / 'inference.yml'} cannot be read ({e}): "
                             "copy the model directory again") from e
    name = str((cfg.get("Global") or {}).get("model_name") or d.name)
    if (d / "inference.onnx").exists():
        return PaddleModel(name, d, "onnxruntime")
    if (d / "inference.json").exists() or (d / "inference.pdmodel").exists():
        return PaddleModel(name, d, None)
    raise OcrEngineError(f"{d} has inference.yml but no weights (inference.onnx, or "
                         "inference.json + inference.pdiparams): copy the model again")


class PaddleOcrEngine:
    """Thin wrapper over PaddleOCR's pipeline and its single-model predictors.

    One instance (one model load) per process; calls are serialised by a lock
    because PaddleX predictors keep per-call state.
    """

    name = ENGINE_NAME

    def __init__(self, *, model_dir: Path | None, use_gpu: bool = False,
                 threads: int = 0) -> None:
        models = find_models(model_dir)
        # PaddleX checks model hosters over the network at import unless told not to
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        try:
            from paddleocr import PaddleOCR, TextDetection, TextRecognition
        except ImportError as e:
            raise OcrEngineError(
                f"paddleocr cannot be imported ({e}): pip install 'dangan[paddle]'") from e
        det, rec, cls = models["det"], models["rec"], models.get("cls")
        device = "gpu:0" if use_gpu else "cpu"
        try:
            self._pipeline = PaddleOCR(
                text_detection_model_name=det.name, text_detection_model_dir=str(det.path),
                text_recognition_model_name=rec.name,
                text_recognition_model_dir=str(rec.path),
                textline_orientation_model_name=cls.name if cls else None,
                textline_orientation_model_dir=str(cls.path) if cls else None,
                use_doc_orientation_classify=False, use_doc_unwarping=False,
                use_textline_orientation=cls is not None, text_rec_score_thresh=TEXT_SCORE,
                **_common(det, device, threads))
            self._det = TextDetection(model_name=det.name, model_dir=str(det.path),
                                      **_common(det, device, threads))
            self._rec = TextRecognition(model_name=rec.name, model_dir=str(rec.path),
                                        **_common(rec, device, threads))
            self._cls = None
            if cls is not None:
                from paddleocr import TextLineOrientationClassification

                self._cls = TextLineOrientationClassification(
                    model_name=cls.name, model_dir=str(cls.path),
                    **_common(cls, device, threads))
        except (RuntimeError, ValueError, OSError) as e:
            raise OcrEngineError(f"PaddleOCR cannot load the models in {model_dir}: {e}; "
                                 "check the model directories and the paddle install") from e
        self._lock = threading.Lock()

    def recognize_page(self, image: np.ndarray) -> OcrPage:
        t0 = time.perf_counter()
        h, w = image.shape[:2]
        with self._lock:
            res = self._pipeline.predict(to_bgr(image))
        lines: list[Line] = []
        for r in res:
            for quad, text, score in zip(r["rec_polys"], r["rec_texts"], r["rec_scores"],
                                         strict=False):
                if str(text).strip():
                    lines.append(Line(str(text), quad_bbox(quad, w, h), float(score)))
        return OcrPage(w, h, tuple(lines), engine=self.name, seconds=time.perf_counter() - t0)

    def recognize_boxes(self, image: np.ndarray, boxes: np.ndarray) -> OcrPage:
        """Known line quads (clean-up's detection) read without detecting again."""
        t0 = time.perf_counter()
        h, w = image.shape[:2]
        quads = sorted_quads(boxes)
        bgr = to_bgr(image)
        got = self.recognize_crops([crop_quad(bgr, q.copy()) for q in quads])
        lines = tuple(Line(t, quad_bbox(q, w, h), s) for q, (t, s) in zip(quads, got,
                                                                          strict=False)
                      if t.strip() and s >= TEXT_SCORE)
        return OcrPage(w, h, lines, engine=self.name, seconds=time.perf_counter() - t0,
                       extra={"detection": "clean-up", "boxes": len(quads)})

    def recognize_crops(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        with self._lock:
            res = self._rec.predict([to_bgr(c) for c in crops])
        return [(str(r["rec_text"]), float(r["rec_score"])) for r in res]

    def detect_boxes(self, image: np.ndarray) -> np.ndarray:
        """Text-line quads (N×4×2, pixels) without recognition: for page geometry."""
        with self._lock:
            res = self._det.predict(to_bgr(image))
        polys = [np.asarray(p, np.float32).reshape(-1, 2) for r in res for p in r["dt_polys"]]
        quads = [p for p in polys if len(p) == 4]
        return np.stack(quads) if quads else np.zeros((0, 4, 2), np.float32)

    def classify_upright(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """``("0"|"180", score)`` per line; without a line-orientation model every line
        counts as upright with score 0 (no evidence to turn the page)."""
        if not crops:
            return []
        if self._cls is None:
            return [("0", 0.0) for _ in crops]
        with self._lock:
            res = self._cls.predict([to_bgr(c) for c in crops])
        out = []
        for r in res:
            label = str(r["label_names"][0]) if len(r["label_names"]) else "0_degree"
            out.append(("180" if label.startswith("180") else "0", float(r["scores"][0])))
        return out


def _common(model: PaddleModel, device: str, threads: int) -> dict[str, Any]:
    args: dict[str, Any] = {"device": device, "engine": model.engine}
    if model.engine == "onnxruntime" and threads > 0:
        args["engine_config"] = {"intra_op_num_threads": threads, "inter_op_num_threads": 1,
                                 "device_type": "gpu" if device.startswith("gpu") else "cpu"}
    elif threads > 0:
        args["cpu_threads"] = threads
    return args


def write_rapidocr_model_dirs(dest: Path) -> Path:
    """PaddleOCR model directories (ONNX) made from the PP-OCRv6 models in the rapidocr
    wheel: a ready ``DANGAN_PADDLE_MODEL_DIR`` for CI and for sites without paddle models.

    The yml files restate RapidOCR's own pre- and post-processing settings for these
    models; the recogniser's character list is the one stored in its ONNX metadata.
    """
    import onnxruntime as ort

    from ocr.rapid import bundled_models

    src = bundled_models()
    det, rec = dest / "PP-OCRv6_small_det", dest / "PP-OCRv6_small_rec"
    for d, key in ((det, "det"), (rec, "rec")):
        d.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src[key], d / "inference.onnx")
    meta = ort.InferenceSession(str(src["rec"]), providers=["CPUExecutionProvider"])
    chars = meta.get_modelmeta().custom_metadata_map["character"].splitlines()
    read = {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}}
    det_cfg = {
        "Global": {"model_name": "PP-OCRv6_small_det"},
        "PreProcess": {"transform_ops": [
            read, {"DetLabelEncode": None},
            {"DetResizeForTest": {"limit_side_len": 736, "limit_type": "min"}},
            {"NormalizeImage": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                                "scale": 1 / 255, "order": "hwc"}},
            {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}}]},
        "PostProcess": {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.5,
                        "max_candidates": 1000, "unclip_ratio": 1.6, "use_dilation": True},
    }
    rec_cfg = {
        "Global": {"model_name": "PP-OCRv6_small_rec"},
        "PreProcess": {"transform_ops": [
            read, {"RecResizeImg": {"image_shape": [3, 48, 320]}},
            {"KeepKeys": {"keep_keys": ["image", "length"]}}]},
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": chars},
    }
    # JSON is YAML: no YAML writer needed, and the character list stays exact
    for d, cfg in ((det, det_cfg), (rec, rec_cfg)):
        (d / "inference.yml").write_text(json.dumps(cfg, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
    return dest
