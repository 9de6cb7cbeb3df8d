"""Build the configured engine (called once per process at wiring time)."""

from __future__ import annotations

from pathlib import Path

from ocr.engine import OcrEngine, OcrEngineError


def make_engine(name: str, *, threads: int = 0, use_gpu: bool = False,
                paddle_model_dir: Path | None = None) -> OcrEngine:
    if name == "rapidocr":
        from ocr.rapid import RapidOcrEngine

        return RapidOcrEngine(threads=threads, use_gpu=use_gpu)
    if name == "fake":
        from ocr.fake import FakeEngine

        return FakeEngine()
    if name == "paddleocr":
        try:
            from ocr.paddle import PaddleOcrEngine
        except ImportError as e:
            raise OcrEngineError(
                "the paddleocr engine is not installed: pip install 'dangan[paddle]' and set "
                "DANGAN_PADDLE_MODEL_DIR to the directory holding the PP-OCR models") from e
        return PaddleOcrEngine(model_dir=paddle_model_dir, use_gpu=use_gpu, threads=threads)
    raise OcrEngineError(f"unknown OCR engine {name!r}: use rapidocr, paddleocr or fake")
