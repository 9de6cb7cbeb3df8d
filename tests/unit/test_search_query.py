"""Query parsing: what a registrar types → the one query model both backends run."""

from __future__ import annotations

from typing import Any

import pytest

from indexing._text import cert_keys, id_forms, mask_keys, pinyin_keys
from indexing.access import Viewer, mask_id, present_record
from indexing.query import DateRange, parse_query
from indexing.schema import build_doc


def test_couple_names() -> None:
    q = parse_query("王建国 李秀英")
    assert [n.text for n in q.names] == ["王建国", "李秀英"]
    assert q.names[0].exact == ("王建国",)
    assert "王建國" in q.names[0].variants
    assert "wangjianguo" in q.names[0].pinyin
    assert q.names[0].masks == ("x建国", "王x国", "王建x")


def test_traditional_query_keeps_written_form_and_simplifies() -> None:
    name = parse_query("王建國").names[0]
    assert name.exact == ("王建國",)
    assert name.variants[0] == "王建国"


@pytest.mark.parametrize(("surname", "reading"), [("单", "shan"), ("曾", "zeng"), ("仇", "qiu")])
def test_surname_readings(surname: str, reading: str) -> None:
    assert pinyin_keys(surname + "明") == (reading + "ming",)


def test_latin_pinyin_query() -> None:
    q = parse_query("Wang Jianguo")
    assert len(q.names) == 1 and q.names[0].pinyin == ("wangjianguo",)


@pytest.mark.parametrize(("text", "lo", "hi"), [
    ("1965", 19650101, 19651231),
    ("1965-03", 19650301, 19650331),
    ("1965年3月", 19650301, 19650331),
    ("1965年3月12日", 19650312, 19650312),
    ("1965.3.12", 19650312, 19650312),
    ("1965年至1967年", 19650101, 19671231),
    ("1965-1967", 19650101, 19671231),
    ("1965-03至1966-02", 19650301, 19660231),
    ("一九六五年", 19650101, 19651231),
])
def test_dates(text: str, lo: int, hi: int) -> None:
    assert parse_query(text).date == DateRange(lo, hi)
    assert parse_query(text).names == ()


def test_birth_year_and_age() -> None:
    q = parse_query("1947年生 25岁")
    assert q.birth_years == (1947, 1947) and q.ages == (25, 25) and q.date is None
    assert parse_query("出生1946").birth_years == (1946, 1946)


def test_ledger_age_gives_birth_years() -> None:
    doc = build_doc({"id": "x", "kind": "marriage", "status": "auto_accepted", "fields": {
        "registration_date": {"value": "1972-05-04"}, "male_age": {"value": 25}}})
    assert doc.birth_years == (1946, 1947) and doc.ages == (25,)


def test_id_numbers_both_forms() -> None:
    q = parse_query("110101400312123")
    assert q.ids == (("110101194003121234", "110101400312123"),)
    assert id_forms("11010119400312123x") == ("11010119400312123X", "110101400312123")
    assert parse_query("1101014003121").ids == ()


def test_certificate_numbers() -> None:
    assert parse_query("(72)京婚字第0123号").certs == (("72京婚字123",),)
    assert parse_query("京婚字第123号").certs == (("京婚字123",),)
    assert cert_keys("〔72〕京婚字第123號") == ("72京婚字123", "京婚字123")
    assert parse_query("(1972)京婚字第5号").date is None  # the year inside is not a date


def test_filters() -> None:
    q = parse_query("东城区 离婚 status:needs_review book:B1 待审核")
    assert q.kinds == ("divorce",) and q.statuses == ("needs_review",) and q.books == ("B1",)
    assert q.offices == (("东", "城", "区", "东城", "城区"),)
    q = parse_query("x", kind="adoption", office="西城区", date_from="1965", date_to="1966")
    assert q.kinds == ("adoption",) and q.date == DateRange(19650101, 19661231)


def test_limits() -> None:
    q = parse_query("王建国", limit=10_000, offset=-3)
    assert q.limit == 200 and q.offset == 0


def test_mask_keys() -> None:
    assert mask_keys("王芳") == ("x芳", "王x")
    assert mask_keys("王") == ()


def test_masking() -> None:
    assert mask_id("11010119400312123X") == "110101********123X"
    record: dict[str, Any] = {"id": "1", "fields": {"male_id_number": {"value": "110101400312123",
                                                       "original": "110101400312123"}}}
    shown = present_record(record, Viewer())
    assert shown["fields"]["male_id_number"]["value"] == "110101*****2123"
    assert record["fields"]["male_id_number"]["value"] == "110101400312123"  # not mutated
    assert present_record(record, Viewer.everything()) == record
    assert Viewer().hidden_kinds == ("adoption",)


def test_pinyin_u_umlaut_typed_as_u_or_v() -> None:
    from indexing._text import pinyin_from_latin, pinyin_keys

    [key] = pinyin_keys("吕兴旺")
    assert pinyin_from_latin("Lu Xingwang") == key
    assert pinyin_from_latin("lv xing wang") == key
    assert pinyin_from_latin("Lü Xingwang") == key
