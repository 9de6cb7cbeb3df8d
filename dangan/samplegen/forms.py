"""Form pages: one record per page (审查处理表), in three layouts.

``form_party``: label/value grid whose labels name the party (男方姓名 ...).
``form_columns``: row labels with a 男方 and a 女方 value column.
``adoption``: 收养登记审查处理表.
Label wording varies between pages the way it varies between real print runs.
"""

from __future__ import annotations

import random
from dataclasses import replace

from records.model import Kind, PageType

from .common import PageContext, party_fields, pick, shorten_address
from .draw import PRINT_INKS, Canvas, Cell, Hand, draw_rows, random_hand
from .fonts import PRINT_FACES
from .model import CleanPage, TruthField, TruthRecord
from .values import (
    Style,
    certificate_no,
    office_name,
    random_adoption,
    random_couple,
    random_style,
    write_date,
    write_gender,
    write_text,
)

TITLES = {Kind.MARRIAGE: "结婚登记审查处理表", Kind.DIVORCE: "离婚登记审查处理表",
          Kind.ADOPTION: "收养登记审查处理表"}
CERT_LABELS = {Kind.MARRIAGE: ("结婚证字号", "证号", "字号"),
               Kind.DIVORCE: ("离婚证字号", "证号", "字号"),
               Kind.ADOPTION: ("收养证字号", "证号")}
DATE_LABELS = {Kind.MARRIAGE: ("登记日期", "结婚登记日期"),
               Kind.DIVORCE: ("登记日期", "离婚日期"),
               Kind.ADOPTION: ("收养登记日期", "登记日期")}
OPINIONS = {Kind.MARRIAGE: "符合婚姻法规定，准予登记", Kind.DIVORCE: "双方自愿离婚，准予登记",
            Kind.ADOPTION: "符合收养法规定，准予登记"}


def new_canvas(ctx: PageContext, *, landscape: bool = False) -> Canvas:
    """An A4 canvas with this page's print face and ink."""
    rng = ctx.rng
    ink = PRINT_INKS[0] if rng.random() < 0.6 else rng.choice(PRINT_INKS)
    return Canvas.a4(ctx.dpi, landscape=landscape, print_face=rng.choice(PRINT_FACES),
                     print_ink=ink)


def _common_fields(ctx: PageContext, kind: Kind, style: Style,
                   reg_field: TruthField) -> dict[str, TruthField]:
    rng, spec = ctx.rng, ctx.cursor.spec
    year = int(str(reg_field.value)[:4])
    return {
        "registration_date": reg_field,
        "certificate_no": certificate_no(rng, year, spec.office, kind,
                                         ctx.cursor.next_serial(), style),
        "registry_office": write_text(office_name(spec.office, year, kind, rng), style),
    }


def _common_rows(rng: random.Random, kind: Kind, f: dict[str, TruthField]) -> list[list[Cell]]:
    """Date, certificate number and office rows, in a random order of the first two."""
    rows = [
        [Cell(1.5, pick(rng, *DATE_LABELS[kind])), Cell(5.5, text=f["registration_date"].original)],
        [Cell(1.5, pick(rng, *CERT_LABELS[kind])), Cell(5.5, text=f["certificate_no"].original)],
    ]
    rng.shuffle(rows)
    rows.append([Cell(1.5, pick(rng, "登记机关", "婚姻登记机关", "登记单位")
                      if kind is not Kind.ADOPTION else "登记机关"),
                 Cell(5.5, text=f["registry_office"].original, seal=True)])
    return rows


def _footer(canvas: Canvas, y: int, kind: Kind, hand: Hand, rng: random.Random) -> None:
    """审查意见 and clerk line: text that is on real forms but is no field."""
    x0, width = canvas.px(110), canvas.width - 2 * canvas.px(110)
    row_h = canvas.px(100)
    y = draw_rows(canvas, [[Cell(1.5, "审查意见"), Cell(5.5, text=OPINIONS[kind])]], x0, y,
                  width, row_h, hand, rng)
    canvas.label((x0, y + canvas.px(20), x0 + canvas.px(600), y + canvas.px(100)),
                 "登记员：", align="left")


def _party_rows(rng: random.Random, party: str, f: dict[str, TruthField],
                prefixed: bool) -> list[list[Cell]]:
    word = "男方" if party == "male" else "女方"
    pre = word if prefixed else ""

    def val(part: str, weight: float) -> Cell:
        field = f.get(f"{party}_{part}")
        return Cell(weight, text=field.original if field else None)

    birth_label = "出生年月" if len(str(f[f"{party}_birth_date"].value)) == 7 else "出生日期"
    rows = [
        [Cell(1.5, word + "姓名"), val("name", 1.5), Cell(1.5, pre + birth_label),
         val("birth_date", 2.5)],
        [Cell(1.5, pre + "民族"), val("ethnicity", 1.5),
         Cell(1.5, pre + pick(rng, "职业", "工作单位")), val("occupation", 2.5)],
    ]
    if f"{party}_id_number" in f:
        rows.append([Cell(1.5, pre + pick(rng, "身份证号", "公民身份号码", "身份证件号")),
                     val("id_number", 5.5)])
    if f"{party}_native_place" in f:
        rows.append([Cell(1.5, pre + "籍贯"), val("native_place", 5.5)])
    rows.append([Cell(1.5, pre + pick(rng, "住址", "常住户口所在地", "户籍所在地")),
                 val("address", 5.5)])
    return rows


def render_form_party(ctx: PageContext) -> CleanPage:
    """结婚/离婚登记审查处理表 with party-named labels."""
    rng, kind = ctx.rng, ctx.couple_kind
    reg = ctx.cursor.next_date(rng)
    style = random_style(rng, reg.year)
    couple = random_couple(rng, reg, ctx.cursor.spec.office, kind)
    parts = ["name", "birth_date", "id_number", "ethnicity", "address", "occupation"]
    if rng.random() < 0.35:
        parts.append("native_place")
    precision = "month" if rng.random() < 0.12 else "day"
    fields = _common_fields(ctx, kind, style, write_date(reg, style))
    for party, person in (("male", couple.male), ("female", couple.female)):
        fields |= party_fields(person, party, parts, style, reg, precision=precision)
    canvas = new_canvas(ctx)
    hand = random_hand(rng, traditional=style.traditional)
    canvas.title(canvas.px(170), style.text(TITLES[kind]) if style.traditional else TITLES[kind])
    prefixed = rng.random() < 0.3
    rows = _party_rows(rng, "male", fields, prefixed) + _party_rows(rng, "female", fields,
                                                                     prefixed)
    rows += _common_rows(rng, kind, fields)
    y = draw_rows(canvas, rows, canvas.px(110), canvas.px(280),
                  canvas.width - 2 * canvas.px(110), canvas.px(rng.randint(92, 104)), hand, rng)
    _footer(canvas, y + canvas.px(30), kind, hand, rng)
    record = TruthRecord(kind, fields, "form_party")
    return CleanPage(canvas.image, (record,), PageType.FORM, ctx.dpi,
                     tuple(canvas.seal_spots), office_name_seal(fields))


def office_name_seal(fields: dict[str, TruthField]) -> str:
    """Text around the seal: the office's name (canonical) or a generic one."""
    office = fields.get("registry_office")
    return str(office.value) if office else "婚姻登记专用章"


COLUMN_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("name", ("姓名",)),
    ("birth_date", ("出生日期", "出生年月日")),
    ("id_number", ("身份证件号", "公民身份号码", "身份证号")),
    ("ethnicity", ("民族",)),
    ("native_place", ("籍贯",)),
    ("address", ("住址", "常住户口所在地")),
    ("occupation", ("职业", "职业或工作单位")),
)


def render_form_columns(ctx: PageContext) -> CleanPage:
    """Row labels with 男方 / 女方 value columns, common fields below."""
    rng, kind = ctx.rng, ctx.couple_kind
    reg = ctx.cursor.next_date(rng)
    style = random_style(rng, reg.year)
    spec = ctx.cursor.spec
    couple = random_couple(rng, reg, spec.office, kind)
    shown = [part for part, _ in COLUMN_ROWS if part == "name" or rng.random() < 0.9]
    fields = _common_fields(ctx, kind, style, write_date(reg, style))
    for party, person in (("male", couple.male), ("female", couple.female)):
        person_short = replace(person, address=shorten_address(person.address,
                                                               spec.office.city))
        fields |= party_fields(person_short, party, shown, style, reg)
    canvas = new_canvas(ctx)
    hand = random_hand(rng, traditional=style.traditional)
    canvas.title(canvas.px(170), TITLES[kind])
    rows: list[list[Cell]] = [[Cell(1.4), Cell(2.3, "男方"), Cell(2.3, "女方")]]
    for part, labels in COLUMN_ROWS:
        m, w = fields.get(f"male_{part}"), fields.get(f"female_{part}")
        if part not in shown or (m is None and w is None):
            continue
        rows.append([Cell(1.4, pick(rng, *labels)), Cell(2.3, text=m.original if m else None),
                     Cell(2.3, text=w.original if w else None)])
    x0, width = canvas.px(110), canvas.width - 2 * canvas.px(110)
    row_h = canvas.px(rng.randint(96, 110))
    y = draw_rows(canvas, rows, x0, canvas.px(280), width, row_h, hand, rng)
    y = draw_rows(canvas, _common_rows(rng, kind, fields), x0, y + canvas.px(50), width,
                  row_h, hand, rng)
    _footer(canvas, y + canvas.px(30), kind, hand, rng)
    record = TruthRecord(kind, fields, "form_columns")
    return CleanPage(canvas.image, (record,), PageType.FORM, ctx.dpi,
                     tuple(canvas.seal_spots), office_name_seal(fields))


def render_adoption(ctx: PageContext) -> CleanPage:
    """收养登记审查处理表 (adopter, spouse, adoptee, relinquisher)."""
    rng = ctx.rng
    reg = ctx.cursor.next_date(rng)
    style = random_style(rng, reg.year, traditional_ok=False)
    spec = ctx.cursor.spec
    a = random_adoption(rng, reg, spec.office)
    fields = _common_fields(ctx, Kind.ADOPTION, style, write_date(reg, style))
    fields["adopter_name"] = write_text(a.adopter.name, style)
    if a.spouse is not None:
        fields["adopter_spouse_name"] = write_text(a.spouse.name, style)
    fields["adopter_address"] = write_text(shorten_address(a.adopter.address, spec.office.city),
                                           style)
    fields["adoptee_name"] = write_text(a.adoptee_name, style)
    fields["adoptee_gender"] = write_gender(a.adoptee_gender, style)
    fields["adoptee_birth_date"] = write_date(a.adoptee_birth, style)
    fields["relinquisher_name"] = write_text(a.relinquisher, style)
    canvas = new_canvas(ctx)
    hand = random_hand(rng)
    canvas.title(canvas.px(170), TITLES[Kind.ADOPTION])
    spouse = fields.get("adopter_spouse_name")
    rows = [
        [Cell(1.8, "收养人姓名"), Cell(1.6, text=fields["adopter_name"].original),
         Cell(2.2, "收养人配偶姓名"), Cell(1.6, text=spouse.original if spouse else None)],
        [Cell(1.8, "收养人住址"), Cell(5.4, text=fields["adopter_address"].original)],
        [Cell(1.8, "被收养人姓名"), Cell(2.0, text=fields["adoptee_name"].original),
         Cell(1.4, pick(rng, "性别", "被收养人性别")),
         Cell(2.0, text=fields["adoptee_gender"].original)],
        [Cell(1.8, pick(rng, "出生日期", "被收养人出生日期")),
         Cell(5.4, text=fields["adoptee_birth_date"].original)],
        [Cell(1.8, pick(rng, "送养人", "送养人姓名")),
         Cell(5.4, text=fields["relinquisher_name"].original)],
    ]
    rows += [[Cell(1.8, r[0].label), Cell(5.4, text=r[1].text, seal=r[1].seal)]
             for r in _common_rows(rng, Kind.ADOPTION, fields)]
    x0, width = canvas.px(110), canvas.width - 2 * canvas.px(110)
    y = draw_rows(canvas, rows, x0, canvas.px(280), width, canvas.px(rng.randint(100, 115)),
                  hand, rng)
    _footer(canvas, y + canvas.px(30), Kind.ADOPTION, hand, rng)
    record = TruthRecord(Kind.ADOPTION, fields, "adoption")
    return CleanPage(canvas.image, (record,), PageType.FORM, ctx.dpi,
                     tuple(canvas.seal_spots), office_name_seal(fields))
