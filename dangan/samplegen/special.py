"""Pages that are not ordinary forms: 1950s certificates, covers, blank backs.

1950s certificates are in traditional characters with a vertical right-to-left
body and ages instead of birth dates; their truth is marked ``cert1950s`` so
benchmarks can score "detected and routed to review" rather than field accuracy.
"""

from __future__ import annotations

import datetime as dt
import random

import cn2an
import numpy as np
from PIL import Image, ImageFilter, ImageOps

from records.model import Kind, PageType

from .common import PageContext
from .draw import Canvas, Cell, draw_rows, random_hand
from .fonts import font
from .forms import render_form_party
from .model import CleanPage, TruthField, TruthRecord
from .values import (
    BookCursor,
    Style,
    age_on,
    certificate_no,
    office_name,
    random_couple,
    random_date,
    traditional,
    write_date,
    write_text,
)

_CN_DIGITS = "〇一二三四五六七八九"


def _cert_date(ctx: PageContext) -> dt.date:
    """A 1950s date: the book's own if it is a 1950s book, else one of its own."""
    spec = ctx.cursor.spec
    if spec.year_from < 1960:
        return ctx.cursor.next_date(ctx.rng)
    year = ctx.rng.randint(1950, 1959)
    return random_date(ctx.rng, dt.date(year, 1, 1), dt.date(year, 12, 31))


def render_cert1950s(ctx: PageContext) -> CleanPage:
    """結婚證 / 離婚證 of the 1950s: vertical body, traditional script, ages."""
    rng = ctx.rng
    kind = Kind.DIVORCE if rng.random() < 0.2 else Kind.MARRIAGE
    reg = _cert_date(ctx)
    style = Style(traditional=True, date_format="num_cn", zero="〇", age_format="cn")
    couple = random_couple(rng, reg, ctx.cursor.spec.office, Kind.MARRIAGE, with_ids=False)
    ages = {p: age_on(getattr(couple, p).birth, reg) for p in ("male", "female")}
    fields: dict[str, TruthField] = {
        "male_name": write_text(couple.male.name, style),
        "male_age": TruthField(ages["male"], str(cn2an.an2cn(ages["male"]))),
        "female_name": write_text(couple.female.name, style),
        "female_age": TruthField(ages["female"], str(cn2an.an2cn(ages["female"]))),
        "registration_date": write_date(reg, style),
        "registry_office": write_text(office_name(ctx.cursor.spec.office, reg.year, kind, rng),
                                      style),
        "certificate_no": certificate_no(rng, reg.year, ctx.cursor.spec.office, kind,
                                         ctx.cursor.next_serial(), style),
    }
    canvas = Canvas.a4(ctx.dpi, landscape=True, print_face="ming_tw",
                       print_ink=(110, 25, 25) if rng.random() < 0.5 else (20, 20, 20))
    _border(canvas)
    canvas.title(canvas.px(190), traditional("结婚证" if kind is Kind.MARRIAGE else "离婚证"),
                 size=110, spacing=0.8)
    hand = random_hand(rng, traditional=True)
    no = fields["certificate_no"].original
    f_no = font("kai_tw", canvas.px(44))
    x_no = canvas.width - canvas.px(160) - int(f_no.getlength(no))
    canvas.draw.text((x_no, canvas.px(330)), no, font=f_no, fill=hand.ink, anchor="lm")
    _vertical_body(canvas, fields, kind, rng, hand.ink)
    y = canvas.height - canvas.px(330)
    office = fields["registry_office"].original
    date = fields["registration_date"].original
    f_hand = font("kai_tw", canvas.px(46))
    canvas.draw.text((canvas.px(260), y), office, font=f_hand, fill=hand.ink, anchor="lm")
    canvas.draw.text((canvas.px(260), y + canvas.px(90)), date, font=f_hand, fill=hand.ink,
                     anchor="lm")
    spot = (canvas.px(260) + int(f_hand.getlength(office)) // 2, y)
    record = TruthRecord(kind, fields, "cert1950s", cert1950s=True)
    return CleanPage(canvas.image, (record,), PageType.CERTIFICATE, ctx.dpi, (spot,),
                     str(fields["registry_office"].value))


def _border(canvas: Canvas) -> None:
    m = canvas.px(60)
    for inset, w in ((0, 6), (canvas.px(18), 2)):
        canvas.draw.rectangle((m + inset, m + inset, canvas.width - m - inset,
                               canvas.height - m - inset), outline=canvas.print_ink,
                              width=canvas.px(w))


def _vertical_body(canvas: Canvas, fields: dict[str, TruthField], kind: Kind,
                   rng: random.Random, ink: tuple[int, int, int]) -> None:
    """Columns right to left: the two parties, then the printed formula."""
    size = canvas.px(58)
    step = round(size * 1.9)
    x = canvas.width - canvas.px(260)
    top = canvas.px(430)
    for party, word in (("male", "男"), ("female", "女")):
        y = canvas.vertical(x, top, word, "ming_tw", size, canvas.print_ink)
        y = canvas.vertical(x, y + size // 2, fields[f"{party}_name"].original, "kai_tw", size,
                            ink, rng, 0.03)
        y = canvas.vertical(x, y + size // 2, "年", "ming_tw", size, canvas.print_ink)
        y = canvas.vertical(x, y, fields[f"{party}_age"].original, "kai_tw", size, ink, rng,
                            0.03)
        canvas.vertical(x, y, traditional("岁"), "ming_tw", size, canvas.print_ink)
        x -= step
    verb = "结婚" if kind is Kind.MARRIAGE else "离婚"
    for text in (f"自愿{verb}经审查合于", "中华人民共和国婚姻法", f"关于{verb}的规定发给此证"):
        canvas.vertical(x, top, traditional(text), "ming_tw", size, canvas.print_ink)
        x -= step


def _cn_year(year: int) -> str:
    return "".join(_CN_DIGITS[int(c)] for c in str(year))


def render_cover(ctx: PageContext) -> CleanPage:
    """Book cover: year, title, volume and the archive reference table."""
    rng, spec = ctx.rng, ctx.cursor.spec
    canvas = Canvas.a4(ctx.dpi, print_face=rng.choice(("serif_sc", "sans_sc")))
    what = {Kind.MARRIAGE: "结婚登记档案", Kind.DIVORCE: "离婚登记档案",
            Kind.ADOPTION: "收养登记档案"}[spec.kind]
    year = spec.year_from if spec.year_from == spec.year_to else None
    years = f"{_cn_year(spec.year_from)}年" if year else \
        f"{_cn_year(spec.year_from)}—{_cn_year(spec.year_to)}年"
    canvas.title(canvas.px(500), years, size=80, spacing=0.1)
    canvas.title(canvas.px(700), what, size=96, spacing=0.3)
    canvas.title(canvas.px(900), f"第{spec.volume}卷", size=80)
    office = office_name(spec.office, spec.year_from, spec.kind, rng)
    canvas.title(canvas.px(1100), office, size=50, spacing=0.05)
    hand = random_hand(rng)
    rows = [("全宗号", str(rng.randint(1, 300))), ("目录号", str(rng.randint(1, 20))),
            ("案卷号", str(rng.randint(1, 999))), ("保管期限", "永久"),
            ("起止日期", f"{spec.year_from}.1—{spec.year_to}.12")]
    x0 = canvas.px(400)
    draw_rows(canvas, [[Cell(1.2, k), Cell(2.0, text=v)] for k, v in rows], x0,
              canvas.px(1300), canvas.width - 2 * x0, canvas.px(100), hand, rng)
    return CleanPage(canvas.image, (), PageType.COVER, ctx.dpi)


def render_blank(ctx: PageContext) -> CleanPage:
    """Empty back side; often with ink of the other side showing through, mirrored."""
    rng = ctx.rng
    canvas = Canvas.a4(ctx.dpi)
    image = canvas.image
    if rng.random() < 0.7:
        scratch = PageContext(random.Random(rng.random()), BookCursor(ctx.cursor.spec, rng),
                              ctx.dpi)
        other = ImageOps.mirror(render_form_party(scratch).image.convert("L"))
        other = other.filter(ImageFilter.GaussianBlur(canvas.px(2.5)))
        alpha = rng.uniform(0.05, 0.12)
        ink = (255 - np.asarray(other, dtype=np.float32)) * alpha
        image = Image.fromarray(np.clip(255 - ink, 0, 255).astype(np.uint8)).convert("RGB")
    return CleanPage(image, (), PageType.BLANK, ctx.dpi)

