"""Multi-record pages: ledgers (登记簿, one couple per row) and stub sheets (存根).

Ledgers give ages rather than birth dates and vary their column set and order;
an unprefixed 年龄/职业/住址 column belongs to the party whose name column it
follows, the usual convention of these books.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from records.model import Kind, PageType

from .common import PageContext, party_fields, pick, shorten_address
from .draw import VALUE_MIN, VALUE_SIZE, Canvas, Cell, Hand, draw_rows, random_hand
from .fonts import font
from .forms import CERT_LABELS, DATE_LABELS, new_canvas
from .model import CleanPage, TruthField, TruthRecord
from .values import (
    Couple,
    Style,
    certificate_no,
    office_name,
    random_couple,
    random_style,
    write_date,
    write_text,
)

LEDGER_TITLES = {Kind.MARRIAGE: "结婚登记簿", Kind.DIVORCE: "离婚登记簿"}
STUB_TITLES = {Kind.MARRIAGE: "结婚证存根", Kind.DIVORCE: "离婚证存根"}
PARTY_HEADERS = {"age": "年龄", "occupation": "职业", "address": "住址", "ethnicity": "民族"}


@dataclass(frozen=True, slots=True)
class Column:
    """A ledger column: its printed header and the field key it holds (None: 编号)."""

    header: str
    key: str | None


def _party_columns(rng: random.Random, party: str) -> list[Column]:
    word = "男方" if party == "male" else "女方"
    cols = [Column(word + "姓名", f"{party}_name"), Column("年龄", f"{party}_age")]
    for part in ("occupation", "address", "ethnicity"):
        if rng.random() < 0.3:
            cols.append(Column(PARTY_HEADERS[part], f"{party}_{part}"))
    return cols


def ledger_columns(rng: random.Random, kind: Kind) -> list[Column]:
    """A random but plausible column set and order."""
    date = Column(pick(rng, *DATE_LABELS[kind]), "registration_date")
    cert = Column(pick(rng, *CERT_LABELS[kind]), "certificate_no")
    couple = _party_columns(rng, "male") + _party_columns(rng, "female")
    variant = rng.randrange(3)
    if variant == 0:
        cols = [date, *couple, cert]
    elif variant == 1:
        cols = [*couple, date, cert]
    else:
        cols = [cert, date, *couple]
    return [Column("编号", None), *cols]


def _row_fields(ctx: PageContext, couple: Couple, style: Style,
                cols: list[Column]) -> dict[str, TruthField]:
    rng, spec, kind = ctx.rng, ctx.cursor.spec, ctx.couple_kind
    keys = {c.key for c in cols if c.key}
    fields: dict[str, TruthField] = {}
    if "registration_date" in keys:
        fields["registration_date"] = write_date(couple.reg_date, style)
    if "certificate_no" in keys:
        fields["certificate_no"] = certificate_no(rng, couple.reg_date.year, spec.office, kind,
                                                  ctx.cursor.next_serial(), style)
    for party, person in (("male", couple.male), ("female", couple.female)):
        parts = [k.split("_", 1)[1] for k in keys if k.startswith(party + "_")]
        fields |= party_fields(person, party, parts, style, couple.reg_date)
        addr_key = f"{party}_address"
        if addr_key in fields:
            a = shorten_address(str(fields[addr_key].value), spec.office.city, 10)
            fields[addr_key] = TruthField(a, style.text(a))
    return fields


def _fit_widths(canvas: Canvas, cols: list[Column], cells: list[list[str]],
                hand: Hand, avail: int) -> tuple[list[int], list[Column]] | None:
    """Column widths from content; ``None`` when the columns cannot fit at min size."""
    pad = canvas.px(30)
    f_val = font(hand.face, canvas.px(VALUE_MIN))
    f_lab = font(canvas.print_face, canvas.px(30))
    widths = []
    for i, col in enumerate(cols):
        content = max((f_val.getlength(r[i]) for r in cells), default=0.0)
        widths.append(int(max(content * VALUE_SIZE / VALUE_MIN * 0.95,
                              f_lab.getlength(col.header)) + pad))
    total = sum(widths)
    if total > avail:
        return None
    return [w * avail // total for w in widths], cols


def render_ledger(ctx: PageContext) -> CleanPage:
    """结婚/离婚登记簿 page: header row plus 6-12 couples."""
    rng, kind = ctx.rng, ctx.couple_kind
    canvas = new_canvas(ctx, landscape=True)
    n_rows = rng.randint(6, 12)
    first = ctx.cursor.next_date(rng)
    style = random_style(rng, first.year)
    hand = random_hand(rng, traditional=style.traditional)
    cols = ledger_columns(rng, kind)
    couples = [random_couple(rng, first if i == 0 else ctx.cursor.next_date(rng),
                             ctx.cursor.spec.office, kind, with_ids=False)
               for i in range(n_rows)]
    records = [_row_fields(ctx, c, style, cols) for c in couples]
    start_no = rng.randint(1, 300)
    avail = canvas.width - 2 * canvas.px(80)
    while True:
        cells = [[str(start_no + i) if c.key is None else r[c.key].original for c in cols]
                 for i, r in enumerate(records)]
        fitted = _fit_widths(canvas, cols, cells, hand, avail)
        if fitted is not None:
            break
        droppable = [c for c in cols if c.key and c.key.split("_", 1)[1]
                     in ("address", "occupation", "ethnicity")]
        victim = droppable[-1] if droppable else cols[-1]
        cols.remove(victim)
        for r in records:
            r.pop(victim.key or "", None)
    widths, cols = fitted
    year = first.year
    canvas.title(canvas.px(110), LEDGER_TITLES[kind], size=60)
    canvas.label((canvas.px(80), canvas.px(150), canvas.px(700), canvas.px(215)),
                 f"{year}年  第{rng.randint(1, 40)}页", align="left")
    header = [Cell(w, c.header) for w, c in zip(widths, cols, strict=True)]
    body = [[Cell(w, text=t) for w, t in zip(widths, row, strict=True)] for row in cells]
    row_h = min(canvas.px(115), (canvas.height - canvas.px(340)) // (n_rows + 1))
    draw_rows(canvas, [header, *body], canvas.px(80), canvas.px(240), avail, row_h, hand, rng)
    truth = tuple(TruthRecord(kind, r, "ledger", row=i + 1) for i, r in enumerate(records))
    return CleanPage(canvas.image, truth, PageType.LEDGER, ctx.dpi)


def _stub_rows(rng: random.Random, kind: Kind, f: dict[str, TruthField],
               age_mode: bool) -> list[list[Cell]]:
    def v(key: str, weight: float, seal: bool = False) -> Cell:
        return Cell(weight, text=f[key].original, seal=seal)

    second = "age" if age_mode else "birth_date"
    second_label = "年龄" if age_mode else "出生日期"
    rows = [[Cell(1.5, pick(rng, "字号", *CERT_LABELS[kind])), v("certificate_no", 5.5)]]
    for party, word in (("male", "男方"), ("female", "女方")):
        rows.append([Cell(1.5, word + "姓名"), v(f"{party}_name", 1.7),
                     Cell(1.3, second_label), v(f"{party}_{second}", 2.5)])
    rows.append([Cell(1.5, pick(rng, *DATE_LABELS[kind])), v("registration_date", 5.5)])
    rows.append([Cell(1.5, "登记机关"), v("registry_office", 5.5, seal=True)])
    return rows


def _stub_fields(ctx: PageContext, style: Style, age_mode: bool) -> dict[str, TruthField]:
    rng, spec, kind = ctx.rng, ctx.cursor.spec, ctx.couple_kind
    reg = ctx.cursor.next_date(rng)
    couple = random_couple(rng, reg, spec.office, kind, with_ids=False)
    parts = ["name", "age" if age_mode else "birth_date"]
    fields = {
        "registration_date": write_date(reg, style),
        "certificate_no": certificate_no(rng, reg.year, spec.office, kind,
                                         ctx.cursor.next_serial(), style),
        "registry_office": write_text(office_name(spec.office, reg.year, kind, rng), style),
    }
    fields |= party_fields(couple.male, "male", parts, style, reg)
    fields |= party_fields(couple.female, "female", parts, style, reg)
    return fields


def render_stubs(ctx: PageContext) -> CleanPage:
    """Two certificate stubs on one sheet, separated by a perforation line."""
    rng, kind = ctx.rng, ctx.couple_kind
    canvas = new_canvas(ctx)
    hand = random_hand(rng)
    age_mode = rng.random() < 0.5
    x0, width = canvas.px(130), canvas.width - 2 * canvas.px(130)
    half = canvas.height // 2
    records = []
    for slot in range(2):
        top = slot * half
        style = random_style(rng, ctx.cursor.spec.year_from, traditional_ok=False)
        fields = _stub_fields(ctx, style, age_mode)
        canvas.title(top + canvas.px(130), STUB_TITLES[kind], size=56)
        draw_rows(canvas, _stub_rows(rng, kind, fields, age_mode), x0, top + canvas.px(220),
                  width, canvas.px(110), hand, rng)
        records.append(TruthRecord(kind, fields, "stubs", slot=slot))
    dash = canvas.px(24)
    for x in range(0, canvas.width, 2 * dash):
        canvas.rule(x, half, x + dash, half, 2)
    seal = str(records[0].fields["registry_office"].value)
    return CleanPage(canvas.image, tuple(records), PageType.STUBS, ctx.dpi,
                     tuple(canvas.seal_spots), seal)
