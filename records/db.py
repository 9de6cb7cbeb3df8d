"""SQLAlchemy tables: the database is the truth about every page and record.

SQLite in embedded mode, PostgreSQL when distributed; the schema is managed by the
Alembic migrations in ``records/migrations``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class PageState(StrEnum):
    """Life of a page. Transitions are guarded in SQL (see ``repository``)."""

    PENDING = "pending"
    OCR_RUNNING = "ocr_running"
    OCR_DONE = "ocr_done"
    EXTRACT_RUNNING = "extract_running"
    DONE = "done"
    FAILED = "failed"  # expected failure (bad scan): not retried
    DEAD = "dead"  # kept failing (transient errors exhausted): `dangan retry`

    @property
    def running(self) -> bool:
        return self in (PageState.OCR_RUNNING, PageState.EXTRACT_RUNNING)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Book(Base):
    __tablename__ = "books"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    archive_ref: Mapped[str | None] = mapped_column(String(128))
    volume: Mapped[str | None] = mapped_column(String(64))
    year_from: Mapped[int | None] = mapped_column(Integer)
    year_to: Mapped[int | None] = mapped_column(Integer)
    registry_office: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SourceFile(Base):
    __tablename__ = "files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    book_id: Mapped[str] = mapped_column(ForeignKey("books.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(512))
    original_path: Mapped[str] = mapped_column(Text)
    stored_path: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str | None] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="ok")
    error: Mapped[str | None] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Page(Base):
    __tablename__ = "pages"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_sha256: Mapped[str] = mapped_column(ForeignKey("files.sha256"), index=True)
    book_id: Mapped[str] = mapped_column(ForeignKey("books.id"), index=True)
    page_no: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(24), default=PageState.PENDING, index=True)
    image_path: Mapped[str | None] = mapped_column(Text)  # blob key of the page image
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    dpi: Mapped[float | None] = mapped_column(Float)
    phash: Mapped[str | None] = mapped_column(String(32))
    duplicate_of: Mapped[str | None] = mapped_column(String(64))
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cleanup: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    page_type: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    image_version: Mapped[int] = mapped_column(Integer, default=1)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("file_sha256", "page_no"),)


class PageImageHistory(Base):
    """Earlier images of a page that was re-scanned: nothing is ever thrown away."""

    __tablename__ = "page_image_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    page_id: Mapped[str] = mapped_column(ForeignKey("pages.id"), index=True)
    image_path: Mapped[str] = mapped_column(Text)
    image_version: Mapped[int] = mapped_column(Integer)
    replaced_by: Mapped[str | None] = mapped_column(String(128))
    replaced_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OcrResult(Base):
    """OCR output per page region, kept so extraction can re-run without re-OCR."""

    __tablename__ = "ocr_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    page_id: Mapped[str] = mapped_column(ForeignKey("pages.id"), index=True)
    half: Mapped[str] = mapped_column(String(8), default="")
    engine: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    chars: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("page_id", "half"),)


class RecordRow(Base):
    __tablename__ = "records"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    page_id: Mapped[str] = mapped_column(ForeignKey("pages.id"), index=True)
    book_id: Mapped[str] = mapped_column(ForeignKey("books.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    half: Mapped[str | None] = mapped_column(String(8))
    row: Mapped[int | None] = mapped_column(Integer)
    slot: Mapped[int] = mapped_column(Integer, default=0)
    bbox: Mapped[list[Any] | None] = mapped_column(JSON)
    review_score: Mapped[float] = mapped_column(Float, default=1.0)  # lowest field confidence
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking
    indexed_version: Mapped[int] = mapped_column(Integer, default=0)
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    __table_args__ = (Index("ix_records_status_score", "status", "review_score"),)


class FieldRow(Base):
    __tablename__ = "fields"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(48))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    original: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    bbox: Mapped[list[Any] | None] = mapped_column(JSON)
    __table_args__ = (UniqueConstraint("record_id", "key"),)


class FieldHistory(Base):
    """Audit trail of every change to a record: who, when, old -> new."""

    __tablename__ = "field_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str] = mapped_column(String(48))
    action: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
