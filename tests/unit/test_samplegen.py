"""Synthetic book generator: truth must be consistent, pages must render, runs repeatable."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path
from typing import Any

import cn2an
import opencc
import pikepdf
import pytest
from PIL import Image
from stdnum.cn import ric

from dangan.samplegen import (
    DEMO_FILE,
    FAMILIES,
    ScanParams,
    UnknownFamilyError,
    generate_demo_book,
    generate_set,
    render_page,
)
from dangan.samplegen.fonts import missing_glyphs
from dangan.samplegen.values import (
    FEMALE_GIVEN,
    MALE_GIVEN,
    NATIVE_PLACES,
    OFFICES,
    STREETS,
    SURNAMES,
    age_on,
    legal_min_age,
    random_couple,
    traditional,
)
from records.model import FIELD_KEYS, Kind, PageType

T2S = opencc.OpenCC("t2s")
EXPECTED_TYPES = {
    "form_party": PageType.FORM, "form_columns": PageType.FORM, "spread": PageType.FORM,
    "adoption": PageType.FORM, "ledger": PageType.LEDGER, "stubs": PageType.STUBS,
    "cert1950s": PageType.CERTIFICATE, "cover": PageType.COVER, "blank": PageType.BLANK,
}


# --- an independent reader of the written dates, to check truth against its original -----

def _num(text: str) -> int:
    text = text.replace("〇", "零")
    if text.isdigit():
        return int(text)
    if all(c in "零一二三四五六七八九" for c in text):  # digit-by-digit year
        return int("".join(str("零一二三四五六七八九".index(c)) for c in text))
    return int(cn2an.cn2an(text, "smart"))


def read_date(original: str) -> str:
    """Parse 1965年3月12日, 一九六五年三月十二日, 65.3.12, 1965.3.12, 民国30年5月6日."""
    text = T2S.convert(original)
    minguo = text.startswith("民国")
    text = text.removeprefix("民国").replace("元年", "1年")
    parts = [p for p in re.split(r"[年月日.]", text) if p]
    nums = [_num(p) for p in parts]
    year = nums[0] + 1911 if minguo else nums[0]
    if year < 100:
        year += 1900
    return "-".join([f"{year:04d}", *(f"{n:02d}" for n in nums[1:])])


def _truth_dates(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(k, f) for k, f in record["fields"].items() if k.endswith("_date")]


def _check_record(rec: dict[str, Any]) -> None:
    """Every invariant a truth record must satisfy, whatever its family."""
    assert rec["kind"] in {k.value for k in Kind}
    assert set(rec["fields"]) <= set(FIELD_KEYS)
    for key, f in _truth_dates(rec):
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", f["value"]), (key, f)
        assert read_date(f["original"]) == f["value"], (key, f)
    for party in ("male", "female"):
        _check_id(rec["fields"], party)
    for key, f in rec["fields"].items():
        if key.endswith("_age"):
            assert isinstance(f["value"], int)
            assert _num(T2S.convert(f["original"]).removesuffix("岁")) == f["value"]
        elif key == "adoptee_gender":
            assert {"男": "M", "女": "F"}[f["original"]] == f["value"]
        elif isinstance(f["value"], str) and not key.endswith(("_date", "_id_number")):
            canonical = T2S.convert(f["original"]).translate(
                str.maketrans("（）０１２３４５６７８９", "()0123456789"))
            assert canonical == f["value"], (key, f)


def _check_id(fields: dict[str, Any], party: str) -> None:
    number = fields.get(f"{party}_id_number", {}).get("value")
    if number is None:
        return
    birth = fields[f"{party}_birth_date"]["value"]
    if len(number) == 18:
        ric.validate(number)
        embedded = ric.get_birth_date(number).isoformat()
        gender_digit = int(number[16])
    else:
        assert len(number) == 15 and number.isdigit()
        embedded = f"19{number[6:8]}-{number[8:10]}-{number[10:12]}"
        gender_digit = int(number[14])
    assert embedded.startswith(birth), (number, birth)
    assert gender_digit % 2 == (1 if party == "male" else 0)


# --- tests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_renders_with_consistent_truth(family: str) -> None:
    image, records, meta = render_page(family, random.Random(f"t-{family}"), dpi=200)
    assert isinstance(image, Image.Image)
    assert min(image.size) >= 1600  # A4 at 200 dpi or larger
    assert meta.family == family and meta.page_type is EXPECTED_TYPES[family]
    assert meta.records == len(records)
    assert (len(records) > 0) == meta.page_type.bears_records
    for rec in records:
        _check_record(rec.to_dict("x.pdf", 1))
    if family == "ledger":
        assert 6 <= len(records) <= 12
        assert [r.row for r in records] == list(range(1, len(records) + 1))
    if family == "stubs":
        assert [r.slot for r in records] == [0, 1]
    if family == "spread":
        assert [r.half for r in records] == ["left", "right"]
    assert all(r.cert1950s == (family == "cert1950s") for r in records)


def test_rotation_turns_the_page_and_is_recorded() -> None:
    upright, _, _ = render_page("form_party", random.Random(7), dpi=200, scan=ScanParams())
    turned, _, meta = render_page("form_party", random.Random(7), dpi=200,
                                  scan=ScanParams(rotation=90))
    assert meta.rotation == 90
    assert turned.size == (upright.height, upright.width)
    # rotating back counter-clockwise restores the clean page exactly
    assert turned.rotate(90, expand=True).tobytes() == upright.tobytes()


def test_render_is_deterministic_per_seed() -> None:
    a = render_page("ledger", random.Random(11))
    b = render_page("ledger", random.Random(11))
    c = render_page("ledger", random.Random(12))
    assert a[0].tobytes() == b[0].tobytes()
    assert [r.to_dict("f", 1) for r in a[1]] == [r.to_dict("f", 1) for r in b[1]]
    assert [r.to_dict("f", 1) for r in a[1]] != [r.to_dict("f", 1) for r in c[1]]


def test_unknown_family_is_refused() -> None:
    with pytest.raises(UnknownFamilyError):
        render_page("passport", random.Random(0))


@pytest.mark.parametrize("year", [1962, 1983, 1990, 1997, 2003])
def test_couples_are_legal_and_ids_match_people(year: int) -> None:
    rng = random.Random(year)
    reg = dt.date(year, 6, 1)
    for _ in range(200):
        c = random_couple(rng, reg, rng.choice(OFFICES), Kind.MARRIAGE)
        for p in (c.male, c.female):
            assert age_on(p.birth, reg) >= legal_min_age(p.gender, year)
            if year < 1985:
                assert p.id_number is None
            else:
                assert p.id_number is not None
                fields = {f"{'male' if p.gender == 'M' else 'female'}_id_number":
                          {"value": p.id_number},
                          f"{'male' if p.gender == 'M' else 'female'}_birth_date":
                          {"value": p.birth.isoformat()}}
                _check_id(fields, "male" if p.gender == "M" else "female")
                if year >= 2000:
                    assert len(p.id_number) == 18


def test_traditional_forms_map_back_to_the_canonical_value() -> None:
    for text in ("单建国", "区秀英", "解放路", "北京市朝阳区人民政府", "王丽华"):
        trad = traditional(text)
        assert T2S.convert(trad) == text
    assert traditional("单建国") != "单建国"


def test_handwriting_fonts_cover_all_value_characters() -> None:
    text = "".join(SURNAMES + MALE_GIVEN + FEMALE_GIVEN + STREETS + NATIVE_PLACES)
    text += "〇零一二三四五六七八九十年月日号字第婚离收（）()0123456789.岁族"
    text += "".join(o.city + o.district + o.city_abbr for o in OFFICES)
    assert missing_glyphs("kai_cn", text) == set()
    assert missing_glyphs("kai_tw", traditional(text)) == set()


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_generate_set_writes_consistent_truth_and_is_repeatable(tmp_path: Path) -> None:
    a = generate_set(tmp_path / "a", pages=12, seed=3, pages_per_file=6)
    b = generate_set(tmp_path / "b", pages=12, seed=3, pages_per_file=6)
    assert a.pages == 12 and len(a.files) == 2
    assert a.truth_path.read_bytes() == b.truth_path.read_bytes()
    assert a.pages_path.read_bytes() == b.pages_path.read_bytes()
    pages = _read_jsonl(a.pages_path)
    truth = _read_jsonl(a.truth_path)
    assert len(truth) == a.records == sum(p["records"] for p in pages)
    assert {p["family"] for p in pages} == set(FAMILIES)  # 12 pages hold every family
    assert any(p["rotation"] in (90, 180, 270) for p in pages)
    for path in a.files:
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) == sum(p["file"] == path.name for p in pages)
    for rec in truth:
        _check_record(rec)
        page = next(p for p in pages if (p["file"], p["page"]) == (rec["source"]["file"],
                                                                   rec["source"]["page"]))
        assert page["family"] == rec["family"]


@pytest.mark.parametrize("fmt", ["tiff", "png"])
def test_other_formats(tmp_path: Path, fmt: str) -> None:
    s = generate_set(tmp_path, pages=3, seed=5, families=["cover", "blank", "stubs"],
                     file_format=fmt)
    pages = _read_jsonl(s.pages_path)
    if fmt == "tiff":
        assert len(s.files) == 1
        with Image.open(s.files[0]) as im:
            assert getattr(im, "n_frames", 1) == 3
    else:
        assert len(s.files) == 3 and all(p["page"] == 1 for p in pages)


def test_demo_book(tmp_path: Path) -> None:
    s = generate_demo_book(tmp_path)
    assert [f.name for f in s.files] == [DEMO_FILE]
    pages = _read_jsonl(s.pages_path)
    truth = _read_jsonl(s.truth_path)
    assert [p["page"] for p in pages] == list(range(1, 21))
    assert pages[0]["page_type"] == "cover"
    assert sum(p["page_type"] == "blank" for p in pages) == 1
    assert sum(p["family"] == "spread" for p in pages) == 1
    assert sum(p["rotation"] != 0 for p in pages) == 1
    assert {p["rotation"] for p in pages} <= {0, 90, 180}
    assert sum(p["page_type"] == "form" for p in pages) == 18
    spread_page = next(p["page"] for p in pages if p["family"] == "spread")
    halves = [r["source"].get("half") for r in truth if r["source"]["page"] == spread_page]
    assert halves == ["left", "right"]
    assert all(r["kind"] == "marriage" for r in truth)
    assert all(r["fields"]["registration_date"]["value"].startswith("1972-") for r in truth)
    for rec in truth:
        _check_record(rec)
    with pikepdf.open(s.files[0]) as pdf:
        assert len(pdf.pages) == 20
        for page in pdf.pages:
            (image,) = page.get_images().values()
            assert image.Filter == pikepdf.Name.DCTDecode  # JPEG, extractable as is
