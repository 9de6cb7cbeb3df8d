"""A fake OCR engine driven by a JSON script, for fault tests across processes.

`ocr.fake.FakeEngine` keeps its answers in memory, which a `dangan worker`
subprocess cannot see. This one reads them from the file named by
``DANGAN_FAKE_OCR_SCRIPT`` (with ``DANGAN_OCR_ENGINE=fake``), so tests can make
every page bear a record, take a while (to kill a worker mid-run) or crash:

    {"boxes": [[x0, y0, x1, y1], ...],   # relative text boxes for clean-up (default: none)
     "ocr": {...OcrPage.to_dict()...},   # what every page reads (default: nothing)
     "delay": 0.3,                       # seconds per page
     "poison": ["<FakeEngine.key(image)>", ...],  # raise on these images, every time
     "crash": ["<key>", ...]}            # kill the whole process on these (os._exit)
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ocr.fake import FakeEngine
from ocr.types import OcrPage


class PoisonPageError(RuntimeError):
    """Raised by the scripted engine for a poison page (an engine crash)."""


class ScriptedEngine(FakeEngine):
    name = "fake"

    def __init__(self, script: Path) -> None:
        super().__init__()
        data: dict[str, Any] = json.loads(script.read_text(encoding="utf-8"))
        self.boxes = [tuple(float(v) for v in b) for b in data.get("boxes", [])]
        self.ocr = OcrPage.from_dict(data["ocr"]) if data.get("ocr") else None
        self.delay = float(data.get("delay", 0.0))
        self.poison = frozenset(data.get("poison", []))
        self.crash = frozenset(data.get("crash", []))

    def detect_boxes(self, image: np.ndarray) -> np.ndarray:
        key = self.key(image)
        if key in self.crash:
            os._exit(70)  # like a segfault in native code: no cleanup, no exception
        if key in self.poison:
            raise PoisonPageError(f"scripted engine crash on image {key[:12]}")
        h, w = image.shape[:2]
        quads = [[[x0 * w, y0 * h], [x1 * w, y0 * h], [x1 * w, y1 * h], [x0 * w, y1 * h]]
                 for x0, y0, x1, y1 in self.boxes]
        return np.array(quads, np.float32).reshape(-1, 4, 2)

    def recognize_page(self, image: np.ndarray) -> OcrPage:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        h, w = image.shape[:2]
        if self.ocr is None:
            return OcrPage(w, h, (), engine=self.name)
        return OcrPage(w, h, self.ocr.lines, engine=self.name)
