#!/usr/bin/env python
"""An independent generator of registration pages in layouts ``dangan.samplegen`` never draws.

    make_alt_layouts.py --out DIR --pages N --seed S

Extraction is tuned on the project's own generator; this script checks that
it generalizes. It shares only the *values* (``dangan.samplegen.values``: names,
dates, IDs, certificate numbers, offices, as written and canonical) and the
truth file shapes (``truth.jsonl`` / ``pages.jsonl``, multi-page PDF with JPEG
pages); every layout and font choice here is its own:

* ``alt_colon``  - ruled cells holding ``男方姓名：张三`` (label and value in one cell);
* ``alt_above``  - ruled grid, each label cell above its value cell, parties as
  section rows (男方情况) or a left column cell spanning the party's rows;
* ``alt_unruled``- plain text lines, ``男方姓名：张三`` or a 男方 heading over
  ``姓名：张三  民族：汉族`` lines, one or two fields a line;
* ``alt_mf``     - a table whose party columns are headed just 男 / 女;
* ``alt_ledger`` - a landscape ledger with another column order and header words,
  one-level (男方姓名 … 女方姓名) or two-level (男 / 女 over 姓名 年龄 …);
* ``alt_adoption`` - an unruled adoption form with colon labels.

Label wording varies per page among the variants RECORDS.md lists (公民身份号码,
常住户口所在地, 工作单位, 婚姻登记机关, 登记单位, 结婚证字号, 证号, 字号 …).
Fonts: Noto Serif CJK (regular/bold), WenQuanYi Micro Hei, AR PL UMing,
Droid Sans Fallback, AR PL UKai for some values. Pages are A4, 16K or B5 at
200-300 dpi, with mild noise, blur and skew; text is at least 28 px tall.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import img2pdf
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dangan.samplegen.common import party_fields  # noqa: E402
from dangan.samplegen.model import TruthField  # noqa: E402
from dangan.samplegen.values import (  # noqa: E402
    BookCursor,
    BookSpec,
    Style,
    certificate_no,
    office_name,
    random_adoption,
    random_book,
    random_couple,
    random_style,
    write_date,
    write_gender,
    write_text,
)
from records.model import Kind  # noqa: E402

# --- fonts ----------------------------------------------------------------------------------

FONT_FILES: dict[str, tuple[str, int]] = {
    "serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    "serif_bold": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),
    "microhei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    "uming": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "droid": ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    "ukai": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
}
LABEL_FACES = ("serif", "serif_bold", "microhei", "uming", "droid")
VALUE_FACES = ("serif", "microhei", "uming", "droid", "ukai")
FALLBACK = "serif"


@lru_cache(maxsize=256)
def font(face: str, size: int) -> ImageFont.FreeTypeFont:
    path, index = FONT_FILES[face]
    return ImageFont.truetype(path, size, index=index)


@lru_cache(maxsize=8192)
def _has_glyph(face: str, ch: str) -> bool:
    if ch.isspace():
        return True
    f = font(face, 24)
    return bytes(f.getmask(ch)) != bytes(f.getmask("\U000f0000"))


def face_for(face: str, text: str) -> str:
    return face if all(_has_glyph(face, c) for c in text) else FALLBACK


# --- drawing ----------------------------------------------------------------------------------


@dataclass
class Page:
    """A white page being drawn, with its size in pixels and its text size."""

    w: int
    h: int
    dpi: int
    size: int  # text height in px
    label_face: str
    value_face: str
    img: Image.Image = field(init=False)
    draw: ImageDraw.ImageDraw = field(init=False)

    def __post_init__(self) -> None:
        self.img = Image.new("RGB", (self.w, self.h), "white")
        self.draw = ImageDraw.Draw(self.img)

    def width(self, text: str, face: str, size: int | None = None) -> int:
        f = font(face_for(face, text), size or self.size)
        return int(f.getlength(text))

    def text(self, x: float, y: float, text: str, face: str, size: int | None = None,
             fill: tuple[int, int, int] = (20, 20, 20)) -> int:
        """Draw at (x, y) top-left; returns the drawn width."""
        f = font(face_for(face, text), size or self.size)
        self.draw.text((int(x), int(y)), text, font=f, fill=fill)
        return int(f.getlength(text))

    def fit_text(self, x0: float, x1: float, y: float, text: str, face: str,
                 fill: tuple[int, int, int] = (20, 20, 20), center: bool = False) -> None:
        """Text inside [x0, x1], shrunk (never under 28 px) when too wide."""
        size = self.size
        while size > 28 and self.width(text, face, size) > x1 - x0 - 8:
            size -= 2
        w = self.width(text, face, size)
        x = x0 + max(4, (x1 - x0 - w) / 2) if center else x0 + 0.25 * self.size
        self.text(x, y + (self.size - size) / 2, text, face, size, fill)

    def hline(self, x0: float, x1: float, y: float, width: int = 2) -> None:
        self.draw.line([(int(x0), int(y)), (int(x1), int(y))], fill=(30, 30, 30), width=width)

    def vline(self, x: float, y0: float, y1: float, width: int = 2) -> None:
        self.draw.line([(int(x), int(y0)), (int(x), int(y1))], fill=(30, 30, 30), width=width)

    def title(self, y: float, text: str) -> float:
        size = int(self.size * 1.5)
        w = self.width(text, self.label_face, size)
        self.text((self.w - w) / 2, y, text, self.label_face, size)
        return y + size * 2.2


INK = (20, 20, 20)
BLUE = (25, 35, 110)

# --- records ----------------------------------------------------------------------------------

LABELS: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "birth_date": ("出生日期", "出生年月", "出生年月日"),
    "id_number": ("身份证件号", "公民身份号码", "身份证号", "身份证号码"),
    "ethnicity": ("民族",),
    "native_place": ("籍贯",),
    "address": ("住址", "常住户口所在地", "户籍所在地", "家庭住址"),
    "occupation": ("职业", "工作单位", "职业或工作单位"),
    "age": ("年龄",),
}
KIND_WORD = {Kind.MARRIAGE: "结婚", Kind.DIVORCE: "离婚", Kind.ADOPTION: "收养"}


def common_labels(rng: random.Random, kind: Kind) -> dict[str, str]:
    w = KIND_WORD[kind]
    return {
        "registration_date": rng.choice(("登记日期", f"{w}登记日期", "日期")),
        "certificate_no": rng.choice((f"{w}证字号", "证号", "字号", f"{w}证号")),
        "registry_office": rng.choice(("登记机关", "婚姻登记机关", "登记单位")
                                      if kind is not Kind.ADOPTION
                                      else ("登记机关", "收养登记机关", "登记单位")),
    }


@dataclass
class Couple:
    """One couple record ready to draw: labels per part, truth per key."""

    kind: Kind
    parts: list[str]
    part_labels: dict[str, str]
    common: dict[str, str]  # key -> label
    truth: dict[str, TruthField]

    def party_value(self, party: str, part: str) -> str | None:
        f = self.truth.get(f"{party}_{part}")
        return None if f is None else f.original


def make_couple(rng: random.Random, cursor: BookCursor, style: Style, *, ages: bool = False,
                parts: Sequence[str] | None = None) -> Couple:
    spec = cursor.spec
    kind = spec.kind if spec.kind is not Kind.ADOPTION else Kind.MARRIAGE
    reg = cursor.next_date(rng)
    couple = random_couple(rng, reg, spec.office, kind)
    if parts is None:
        pool = ["birth_date", "ethnicity", "native_place", "address", "occupation"]
        if couple.male.id_number:
            pool.append("id_number")
        chosen = rng.sample(pool, rng.randint(3, len(pool)))
        parts = ["name"] + [p for p in ("birth_date", "id_number", "ethnicity", "native_place",
                                        "occupation", "address") if p in chosen]
    parts = list(parts)
    labels = {p: rng.choice(LABELS[p]) for p in parts}
    precision = "month" if labels.get("birth_date") == "出生年月" else "day"
    truth: dict[str, TruthField] = {}
    for party, person in (("male", couple.male), ("female", couple.female)):
        truth.update(party_fields(person, party, parts, style, reg, precision=precision))
    common = common_labels(rng, kind)
    truth["registration_date"] = write_date(reg, style)
    truth["certificate_no"] = certificate_no(rng, reg.year, spec.office, kind,
                                             cursor.next_serial(), style)
    truth["registry_office"] = write_text(office_name(spec.office, reg.year, kind, rng), style)
    shown = rng.sample(list(common), rng.randint(2, 3))
    for k in list(common):
        if k not in shown:
            del common[k]
            del truth[k]
    return Couple(kind, parts, labels, common, truth)


@dataclass
class Drawn:
    img: Image.Image
    records: list[dict[str, Any]]  # {"kind", "fields", "family", "row"?}
    family: str
    page_type: str


def _record(kind: Kind, truth: dict[str, TruthField], family: str,
            row: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind.value, "family": family,
                           "fields": {k: f.to_dict() for k, f in truth.items()}}
    if row is not None:
        out["row"] = row
    return out


def new_page(rng: random.Random, dpi: int, *, landscape: bool = False) -> Page:
    mm = rng.choice(((210, 297), (184, 260), (176, 250)))
    if landscape:
        mm = rng.choice(((297, 210), (368, 260)))
    w, h = (round(v / 25.4 * dpi) for v in mm)
    size = max(30, round(rng.uniform(3.6, 4.4) / 25.4 * dpi))
    return Page(w, h, dpi, size, rng.choice(LABEL_FACES), rng.choice(VALUE_FACES))


def form_title(kind: Kind, rng: random.Random) -> str:
    w = KIND_WORD[kind]
    return rng.choice((f"{w}登记审查处理表", f"申请{w}登记审查表", f"{w}登记申请书",
                       f"{w}登记表"))


# --- layouts --------------------------------------------------------------------------------


def render_colon(rng: random.Random, cursor: BookCursor, dpi: int) -> Drawn:
    """Ruled cells, each holding ``label：value``; male and female side by side."""
    style = random_style(rng, cursor.spec.year_from, traditional_ok=False)
    c = make_couple(rng, cursor, style)
    pg = new_page(rng, dpi)
    y = pg.title(pg.size * 2.5, form_title(c.kind, rng))
    x0, x1 = pg.w * 0.07, pg.w * 0.93
    mid = (x0 + x1) / 2
    rh = pg.size * 2.1
    colon = rng.choice(("：", "："))
    rows: list[list[tuple[str, str]]] = []
    for part in c.parts:
        lab = c.part_labels[part]
        m, f = c.party_value("male", part), c.party_value("female", part)
        if m is None or f is None:
            continue
        pair = [(f"男方{lab}", m), (f"女方{lab}", f)]
        if max(pg.width(a + colon + b, pg.value_face, 28) for a, b in pair) > (mid - x0) * 0.9:
            rows.extend([[pair[0]], [pair[1]]])  # too long for a half cell: own rows
        else:
            rows.append(pair)
    for key, lab in c.common.items():
        rows.append([(lab, c.truth[key].original)])
    pg.hline(x0, x1, y)
    for row in rows:
        pg.vline(x0, y, y + rh)
        pg.vline(x1, y, y + rh)
        cells = [(x0, mid), (mid, x1)] if len(row) == 2 else [(x0, x1)]
        if len(row) == 2:
            pg.vline(mid, y, y + rh)
        for (cx0, cx1), (lab, val) in zip(cells, row, strict=True):
            lw = pg.text(cx0 + 0.3 * pg.size, y + 0.55 * pg.size, lab + colon, pg.label_face)
            pg.fit_text(cx0 + 0.3 * pg.size + lw, cx1, y + 0.55 * pg.size, val,
                        pg.value_face, BLUE)
        y += rh
        pg.hline(x0, x1, y)
    return Drawn(pg.img, [_record(c.kind, c.truth, "alt_colon")], "alt_colon", "form")


def _grid_block(pg: Page, y: float, x0: float, x1: float, items: list[tuple[str, str]],
                per_row: int) -> float:
    """Label cells above value cells, ``per_row`` items a row; returns the bottom."""
    rh = pg.size * 1.9
    for start in range(0, len(items), per_row):
        chunk = items[start:start + per_row]
        cw = (x1 - x0) / len(chunk)
        for i, (lab, val) in enumerate(chunk):
            cx0 = x0 + i * cw
            pg.fit_text(cx0, cx0 + cw, y + 0.45 * pg.size, lab, pg.label_face, INK, center=True)
            pg.fit_text(cx0, cx0 + cw, y + rh + 0.45 * pg.size, val, pg.value_face, BLUE,
                        center=True)
            pg.vline(cx0, y, y + 2 * rh)
        pg.vline(x1, y, y + 2 * rh)
        pg.hline(x0, x1, y)
        pg.hline(x0, x1, y + rh)
        y += 2 * rh
    pg.hline(x0, x1, y)
    return y


def render_above(rng: random.Random, cursor: BookCursor, dpi: int) -> Drawn:
    """Labels above values; party by a section row or a left cell spanning its rows."""
    style = random_style(rng, cursor.spec.year_from, traditional_ok=False)
    c = make_couple(rng, cursor, style)
    pg = new_page(rng, dpi)
    y = pg.title(pg.size * 2.5, form_title(c.kind, rng))
    x0, x1 = pg.w * 0.06, pg.w * 0.94
    left_col = rng.random() < 0.5
    gap = rng.choice((0, 0, 1, 2))
    suffix = word_suffix(rng)
    for party, word in (("male", "男方" + suffix), ("female", "女方" + suffix)):
        items = []
        for part in c.parts:
            v = c.party_value(party, part)
            if v is not None:
                items.append((spaced(c.part_labels[part], gap), v))
        # long values (IDs, addresses) get wider cells: fewer per row
        long_items = [it for it in items if len(it[1]) > 9]
        short_items = [it for it in items if len(it[1]) <= 9]
        if left_col:
            lx = x0 + pg.size * 3.2
            top = y
            y = _grid_block(pg, y, lx, x1, short_items, 4)
            if long_items:
                y = _grid_block(pg, y, lx, x1, long_items, 2)
            pg.vline(x0, top, y)
            pg.hline(x0, lx, top)
            pg.hline(x0, lx, y)
            pg.fit_text(x0, lx, (top + y) / 2 - pg.size / 2, "男方" if party == "male"
                        else "女方", pg.label_face, INK, center=True)
        else:
            pg.text(x0, y + 0.3 * pg.size, word, pg.label_face)
            y += pg.size * 1.8
            y = _grid_block(pg, y, x0, x1, short_items, 4)
            if long_items:
                y = _grid_block(pg, y, x0, x1, long_items, 2)
        y += pg.size * 1.2
    common = [(spaced(lab, gap), c.truth[k].original) for k, lab in c.common.items()]
    y = _grid_block(pg, y, x0, x1, common, len(common))
    return Drawn(pg.img, [_record(c.kind, c.truth, "alt_above")], "alt_above", "form")


def spaced(text: str, gap: int) -> str:
    """Two-character labels spread to the width of four, as many printed forms do."""
    return text[0] + "\u3000" * gap + text[1] if len(text) == 2 and gap else text


def word_suffix(rng: random.Random) -> str:
    return rng.choice(("", "情况", "基本情况"))


def render_unruled(rng: random.Random, cursor: BookCursor, dpi: int) -> Drawn:
    """No ruling: lines of ``label：value``, prefixed labels or 男方/女方 headings."""
    style = random_style(rng, cursor.spec.year_from, traditional_ok=False)
    c = make_couple(rng, cursor, style)
    pg = new_page(rng, dpi)
    y = pg.title(pg.size * 2.5, form_title(c.kind, rng))
    x0 = pg.w * 0.09
    step = pg.size * 1.9
    colon = "："
    headings = rng.random() < 0.5
    spread = rng.choice((0, 0, 1, 2))
    gap = pg.size * 2

    def line(items: list[tuple[str, str]]) -> None:
        nonlocal y
        x = x0
        for lab, val in items:
            x += pg.text(x, y, lab + colon, pg.label_face)
            x += pg.text(x, y, val, pg.value_face, fill=BLUE) + gap
        y += step

    def pack(items: list[tuple[str, str]]) -> None:
        """Two short fields a line when they fit in half the page, else one."""
        i = 0
        while i < len(items):
            a = items[i]
            b = items[i + 1] if i + 1 < len(items) else None
            if b is not None and len(a[0] + a[1]) <= 11 and len(b[0] + b[1]) <= 14:
                line([a, b])
                i += 2
            else:
                line([a])
                i += 1

    for party in ("male", "female"):
        items = []
        for part in c.parts:
            v = c.party_value(party, part)
            if v is not None:
                lab = c.part_labels[part]
                items.append((spaced(lab, spread) if headings
                              else ("男方" if party == "male" else "女方") + lab, v))
        if headings:
            pg.text(x0 - pg.size, y, ("一、男方" if party == "male" else "二、女方")
                    + word_suffix(rng), pg.label_face)
            y += step
        pack(items)
        y += pg.size * 0.8
    pack([(lab, c.truth[k].original) for k, lab in c.common.items()])
    return Drawn(pg.img, [_record(c.kind, c.truth, "alt_unruled")], "alt_unruled", "form")


def render_mf(rng: random.Random, cursor: BookCursor, dpi: int) -> Drawn:
    """Row labels with value columns headed just 男 / 女 (项目 or empty corner)."""
    style = random_style(rng, cursor.spec.year_from, traditional_ok=False)
    c = make_couple(rng, cursor, style)
    pg = new_page(rng, dpi)
    y = pg.title(pg.size * 2.5, form_title(c.kind, rng))
    x0, x3 = pg.w * 0.06, pg.w * 0.94
    x1 = x0 + max(pg.width(lab, pg.label_face) for lab in
                  [*c.part_labels.values(), *c.common.values()]) + pg.size * 2.5
    x2 = (x1 + x3) / 2
    rh = pg.size * 2.0
    corner = rng.choice(("项目", "", ""))
    gap = rng.choice((0, 0, 1, 2))
    rows: list[tuple[str, str, str | None]] = [(corner, "男", "女")]
    for part in c.parts:
        m, f = c.party_value("male", part), c.party_value("female", part)
        if m is not None and f is not None:
            rows.append((spaced(c.part_labels[part], gap), m, f))
    for k, lab in c.common.items():
        rows.append((spaced(lab, gap), c.truth[k].original, None))
    top = y
    pg.hline(x0, x3, y)
    for i, (lab, a, b) in enumerate(rows):
        ty = y + 0.5 * pg.size
        pg.fit_text(x0, x1, ty, lab, pg.label_face, INK, center=True)
        if i == 0:
            pg.fit_text(x1, x2, ty, a, pg.label_face, INK, center=True)
            pg.fit_text(x2, x3, ty, b or "", pg.label_face, INK, center=True)
        elif b is None:
            pg.fit_text(x1, x3, ty, a, pg.value_face, BLUE)
        else:
            pg.fit_text(x1, x2, ty, a, pg.value_face, BLUE)
            pg.fit_text(x2, x3, ty, b, pg.value_face, BLUE)
        if b is not None:
            pg.vline(x2, y, y + rh)
        y += rh
        pg.hline(x0, x3, y)
    for x in (x0, x1, x3):
        pg.vline(x, top, y)
    return Drawn(pg.img, [_record(c.kind, c.truth, "alt_mf")], "alt_mf", "form")


def render_ledger(rng: random.Random, cursor: BookCursor, dpi: int) -> Drawn:
    """Landscape ledger, a different column order and header words; one couple a row."""
    spec = cursor.spec
    style = random_style(rng, spec.year_from, traditional_ok=False)
    kind = spec.kind if spec.kind is not Kind.ADOPTION else Kind.MARRIAGE
    pg = new_page(rng, dpi, landscape=True)
    pg.size = max(30, round(pg.size * 0.85))
    two_level = rng.random() < 0.5
    parts = rng.choice((["name", "age", "occupation"], ["name", "age", "native_place"],
                        ["name", "age"], ["name", "occupation", "address"]))
    occ = rng.choice(LABELS["occupation"][:2])
    addr = rng.choice(("住址", "家庭住址", "户籍所在地"))
    part_label = {"name": "姓名", "age": "年龄", "occupation": occ, "native_place": "籍贯",
                  "address": addr}
    date_lab = rng.choice(("登记日期", "日期", f"{KIND_WORD[kind]}日期"))
    no_lab = rng.choice(("证号", "字号", f"{KIND_WORD[kind]}证字号"))
    # columns: (header text, truth key, weight in characters)
    cols: list[tuple[str, str | None, float]] = [("编号", None, 2.5)]
    party_cols: list[tuple[str, str | None, float]] = []
    order = rng.choice(("interleaved", "grouped"))
    weights = {"name": 4.5, "age": 2.8, "occupation": 6.5, "native_place": 6.0, "address": 11.0}
    if order == "grouped" or two_level:
        for party in ("male", "female"):
            for p in parts:
                head = part_label[p] if two_level else ("男方" if party == "male" else "女方") \
                    + part_label[p]
                party_cols.append((head, f"{party}_{p}", weights[p]))
    else:
        for p in parts:
            for party in ("male", "female"):
                party_cols.append((("男方" if party == "male" else "女方") + part_label[p],
                                   f"{party}_{p}", weights[p]))
    tail: list[tuple[str, str | None, float]] = [(no_lab, "certificate_no", 9.5),
                                                 (date_lab, "registration_date", 7.5)]
    if rng.random() < 0.5:
        tail = tail[::-1]
    cols = cols + (tail + party_cols if rng.random() < 0.4 else party_cols + tail)
    cols.append(("备注", None, 3.0))
    x0, xr = pg.w * 0.04, pg.w * 0.96
    n_rows = rng.randint(5, 9)
    first_no = rng.randint(1, 300)
    truths: list[dict[str, TruthField]] = []
    for _r in range(n_rows):
        reg = cursor.next_date(rng)
        couple = random_couple(rng, reg, spec.office, kind, with_ids=False)
        truth: dict[str, TruthField] = {}
        for party, person in (("male", couple.male), ("female", couple.female)):
            truth.update(party_fields(person, party, parts, style, reg))
        truth["registration_date"] = write_date(reg, style)
        truth["certificate_no"] = certificate_no(rng, reg.year, spec.office, kind,
                                                 cursor.next_serial(), style)
        truths.append(truth)

    def cell_text(r: int, i: int) -> str:
        k = cols[i][1]
        return str(first_no + r) if i == 0 else (truths[r][k].original if k else "")

    def widths(size: int) -> list[float]:
        out = []
        for i, (h, _k, _w) in enumerate(cols):
            texts = [cell_text(r, i) for r in range(n_rows)]
            w = max([pg.width(h, pg.label_face, size)]
                    + [pg.width(t, pg.value_face, size) for t in texts if t])
            out.append(w + 0.9 * size)
        return out

    ws = widths(pg.size)
    while sum(ws) > xr - x0 and pg.size > 28:
        pg.size = max(28, int(pg.size * 0.93))
        ws = widths(pg.size)
    while sum(ws) > xr - x0 and cols[-1][1] is None:  # drop 备注 before anything else
        cols.pop()
        ws = widths(pg.size)
    spare = max(0.0, (xr - x0) - sum(ws)) / len(ws)
    xs = [x0]
    for w in ws:
        xs.append(xs[-1] + w + spare)
    xr = xs[-1]
    y = pg.title(pg.size * 1.5, rng.choice((f"{spec.year_from}年{KIND_WORD[kind]}登记簿",
                                            f"{KIND_WORD[kind]}登记名册",
                                            f"{KIND_WORD[kind]}登记花名册")))
    rh = pg.size * 1.9
    top = y
    pg.hline(x0, xr, y)
    if two_level:
        # party header over its columns
        for party, word in (("male", rng.choice(("男", "男方"))),
                            ("female", rng.choice(("女", "女方")))):
            idx = [i for i, (_h, k, _w) in enumerate(cols) if k and k.startswith(party + "_")]
            a, b = xs[idx[0]], xs[idx[-1] + 1]
            pg.fit_text(a, b, y + 0.45 * pg.size, word, pg.label_face, INK, center=True)
            pg.hline(a, b, y + rh)
        for i, (h, k, _w) in enumerate(cols):
            if not (k and k.startswith(("male_", "female_"))):
                pg.fit_text(xs[i], xs[i + 1], y + rh / 2 + 0.45 * pg.size, h, pg.label_face,
                            INK, center=True)
        y += rh
        for i, (h, k, _w) in enumerate(cols):
            if k and k.startswith(("male_", "female_")):
                pg.fit_text(xs[i], xs[i + 1], y + 0.45 * pg.size, h, pg.label_face, INK,
                            center=True)
    else:
        for i, (h, _k, _w) in enumerate(cols):
            pg.fit_text(xs[i], xs[i + 1], y + 0.45 * pg.size, h, pg.label_face, INK,
                        center=True)
    y += rh
    pg.hline(x0, xr, y)
    n_rows = min(n_rows, int((pg.h * 0.92 - y) / rh))
    records = []
    for r in range(n_rows):
        truth = truths[r]
        for i, (_h, k, _w) in enumerate(cols):
            text = cell_text(r, i)
            if text:
                pg.fit_text(xs[i], xs[i + 1], y + 0.45 * pg.size, text,
                            pg.value_face if k else pg.label_face, BLUE if k else INK,
                            center=k is None)
        y += rh
        pg.hline(x0, xr, y)
        records.append(_record(kind, truth, "alt_ledger", row=r + 1))
    for i, x in enumerate(xs):
        k = cols[i - 1][1] if i > 0 else None
        kn = cols[i][1] if i < len(cols) else None
        inner_party = two_level and k and kn and k.split("_")[0] == kn.split("_")[0] and \
            k.startswith(("male_", "female_"))
        pg.vline(x, top + (rh if inner_party else 0), y)
    return Drawn(pg.img, records, "alt_ledger", "ledger")


def render_adoption(rng: random.Random, cursor: BookCursor, dpi: int) -> Drawn:
    """Unruled adoption form with colon labels."""
    style = random_style(rng, cursor.spec.year_from, traditional_ok=False)
    reg = cursor.next_date(rng)
    a = random_adoption(rng, reg, cursor.spec.office)
    pg = new_page(rng, dpi)
    y = pg.title(pg.size * 2.5, rng.choice(("收养登记申请书", "收养登记审查处理表")))
    truth: dict[str, TruthField] = {
        "adopter_name": write_text(a.adopter.name, style),
        "adopter_address": write_text(a.adopter.address, style),
        "adoptee_name": write_text(a.adoptee_name, style),
        "adoptee_gender": write_gender(a.adoptee_gender, style),
        "adoptee_birth_date": write_date(a.adoptee_birth, style),
        "relinquisher_name": write_text(a.relinquisher, style),
        "registration_date": write_date(reg, style),
        "certificate_no": certificate_no(rng, reg.year, cursor.spec.office, Kind.ADOPTION,
                                         cursor.next_serial(), style),
    }
    if a.spouse is not None:
        truth["adopter_spouse_name"] = write_text(a.spouse.name, style)
    labels = {
        "adopter_name": rng.choice(("收养人姓名", "收养人")),
        "adopter_spouse_name": "收养人配偶姓名",
        "adopter_address": "收养人住址",
        "adoptee_name": rng.choice(("被收养人姓名", "被收养人")),
        "adoptee_gender": rng.choice(("被收养人性别", "性别")),
        "adoptee_birth_date": "被收养人出生日期",
        "relinquisher_name": rng.choice(("送养人姓名", "送养人")),
        "registration_date": rng.choice(("收养登记日期", "登记日期")),
        "certificate_no": rng.choice(("收养证字号", "收养证号", "证号")),
    }
    order = ["adopter_name", "adopter_spouse_name", "adopter_address", "adoptee_name",
             "adoptee_gender", "adoptee_birth_date", "relinquisher_name",
             "registration_date", "certificate_no"]
    x0 = pg.w * 0.09
    for key in order:
        if key not in truth:
            continue
        x = x0 + pg.text(x0, y, labels[key] + "：", pg.label_face)
        pg.text(x, y, truth[key].original, pg.value_face, fill=BLUE)
        y += pg.size * 2.0
    return Drawn(pg.img, [_record(Kind.ADOPTION, truth, "alt_adoption")], "alt_adoption",
                 "form")


LAYOUTS: dict[str, Callable[[random.Random, BookCursor, int], Drawn]] = {
    "alt_colon": render_colon, "alt_above": render_above, "alt_unruled": render_unruled,
    "alt_mf": render_mf, "alt_ledger": render_ledger, "alt_adoption": render_adoption,
}
WEIGHTS = {"alt_colon": 3, "alt_above": 3, "alt_unruled": 3, "alt_mf": 3, "alt_ledger": 2,
           "alt_adoption": 1}


# --- scanning -------------------------------------------------------------------------------


def scan(img: Image.Image, rng: random.Random) -> tuple[Image.Image, float]:
    """Mild scan look: paper tint, noise, a little blur, a small skew (ccw degrees)."""
    arr = np.asarray(img.convert("RGB"), dtype=np.float32)
    tint = np.array([rng.uniform(0.93, 1.0), rng.uniform(0.92, 0.99), rng.uniform(0.86, 0.96)])
    arr = arr * tint
    nprng = np.random.default_rng(rng.getrandbits(32))
    arr += nprng.normal(0, rng.uniform(2, 7), arr.shape[:2])[:, :, None]
    out = np.clip(arr, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 0.9))
    skew = round(rng.uniform(-0.8, 0.8), 3) if rng.random() < 0.7 else 0.0
    if skew:
        h, w = out.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
        fill = tuple(int(v) for v in (255 * tint * 0.97))
        out = cv2.warpAffine(out, m, (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return Image.fromarray(out), skew


def _jpeg(img: Image.Image, dpi: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=88, dpi=(dpi, dpi))
    return buf.getvalue()


def generate(out: Path, pages: int, seed: int, pages_per_file: int = 10,
             layouts: Sequence[str] | None = None) -> tuple[int, int]:
    """Write the set; returns (pages, records)."""
    rng = random.Random(f"alt-layouts/{seed}")
    out.mkdir(parents=True, exist_ok=True)
    names = list(layouts or LAYOUTS)
    cycle = [n for n in names for _ in range(WEIGHTS.get(n, 1))]
    plan = [cycle[i % len(cycle)] for i in range(pages)]
    rng.shuffle(plan)
    truth_rows: list[dict[str, Any]] = []
    page_rows: list[dict[str, Any]] = []
    for b, start in enumerate(range(0, len(plan), pages_per_file)):
        spec = random_book(rng)
        kind = rng.choices((Kind.MARRIAGE, Kind.DIVORCE, Kind.ADOPTION), (5, 2, 1))[0]
        spec = BookSpec(spec.year_from, spec.year_to, spec.office, kind, spec.volume)
        cursor = BookCursor(spec, rng)
        dpi = rng.choice((200, 240, 300))
        fname = f"alt-{spec.year_from}-{b + 1:02d}.pdf"
        jpegs = []
        for i, lay in enumerate(plan[start:start + pages_per_file]):
            drawn = LAYOUTS[lay](rng, cursor, dpi)
            img, skew = scan(drawn.img, rng)
            jpegs.append(_jpeg(img, dpi))
            for r in drawn.records:
                src: dict[str, Any] = {"file": fname, "page": i + 1}
                if "row" in r:
                    src["row"] = r["row"]
                truth_rows.append({"kind": r["kind"], "source": src, "fields": r["fields"],
                                   "family": r["family"], "cert1950s": False})
            page_rows.append({"file": fname, "page": i + 1, "family": drawn.family,
                              "page_type": drawn.page_type, "rotation": 0,
                              "records": len(drawn.records), "skew": skew, "dpi": dpi})
        (out / fname).write_bytes(img2pdf.convert(jpegs))
    for name, rows in (("truth.jsonl", truth_rows), ("pages.jsonl", page_rows)):
        with (out / name).open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(page_rows), len(truth_rows)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pages-per-file", type=int, default=10)
    ap.add_argument("--layouts", nargs="*", choices=sorted(LAYOUTS))
    args = ap.parse_args(argv)
    n_pages, n_records = generate(args.out, args.pages, args.seed, args.pages_per_file,
                                  args.layouts)
    print(f"wrote {n_pages} pages, {n_records} records to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
