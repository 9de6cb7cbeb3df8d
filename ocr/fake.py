"""A fake engine for tests of our own seams (extraction, pipeline logic).

It "reads" text that the test put into a side table keyed by the image's
content hash, so pipeline tests run without model inference.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from ocr.types import OcrPage


class FakeEngine:
    name = "fake"

    def __init__(self, pages: dict[str, OcrPage] | None = None) -> None:
        self.pages = pages or {}
        self.calls = 0

    @staticmethod
    def key(image: np.ndarray) -> str:
        return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()

    def recognize_page(self, image: np.ndarray) -> OcrPage:
        self.calls += 1
        h, w = image.shape[:2]
        return self.pages.get(self.key(image), OcrPage(w, h, (), engine=self.name))

    def recognize_crops(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        return [("", 0.0) for _ in crops]

    def detect_boxes(self, image: np.ndarray) -> np.ndarray:
        return np.zeros((0, 4, 2), np.float32)

    def classify_upright(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        return [("0", 1.0) for _ in crops]
