"""Configuration, read once at the entry point (``dangan.cli``) and passed down.

Every setting has a ``DANGAN_`` environment variable. Unset service URLs mean the
embedded default: SQLite, an in-process dramatiq broker, an embedded search index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DANGAN_", extra="ignore")

    home: Path = Field(default=Path("dangan-home"), description="data directory")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; unset = SQLite")
    broker_url: str | None = Field(default=None, description="redis://…; unset = in-process")
    elasticsearch_url: str | None = Field(default=None, description="unset = embedded index")
    blob_dir: Path | None = Field(default=None, description="originals and page images")

    ocr_engine: Literal["rapidocr", "paddleocr", "fake"] = "rapidocr"
    ocr_threads: int = Field(default=0, description="ONNX intra-op threads; 0 = auto")
    ocr_use_gpu: bool = False
    paddle_model_dir: Path | None = None

    workers: int = Field(default=0, description="in-process worker threads; 0 = auto")
    max_image_pixels: int = 150_000_000
    min_image_side: int = 200
    lease_seconds: int = Field(default=600, ge=2, description=(
        "how long a page stays claimed without a heartbeat; a killed worker's pages "
        "come back after this"))
    max_attempts: int = Field(default=3, ge=1, description="tries before a page is dead")

    # distributed mode (`dangan worker` on each machine, `dangan process` on one)
    worker_queues: str = Field(default="ocr,extract,index",
                               description="queues `dangan worker` consumes, comma-separated")
    worker_processes: int = Field(default=1, ge=1, description="`dangan worker` processes")
    worker_threads: int = Field(default=0, ge=0,
                                description="threads per worker process; 0 = auto")
    max_inflight: int = Field(default=0, ge=0, description=(
        "messages `dangan process` keeps queued or running (backpressure); 0 = auto"))
    retry_min_backoff_ms: int = Field(default=1_000, ge=1)
    retry_max_backoff_ms: int = Field(default=60_000, ge=1)
    fake_ocr_script: Path | None = Field(default=None, description=(
        "tests only: JSON script for DANGAN_OCR_ENGINE=fake (see dangan/scripted_engine.py)"))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # a plain postgresql:// URL means psycopg 3 (the driver we ship)
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://"):]
            elif url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://"):]
            return url
        return f"sqlite:///{(self.home / 'dangan.db').resolve()}"

    @property
    def resolved_blob_dir(self) -> Path:
        return (self.blob_dir or self.home / "blobs").resolve()

    @property
    def embedded_index_path(self) -> Path:
        return (self.home / "search.db").resolve()

    @property
    def is_embedded(self) -> bool:
        return self.broker_url is None
