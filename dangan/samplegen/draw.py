"""Drawing primitives: a page canvas, ruled tables, printed and handwritten text.

All sizes are given in "base pixels" at 200 dpi and scaled to the page's dpi, so a
layout looks the same at every resolution while text stays at least ~28 px tall
(PP-OCR reads reliably from there).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from .fonts import font

Box = tuple[int, int, int, int]
Color = tuple[int, int, int]

A4_MM = (210, 297)
LABEL_SIZE = 34  # base-pixel em size of printed labels (ink ~29 px at 200 dpi)
VALUE_SIZE = 40  # base-pixel em size of written values
VALUE_MIN = 33  # values shrink to fit a cell, never below this (ink ~28 px)

INKS: tuple[Color, ...] = ((25, 30, 60), (20, 20, 25), (25, 45, 130), (60, 60, 75))
PRINT_INKS: tuple[Color, ...] = ((15, 15, 15), (15, 15, 15), (120, 30, 30), (20, 70, 40))


@dataclass(frozen=True, slots=True)
class Hand:
    """How values are written on one page: face, ink, wobble, line crossing."""

    face: str = "kai_cn"
    ink: Color = INKS[0]
    jitter: float = 0.04  # baseline wobble, fraction of the em size
    handwritten: bool = True
    cross_prob: float = 0.1  # chance a value sags across its cell's bottom rule


def random_hand(rng: random.Random, *, traditional: bool = False) -> Hand:
    """Mostly handwriting; sometimes typed values (later forms were often typed)."""
    if rng.random() < 0.25:
        return Hand(face=rng.choice(("sans_sc", "hei", "serif_sc")), ink=(20, 20, 25),
                    jitter=0.0, handwritten=False, cross_prob=0.0)
    return Hand(face="kai_tw" if traditional else "kai_cn", ink=rng.choice(INKS),
                jitter=rng.uniform(0.02, 0.06), cross_prob=rng.uniform(0.0, 0.2))


@dataclass
class Canvas:
    """A white page being drawn on; collects places where a seal may be stamped."""

    width: int
    height: int
    dpi: int
    print_face: str = "serif_sc"
    print_ink: Color = (15, 15, 15)
    image: Image.Image = field(init=False)
    draw: ImageDraw.ImageDraw = field(init=False)
    seal_spots: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.image = Image.new("RGB", (self.width, self.height), (255, 255, 255))
        self.draw = ImageDraw.Draw(self.image)

    @classmethod
    def a4(cls, dpi: int, *, landscape: bool = False, print_face: str = "serif_sc",
           print_ink: Color = (15, 15, 15)) -> Canvas:
        w, h = (round(mm / 25.4 * dpi) for mm in A4_MM)
        if landscape:
            w, h = h, w
        return cls(w, h, dpi, print_face, print_ink)

    def px(self, base: float) -> int:
        """Base pixels (200 dpi) to this page's pixels."""
        return round(base * self.dpi / 200)

    def rule(self, x0: int, y0: int, x1: int, y1: int, width: float = 2) -> None:
        self.draw.line((x0, y0, x1, y1), fill=self.print_ink, width=max(1, self.px(width)))

    def label(self, box: Box, text: str, *, size: float = LABEL_SIZE,
              align: str = "center", face: str | None = None) -> None:
        """Printed text centred (or left-aligned) in ``box``, shrunk only if it must."""
        f = font(face or self.print_face, self.px(size))
        pad = self.px(10)
        avail = box[2] - box[0] - 2 * pad
        while f.getlength(text) > avail and f.size > self.px(LABEL_SIZE * 0.85):
            f = font(face or self.print_face, f.size - 1)
        cy = (box[1] + box[3]) // 2
        x = (box[0] + box[2]) // 2 if align == "center" else box[0] + pad
        self.draw.text((x, cy), text, font=f, fill=self.print_ink,
                       anchor="mm" if align == "center" else "lm")

    def title(self, y: int, text: str, *, size: float = 64, spacing: float = 0.3) -> None:
        """Centred heading, letter-spaced like printed form titles."""
        f = font("bold_sc" if self.print_face in ("sans_sc", "hei") else self.print_face,
                 self.px(size))
        gap = f.size * spacing
        total = sum(f.getlength(c) for c in text) + gap * (len(text) - 1)
        x = (self.width - total) / 2
        for ch in text:
            self.draw.text((x, y), ch, font=f, fill=self.print_ink, anchor="lm")
            x += f.getlength(ch) + gap

    def write(self, box: Box, text: str, hand: Hand, rng: random.Random, *,
              align: str = "left", size: float = VALUE_SIZE) -> None:
        """Write a value into ``box`` character by character, as a hand would.

        The baseline wobbles and drifts, glyph sizes vary a little, and now and then
        the value sags across the cell's bottom rule - all things a real extractor
        meets. Text shrinks (down to ``VALUE_MIN``) rather than leave its cell.
        """
        em = self.px(size)
        pad = self.px(12)
        avail = box[2] - box[0] - 2 * pad
        while em > self.px(VALUE_MIN) and font(hand.face, em).getlength(text) > avail:
            em -= 1
        f = font(hand.face, em)
        total = f.getlength(text)
        slack = max(0.0, avail - total)
        if align == "center":
            x = box[0] + pad + slack / 2
        else:
            x = box[0] + pad + (rng.uniform(0, min(slack, em * 1.5)) if hand.handwritten else 0)
        cy = (box[1] + box[3]) / 2
        if hand.handwritten and rng.random() < hand.cross_prob:
            cy += (box[3] - box[1]) * rng.uniform(0.25, 0.38)
        drift = rng.uniform(-0.15, 0.15) * em / max(1, len(text))
        for i, ch in enumerate(text):
            g = f
            if hand.handwritten:
                g = font(hand.face, round(em * rng.uniform(0.94, 1.06)))
            dy = rng.gauss(0, hand.jitter * em) + drift * i
            self.draw.text((x, cy + dy), ch, font=g, fill=hand.ink, anchor="lm")
            x += f.getlength(ch) * (rng.uniform(0.98, 1.08) if hand.handwritten else 1.0)

    def vertical(self, x: int, y: int, text: str, face: str, size: int, ink: Color,
                 rng: random.Random | None = None, jitter: float = 0.0) -> int:
        """Top-to-bottom column centred on ``x``; returns the y below the last glyph."""
        f = font(face, size)
        for ch in text:
            dx = rng.gauss(0, jitter * size) if rng else 0.0
            self.draw.text((x + dx, y), ch, font=f, fill=ink, anchor="mt")
            y += round(size * 1.08)
        return y


# --- tables -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a form row: a printed label, or a value slot for a field."""

    weight: float
    label: str | None = None
    text: str | None = None  # the written value (``original``)
    seal: bool = False  # a seal may be stamped over this value


def draw_rows(canvas: Canvas, rows: Sequence[Sequence[Cell]], x0: int, y0: int,
              width: int, row_h: int, hand: Hand, rng: random.Random) -> int:
    """Draw a ruled table, one list of cells per row; returns the bottom y.

    Each row is split by its own weights, so merged cells (a long address next
    to a short label) need no special casing - exactly how paper forms are ruled.
    """
    y = y0
    canvas.rule(x0, y, x0 + width, y, 3)
    for row in rows:
        total = sum(c.weight for c in row)
        x = float(x0)
        for cell in row:
            w = width * cell.weight / total
            box = (round(x), y, round(x + w), y + row_h)
            if cell.label is not None:
                canvas.label(box, cell.label)
            if cell.text:
                canvas.write(box, cell.text, hand, rng)
                if cell.seal:
                    canvas.seal_spots.append(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2))
            x += w
            if cell is not row[-1]:
                canvas.rule(round(x), y, round(x), y + row_h)
        y += row_h
        canvas.rule(x0, y, x0 + width, y, 3 if row is rows[-1] else 2)
    canvas.rule(x0, y0, x0, y, 3)
    canvas.rule(x0 + width, y0, x0 + width, y, 3)
    return y
