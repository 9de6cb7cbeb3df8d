"""Typed OCR results: ``OcrPage -> Line -> Word``.

Coordinates are *relative* to the page (0..1, origin top-left), as in kraken and
docTR, so that results survive re-rendering the page at another resolution.
Use :meth:`BBox.to_pixels` with the page size when cropping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class BBox:
    """Axis-aligned box, relative page coordinates (0..1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        return (
            max(0, round(self.x0 * width)),
            max(0, round(self.y0 * height)),
            min(width, round(self.x1 * width)),
            min(height, round(self.y1 * height)),
        )

    @classmethod
    def from_pixels(
        cls, x0: float, y0: float, x1: float, y1: float, width: int, height: int
    ) -> BBox:
        return cls(x0 / width, y0 / height, x1 / width, y1 / height)

    def union(self, other: BBox) -> BBox:
        return BBox(
            min(self.x0, other.x0), min(self.y0, other.y0),
            max(self.x1, other.x1), max(self.y1, other.y1),
        )

    def as_list(self) -> list[float]:
        return [round(self.x0, 5), round(self.y0, 5), round(self.x1, 5), round(self.y1, 5)]

    @classmethod
    def from_list(cls, v: list[float] | tuple[float, ...]) -> BBox:
        return cls(float(v[0]), float(v[1]), float(v[2]), float(v[3]))


@dataclass(frozen=True, slots=True)
class Word:
    """A character or word with its own box (engines that return word boxes)."""

    text: str
    bbox: BBox
    confidence: float


@dataclass(frozen=True, slots=True)
class Line:
    """One recognised text line."""

    text: str
    bbox: BBox
    confidence: float
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "bbox": self.bbox.as_list(),
                             "confidence": round(self.confidence, 5)}
        if self.words:
            d["words"] = [
                {"text": w.text, "bbox": w.bbox.as_list(), "confidence": round(w.confidence, 5)}
                for w in self.words
            ]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Line:
        words = tuple(
            Word(w["text"], BBox.from_list(w["bbox"]), float(w["confidence"]))
            for w in d.get("words", ())
        )
        return cls(d["text"], BBox.from_list(d["bbox"]), float(d["confidence"]), words)


@dataclass(frozen=True, slots=True)
class OcrPage:
    """All lines of one page image, as one engine read them."""

    width: int
    height: int
    lines: tuple[Line, ...]
    engine: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def char_count(self) -> int:
        return sum(len(line.text) for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "width": self.width, "height": self.height, "engine": self.engine,
            "seconds": round(self.seconds, 4), "extra": self.extra,
            "lines": [line.to_dict() for line in self.lines],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OcrPage:
        return cls(
            width=int(d["width"]), height=int(d["height"]),
            lines=tuple(Line.from_dict(x) for x in d["lines"]),
            engine=d.get("engine", ""), seconds=float(d.get("seconds", 0.0)),
            extra=dict(d.get("extra", {})),
        )
