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
