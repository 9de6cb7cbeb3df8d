"""The OCR engine interface (after OCRmyPDF's ``OcrEngine``).

Engines are thin wrappers around an external library. They take decoded images
(numpy ``uint8`` arrays, BGR or grey) and return typed :mod:`ocr.types` results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from ocr.types import OcrPage


class OcrEngineError(Exception):
    """The engine could not run (missing models, broken install): not retried."""


@runtime_checkable
class OcrEngine(Protocol):
    """What every engine provides."""

    name: str

    def recognize_page(self, image: np.ndarray) -> OcrPage:
        """Detect and recognise every text line of a full page."""
        ...

    def recognize_crops(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Recognition only, one single-line crop each: ``(text, confidence)``.

        Much faster than detection on a full page when the layout already says
        where the text is (a table cell).
        """
        ...


@runtime_checkable
class BoxRecognizer(Protocol):
    """An engine that can read lines whose boxes are already known.

    Clean-up runs the text detector once per page to find orientation, skew and
    spreads; its boxes, carried through the rotations, say where every line is.
    Recognising those boxes skips the second (full-resolution, most expensive)
    detection pass of :meth:`OcrEngine.recognize_page`.
    """

    def recognize_boxes(self, image: np.ndarray, boxes: np.ndarray) -> OcrPage:
        """Recognise the text-line quads ``boxes`` (N×4×2 pixels of ``image``)."""
        ...


def read_region(engine: OcrEngine, image: np.ndarray, boxes: np.ndarray | None) -> OcrPage:
    """OCR of one clean page region: known boxes when the engine can use them."""
    if boxes is not None and isinstance(engine, BoxRecognizer):
        return engine.recognize_boxes(image, boxes)
    return engine.recognize_page(image)
