"""Normalization of raw field text to RECORDS.md canonical values."""

from __future__ import annotations

import pytest
from stdnum.cn import ric

from records.model import FIELD_KEYS, UnknownFieldError
from records.normalize import (
    Normalized,
    id15_to_18,
    id_birth_date,
    id_gender,
    normalize_age,
    normalize_date,
    normalize_field,
    normalize_gender,
    normalize_id_number,
    normalize_name,
    normalize_text,
    to_simplified,
)

VALID_ID = "360426199101010071"  # stdnum's own example: born 1991-01-01, male
VALID_ID_X = "11010519491231002X"  # check digit X, born 1949-12-31, female


# --- text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("王建國", "王建国"),
        ("劉", "刘"),
        ("北京市 東城區", "北京市东城区"),
        ("  職業：工人 ", "职业:工人"),
        ("峯", "峰"),  # variant
        ("衞生局", "卫生局"),  # variant t2s leaves alone
        ("囯营", "国营"),
        ("ＡＢＣ１２３", "ABC123"),  # full width → half width
        ("汉族", "汉族"),  # already simplified: unchanged
        ("著作", "著作"),  # 著 is standard, must not become 着
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_to_simplified_keeps_simplified() -> None:
    assert to_simplified("么后里") == "么后里"


# --- names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("王建國", "王建国"),
        ("劉德華", "刘德华"),
        (" 張 秀 英 ", "张秀英"),
        ("：王建国", "王建国"),
        (":李红", "李红"),
        ("姓名：陈小平", "陈小平"),
        ("李乾", "李乾"),  # 乾 in a name is qián, not 干
        ("於明", "於明"),  # 於 as a surname is standard
        ("买买提·艾力", "买买提·艾力"),
        ("北京市儿童福利院", "北京市儿童福利院"),  # relinquisher institution
    ],
)
def test_name_clean(raw: str, value: str) -> None:
    assert normalize_name(raw) == Normalized(value, raw.strip(), ())


@pytest.mark.parametrize(
    "raw", ["王〇国", "王○国", "王×", "王X华", "□建国", "王■", "王?", "王？国", "王*"]
)
def test_name_placeholder_is_never_a_value(raw: str) -> None:
    result = normalize_name(raw)
    assert result.value is None
    assert result.problems == ("illegible character in name",)
    assert result.original == raw


@pytest.mark.parametrize(
    ("raw", "value"),
    [("王建国1", "王建国1"), ("Wang建国", "Wang建国"), ("王(建)国", "王(建)国")],
)
def test_name_impossible_characters_flagged(raw: str, value: str) -> None:
    result = normalize_name(raw)
    assert result.value == value
    assert len(result.problems) == 1
    assert result.problems[0].startswith("unexpected character in name")


@pytest.mark.parametrize("raw", ["", "  ", "："])
def test_name_empty(raw: str) -> None:
    assert normalize_name(raw).value is None
    assert normalize_name(raw).problems


def test_name_single_character_flagged() -> None:
    assert normalize_name("王").problems == ("name has only one character",)


# --- dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1965年3月12日", "1965-03-12"),
        ("一九六五年三月十二日", "1965-03-12"),
        ("一九六〇年十月一日", "1960-10-01"),
        ("一九六零年十月一日", "1960-10-01"),
        ("一九六O年十月一日", "1960-10-01"),  # OCR reads 〇 as the letter O
        ("一九六o年十月一日", "1960-10-01"),
        ("一九七二年五月四日", "1972-05-04"),
        ("一九六五年十二月卅一日", "1965-12-31"),
        ("一九六五年二月廿八日", "1965-02-28"),
        ("一九六五年二月二十日", "1965-02-20"),
        ("65.3.12", "1965-03-12"),
        ("1965.3.12", "1965-03-12"),
        ("1965-3-12", "1965-03-12"),
        ("1965/03/12", "1965-03-12"),
        ("１９６５年３月１２日", "1965-03-12"),
        ("１９６５．３．１２", "1965-03-12"),
        ("1965 年 3 月 12 日", "1965-03-12"),
        ("1965年3月12号", "1965-03-12"),
        ("19650312", "1965-03-12"),
        ("1965年3月", "1965-03"),
        ("1965.3", "1965-03"),
        ("一九六五年三月", "1965-03"),
        ("1965年", "1965"),
        ("1965", "1965"),
        ("65年", "1965"),
        ("公元1965年3月12日", "1965-03-12"),
        ("民国三十年五月", "1941-05"),
        ("民國三十年五月十日", "1941-05-10"),
        ("中华民国二十六年七月七日", "1937-07-07"),
        ("民国30年", "1941"),
        ("民国元年元月", "1912-01"),
        ("出生日期：1965年3月12日", "1965-03-12"),
        ("1964年2月29日", "1964-02-29"),  # leap year
    ],
)
def test_date_forms(raw: str, value: str) -> None:
    assert normalize_date(raw) == Normalized(value, raw.strip(), ())


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("1965-02-30", "impossible date 1965-02-30"),
        ("1965年13月1日", "impossible date 1965-13-01"),
        ("1965年2月29日", "impossible date 1965-02-29"),  # not a leap year
        ("一九六五年二月卅日", "impossible date 1965-02-30"),
        ("三月十二日", "unparsable date"),
        ("不详", "unparsable date"),
        ("19×5年3月", "illegible character in date"),
        ("1965年?月", "illegible character in date"),
        ("196年3月", "implausible year 196"),
        ("", "empty"),
    ],
)
def test_date_bad(raw: str, problem: str) -> None:
    result = normalize_date(raw)
    assert result.value is None
    assert result.problems == (problem,)


def test_date_minguo_after_1949_flagged_but_kept() -> None:
    result = normalize_date("民国五十年")
    assert result.value == "1961"
    assert result.problems == ("民国 year 50 is after 1949",)


# --- ID numbers -------------------------------------------------------------


def test_id15_to_18_matches_stdnum() -> None:
    id18 = id15_to_18("360426910101007")
    assert id18 == VALID_ID
    assert ric.is_valid(id18)


@pytest.mark.parametrize(
    "id15", ["110105491231002", "440304850615231", "320102700101001"]
)
def test_id15_to_18_check_digit_agrees_with_stdnum(id15: str) -> None:
    id18 = id15_to_18(id15)
    assert id18[:6] + id18[8:17] == id15
    assert id18[6:8] == "19"
    assert id18[17] == ric.calc_check_digit(id18)


def test_id15_to_18_rejects_other_lengths() -> None:
    with pytest.raises(ValueError):
        id15_to_18(VALID_ID)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (VALID_ID, VALID_ID),
        (VALID_ID_X, VALID_ID_X),
        (VALID_ID_X.lower(), VALID_ID_X),  # lowercase x → X
        ("３６０４２６１９９１０１０１００７１", VALID_ID),  # full width
        ("360426 19910101 0071", VALID_ID),  # spaced boxes
        ("身份证号：360426199101010071", VALID_ID),
        ("360426910101007", "360426910101007"),  # 15-digit form is canonical too
    ],
)
def test_id_clean(raw: str, value: str) -> None:
    assert normalize_id_number(raw) == Normalized(value, raw.strip(), ())


def test_id_bad_check_digit_keeps_value() -> None:
    wrong = VALID_ID[:-1] + "2"
    result = normalize_id_number(wrong)
    assert result.value == wrong
    assert result.problems == ("ID check digit wrong",)


def test_id_impossible_birth_date() -> None:
    first17 = "36042619910231007"  # 31 February
    number = first17 + ric.calc_check_digit(first17 + "0")
    result = normalize_id_number(number)
    assert result.value == number
    assert result.problems == ("ID number has an impossible birth date",)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("36042619910101007", "ID number has 17 characters, not 18"),
        ("3604261991010100711", "ID number has 19 characters, not 18"),
        ("36042619910101A071", "ID number has characters other than digits"),
        ("X60426199101010071", "ID number has characters other than digits"),
        ("360426199101〇10071", "illegible character in ID number"),
        ("", "empty"),
    ],
)
def test_id_garbage(raw: str, problem: str) -> None:
    result = normalize_id_number(raw)
    assert result.value is None
    assert result.problems == (problem,)


@pytest.mark.parametrize(
    ("number", "birth", "gender"),
    [
        (VALID_ID, "1991-01-01", "M"),
        (VALID_ID_X, "1949-12-31", "F"),
        ("360426910101007", "1991-01-01", "M"),
        ("110105491231002", "1949-12-31", "F"),
        ("abc", None, None),
    ],
)
def test_id_embedded_birth_and_gender(number: str, birth: str | None, gender: str | None) -> None:
    assert id_birth_date(number) == birth
    assert id_gender(number) == gender


# --- gender, age ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [("男", "M"), ("女", "F"), (" 男性 ", "M"), ("女婴", "F"), ("性别：女", "F"), ("M", "M"),
     ("f", "F")],
)
def test_gender(raw: str, value: str) -> None:
    assert normalize_gender(raw) == Normalized(value, raw.strip(), ())


@pytest.mark.parametrize("raw", ["", "男女", "不详", "?"])
def test_gender_unreadable(raw: str) -> None:
    result = normalize_gender(raw)
    assert result.value is None
    assert result.problems


@pytest.mark.parametrize(
    ("raw", "value"),
    [("25", 25), ("二十五", 25), ("25岁", 25), ("廿五", 25), ("二十五岁", 25), ("二五", 25),
     ("１８", 18), ("十八", 18), ("卅", 30), ("年龄：22周岁", 22), ("110", 110), ("14", 14)],
)
def test_age(raw: str, value: int) -> None:
    assert normalize_age(raw) == Normalized(value, raw.strip(), ())


@pytest.mark.parametrize(("raw", "value"), [("10", 10), ("十三岁", 13), ("120", 120)])
def test_age_out_of_range_kept_and_flagged(raw: str, value: int) -> None:
    result = normalize_age(raw)
    assert result.value == value
    assert result.problems == (f"age {value} outside 14–110",)


def test_age_nominal_flagged() -> None:
    assert normalize_age("虚岁25").problems == ("nominal age (虚岁)",)


@pytest.mark.parametrize("raw", ["", "abc", "二十?", "25.5"])
def test_age_unparsable(raw: str) -> None:
    assert normalize_age(raw).value is None
    assert normalize_age(raw).problems


# --- dispatch ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("male_name", "王建國", "王建国"),
        ("relinquisher_name", "劉德華", "刘德华"),
        ("registration_date", "一九七二年五月四日", "1972-05-04"),
        ("adoptee_birth_date", "民国三十年五月", "1941-05"),
        ("female_age", "二十", 20),
        ("male_id_number", "３６０４２６９１０１０１００７", "360426910101007"),
        ("adoptee_gender", "女", "F"),
        ("male_ethnicity", "漢族", "汉族"),
        ("female_address", "：北京市 東城區", "北京市东城区"),
        ("certificate_no", "（65）字第 123 號", "(65)字第123号"),
    ],
)
def test_normalize_field_dispatch(key: str, raw: str, value: str | int) -> None:
    assert normalize_field(key, raw).value == value


def test_normalize_field_text_empty() -> None:
    assert normalize_field("male_occupation", "  ") == Normalized(None, "", ("empty",))


def test_normalize_field_unknown_key() -> None:
    with pytest.raises(UnknownFieldError):
        normalize_field("husband_name", "王建国")


@pytest.mark.parametrize("key", FIELD_KEYS)
def test_every_field_key_is_handled(key: str) -> None:
    assert isinstance(normalize_field(key, "x"), Normalized)
