"""The one place that wires things together (cosmicpython's bootstrap).

Entry points (CLI commands, worker processes, the web app) build a
:class:`Runtime` from :class:`Settings`; nothing deeper reads settings itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dangan.settings import Settings
from ingest.blobstore import BlobStore
from ingest.sources import Limits
from ocr.engine import OcrEngine
from records.database import Database

if TYPE_CHECKING:
    from indexing.backend import SearchBackend


@dataclass
class Runtime:
    settings: Settings
    db: Database
    blobs: BlobStore
    _engine: OcrEngine | None = None
    _search: SearchBackend | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def limits(self) -> Limits:
        return Limits(max_pixels=self.settings.max_image_pixels,
                      min_side=self.settings.min_image_side)

    def engine(self) -> OcrEngine:
        """One model load per process, shared by its worker threads."""
        if self._engine is None:
            with self._lock:
                if self._engine is None and self.settings.fake_ocr_script is not None \
                        and self.settings.ocr_engine == "fake":
                    from dangan.scripted_engine import ScriptedEngine

                    self._engine = ScriptedEngine(self.settings.fake_ocr_script)
                if self._engine is None:
                    from ocr.factory import make_engine

                    s = self.settings
                    self._engine = make_engine(
                        s.ocr_engine, threads=s.ocr_threads or default_ocr_threads(s),
                        use_gpu=s.ocr_use_gpu, paddle_model_dir=s.paddle_model_dir)
        return self._engine

    def search(self) -> SearchBackend:
        if self._search is None:
            with self._lock:
                if self._search is None:
                    from indexing.backend import open_backend

                    self._search = open_backend(self.settings.elasticsearch_url,
                                                self.settings.embedded_index_path)
        return self._search

    def close(self) -> None:
        if self._search is not None and hasattr(self._search, "close"):
            self._search.close()
        self.db.dispose()


def default_workers(settings: Settings) -> int:
    import os

    return settings.workers or max(1, min(4, os.cpu_count() or 1))


def default_ocr_threads(settings: Settings) -> int:
    """ONNX threads per inference so that worker threads x ORT threads ≈ cores."""
    import os

    return max(1, (os.cpu_count() or 1) // default_workers(settings))


def build_runtime(settings: Settings) -> Runtime:
    settings.home.mkdir(parents=True, exist_ok=True)
    return Runtime(settings=settings, db=Database(settings.resolved_database_url),
                   blobs=BlobStore(settings.resolved_blob_dir))
