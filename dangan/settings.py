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
    lease_seconds: int = 600
    max_attempts: int = 3

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
