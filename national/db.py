"""Tables of the national export: batches, what each batch carried, and record links.

Record ids are plain indexed strings, not foreign keys: re-extraction may delete
and re-create an unreviewed record under the same stable id, and the history of
what was sent must survive that (as ``FieldHistory`` does).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base, utcnow


class ExportBatch(Base):
    """One batch package. ``state``: written → submitted → acknowledged (or failed)."""

    __tablename__ = "national_batches"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    mapping_version: Mapped[str] = mapped_column(String(32))
    records: Mapped[int] = mapped_column(Integer, default=0)
    path: Mapped[str | None] = mapped_column(Text)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)


class BatchRecord(Base):
    """A record a batch carried (``role``: exported, or merged into a linked record)."""

    __tablename__ = "national_batch_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("national_batches.id"), index=True)
    record_id: Mapped[str] = mapped_column(String(64), index=True)
    record_version: Mapped[int] = mapped_column(Integer, default=1)
    role: Mapped[str] = mapped_column(String(16), default="exported")
    merged_into: Mapped[str | None] = mapped_column(String(64))
    ack_status: Mapped[str | None] = mapped_column(String(16))
    ack_detail: Mapped[str | None] = mapped_column(Text)
    ack_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("batch_id", "record_id"),)


class SentRecord(Base):
    """A record that is in an accepted batch. The primary key makes "at most one" a DB rule."""

    __tablename__ = "national_sent"
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("national_batches.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RecordLink(Base):
    """Two records that belong together.

    ``relation``: ``same_event`` (one registration seen twice), ``divorce_of``
    (record_a is the divorce of marriage record_b), ``same_person`` (one person in
    two marriages). ``status``: ``confirmed`` (certain, or a reviewer said so),
    ``candidate`` (waits for a reviewer), ``rejected``.
    """

    __tablename__ = "national_record_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_a: Mapped[str] = mapped_column(String(64), index=True)
    record_b: Mapped[str] = mapped_column(String(64), index=True)
    relation: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("record_a", "record_b", "relation"),)
