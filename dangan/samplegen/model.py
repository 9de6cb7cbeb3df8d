"""Ground-truth types of the sample generator.

Truth is written next to every generated book so that tests and benchmarks can
score the pipeline; its JSON shape is the RECORDS.md export shape minus what
only the pipeline can know (``id``, ``status``, confidences).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from PIL import Image

from records.model import Kind, PageType, check_field_key

FieldValue = str | int


@dataclass(frozen=True, slots=True)
class TruthField:
    """A field as the generator wrote it: canonical ``value`` and the text on the page."""

    value: FieldValue
    original: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "original": self.original}


@dataclass(frozen=True, slots=True)
class TruthRecord:
    """One record drawn on a page (a form, a ledger row, a stub, a certificate)."""

    kind: Kind
    fields: Mapping[str, TruthField]
    family: str
    row: int | None = None  # 1-based ledger row
    half: str | None = None  # "left" | "right" on spreads
    slot: int | None = None  # 0-based stub index when several stubs share a page
    cert1950s: bool = False

    def __post_init__(self) -> None:
        for key in self.fields:
            check_field_key(key)

    def with_half(self, half: str, family: str) -> TruthRecord:
        """Copy tagged with the spread half it was pasted into."""
        return replace(self, half=half, family=family)

    def to_dict(self, file: str, page: int) -> dict[str, Any]:
        """The ``truth.jsonl`` line for this record on ``page`` of ``file``."""
        source: dict[str, Any] = {"file": file, "page": page}
        if self.row is not None:
            source["row"] = self.row
        if self.half is not None:
            source["half"] = self.half
        if self.slot is not None:
            source["slot"] = self.slot
        return {
            "kind": self.kind.value,
            "source": source,
            "fields": {k: f.to_dict() for k, f in self.fields.items()},
            "family": self.family,
            "cert1950s": self.cert1950s,
        }


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What the generator did to one page; ``rotation`` is clockwise degrees.

    To bring the page upright, rotate it counter-clockwise by ``rotation``.
    """

    family: str
    page_type: PageType
    records: int
    rotation: int = 0
    skew: float = 0.0
    dpi: int = 200
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self, file: str, page: int) -> dict[str, Any]:
        """The ``pages.jsonl`` line for this page."""
        return {
            "file": file, "page": page, "family": self.family,
            "page_type": self.page_type.value, "rotation": self.rotation,
            "records": self.records, "skew": round(self.skew, 3), "dpi": self.dpi,
        }


@dataclass(frozen=True, slots=True)
class CleanPage:
    """A page as drawn, before scan degradation; seals go to ``seal_spots`` (pixels)."""

    image: Image.Image
    records: tuple[TruthRecord, ...]
    page_type: PageType
    dpi: int
    seal_spots: tuple[tuple[int, int], ...] = ()
    seal_text: str = ""
