"""Cross-field validation of records."""

from __future__ import annotations

import datetime

import pytest

from records.model import BookContext, Kind, UnknownFieldError
from records.validate import DateSpan, age_bounds, law_in_force, validate_record, years_between

MALE_ID = "360426199101010071"  # born 1991-01-01, male, valid check digit
FEMALE_ID = "11010519491231002X"  # born 1949-12-31, female
MALE_ID15 = "360426910101007"  # born 1991-01-01, male

COUPLE = {"male_name": "王建国", "female_name": "李秀英"}
Values = dict[str, str | int | None]


def marriage(**fields: str | int | None) -> Values:
    return {**COUPLE, "registration_date": "2015-06-01", **fields}


def test_clean_marriage_has_no_findings() -> None:
    values = marriage(
        male_id_number=MALE_ID, male_birth_date="1991-01-01", male_age=24,
        female_birth_date="1992-03-04", female_age=23,
    )
    assert validate_record(Kind.MARRIAGE, values) == {}


# --- missing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "values", "missing"),
    [
        (Kind.MARRIAGE, {}, {"male_name", "female_name", "registration_date"}),
        (Kind.DIVORCE, {"male_name": "王建国", "female_name": ""},
         {"female_name", "registration_date"}),
        (Kind.ADOPTION, {"adoptee_name": "张小红", "registration_date": "1990",
                         "adopter_name": None}, {"adopter_name"}),
        (Kind.ADOPTION, {"male_name": "王建国"},
         {"adopter_name", "adoptee_name", "registration_date"}),
    ],
)
def test_missing_expected_fields(kind: Kind, values: Values, missing: set[str]) -> None:
    found = validate_record(kind, values)
    assert found == {key: ("missing",) for key in missing}


# --- ID vs birth date and party ---------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"male_id_number": MALE_ID, "male_birth_date": "1991-01-01"}, {}),
        ({"male_id_number": MALE_ID, "male_birth_date": "1991-01"}, {}),  # partial agrees
        ({"male_id_number": MALE_ID, "male_birth_date": "1991"}, {}),
        ({"male_id_number": MALE_ID15, "male_birth_date": "1991-01-01"}, {}),
        ({"male_id_number": MALE_ID}, {}),  # no birth date: nothing to compare
        (
            {"male_id_number": MALE_ID, "male_birth_date": "1991-01-10"},
            {
                "male_id_number": ("ID birth date 1991-01-01 ≠ birth date 1991-01-10",),
                "male_birth_date": ("ID birth date 1991-01-01 ≠ birth date 1991-01-10",),
            },
        ),
        (
            {"male_id_number": MALE_ID, "male_birth_date": "1990"},
            {
                "male_id_number": ("ID birth date 1991-01-01 ≠ birth date 1990",),
                "male_birth_date": ("ID birth date 1991-01-01 ≠ birth date 1990",),
            },
        ),
        (
            {"female_id_number": MALE_ID, "female_birth_date": "1991-01-01"},
            {"female_id_number": ("ID number is a male's, field is the female's",)},
        ),
        (
            {"male_id_number": FEMALE_ID},
            {"male_id_number": ("ID number is a female's, field is the male's",)},
        ),
    ],
)
def test_id_against_party(fields: Values, expected: dict[str, tuple[str, ...]]) -> None:
    values = {**COUPLE, "registration_date": "2015-06-01", **fields}
    assert validate_record(Kind.DIVORCE, values) == expected


def test_unparsable_id_is_left_to_normalize() -> None:
    values = marriage(male_id_number="garbage", male_birth_date="1991-01-01")
    assert validate_record(Kind.DIVORCE, values) == {}


# --- age --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "registered", "age", "ok"),
    [
        ("1965-03-12", "1990-03-12", 25, True),
        ("1965-03-12", "1990-03-11", 24, True),
        ("1965-03-12", "1990-03-11", 25, True),  # ±1 (nominal ages, off-by-one clerks)
        ("1965-03-12", "1990-03-11", 26, False),
        ("1965-03-12", "1990-03-11", 22, False),
        ("1965", "1990", 26, True),  # partial dates: 24 or 25, ±1
        ("1965", "1990", 27, False),
        ("1965-03", "1990-05-01", 25, True),
    ],
)
def test_age_vs_dates(birth: str, registered: str, age: int, ok: bool) -> None:
    values: Values = {**COUPLE, "registration_date": registered, "male_birth_date": birth,
                      "male_age": age}
    found = validate_record(Kind.DIVORCE, values)
    assert ("male_age" not in found) is ok


def test_age_reason_text() -> None:
    values: Values = {**COUPLE, "registration_date": "1990-03-11",
                      "female_birth_date": "1965-03-12", "female_age": 30}
    assert validate_record(Kind.DIVORCE, values) == {
        "female_age": ("age 30 ≠ 24 years from birth 1965-03-12 to registration 1990-03-11",)
    }


def test_age_checked_against_id_birth_date_when_no_birth_field() -> None:
    values = marriage(male_id_number=MALE_ID, male_age=30)  # 24 at 2015-06-01
    assert "male_age" in validate_record(Kind.MARRIAGE, values)


def test_age_without_birth_date_is_fine() -> None:
    assert validate_record(Kind.MARRIAGE, marriage(male_age=30, female_age=25)) == {}


# --- birth before registration ----------------------------------------------


@pytest.mark.parametrize(
    ("key", "birth", "flagged"),
    [
        ("male_birth_date", "2016-01-01", True),
        ("female_birth_date", "2015-06-01", True),  # same day
        ("adoptee_birth_date", "2015-07-01", True),
        ("adoptee_birth_date", "2015-05-01", False),
        ("adoptee_birth_date", "2015", False),  # could be before
        ("adoptee_birth_date", "2015-06", True),  # June 1 at the earliest: not before
        ("adoptee_birth_date", "2015-05", False),
    ],
)
def test_birth_before_registration(key: str, birth: str, flagged: bool) -> None:
    values: Values = {"adopter_name": "张三", "adoptee_name": "张小红",
                      "registration_date": "2015-06-01", key: birth}
    found = validate_record(Kind.ADOPTION, values)
    assert (key in found) is flagged
    if flagged:
        assert found[key][0].startswith(f"birth date {birth} is not before registration date")


# --- legal marriage age -----------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "fields", "flagged_key", "reason"),
    [
        ("1955-01-01", {"male_age": 19}, "male_age",
         "under legal marriage age: 19 < 20 (1950 Marriage Law)"),
        ("1955-01-01", {"male_age": 20, "female_age": 18}, None, None),
        ("1955-01-01", {"female_age": 17}, "female_age",
         "under legal marriage age: 17 < 18 (1950 Marriage Law)"),
        ("1985-01-01", {"male_age": 21}, "male_age",
         "under legal marriage age: 21 < 22 (1980 Marriage Law)"),
        ("1985-01-01", {"female_age": 19}, "female_age",
         "under legal marriage age: 19 < 20 (1980 Marriage Law)"),
        ("1980-12-31", {"male_age": 21, "female_age": 19}, None, None),  # old law still
        ("1949-06-01", {"male_age": 16, "female_age": 15}, None, None),  # before 1950 law
        ("1985-06-01", {"female_birth_date": "1966-01-01"}, "female_birth_date",
         "under legal marriage age: 19 < 20 (1980 Marriage Law)"),
        ("1985", {"female_birth_date": "1965"}, None, None),  # could be 20
    ],
)
def test_legal_age(
    registered: str, fields: Values, flagged_key: str | None, reason: str | None
) -> None:
    values = {**COUPLE, "registration_date": registered, **fields}
    found = validate_record(Kind.MARRIAGE, values)
    if flagged_key is None:
        assert found == {}
    else:
        assert found == {flagged_key: (reason,)}


def test_legal_age_only_for_marriage() -> None:
    values: Values = {**COUPLE, "registration_date": "1985-01-01", "male_age": 19}
    assert validate_record(Kind.DIVORCE, values) == {}


# --- book years -------------------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "book", "flagged"),
    [
        ("1972-05-04", BookContext(year_from=1965, year_to=1970), True),
        ("1964-12-31", BookContext(year_from=1965, year_to=1970), True),
        ("1965-01-01", BookContext(year_from=1965, year_to=1970), False),
        ("1970", BookContext(year_from=1965, year_to=1970), False),
        ("1972", BookContext(year_from=1965), False),
        ("1960-01", BookContext(year_from=1965), True),
        ("1972-05-04", BookContext(), False),
        ("1972-05-04", None, False),
    ],
)
def test_book_years(registered: str, book: BookContext | None, flagged: bool) -> None:
    values = {**COUPLE, "registration_date": registered}
    found = validate_record(Kind.DIVORCE, values, book)
    assert ("registration_date" in found) is flagged


def test_book_years_reason_text() -> None:
    values = {**COUPLE, "registration_date": "1972-05-04"}
    found = validate_record(Kind.DIVORCE, values, BookContext(year_from=1965, year_to=1970))
    assert found == {
        "registration_date": ("registration date 1972-05-04 outside book years 1965–1970",)
    }


# --- misc -------------------------------------------------------------------


def test_unknown_key_raises() -> None:
    with pytest.raises(UnknownFieldError):
        validate_record(Kind.MARRIAGE, {"husband_name": "王建国"})


def test_unparsable_registration_date_skips_date_rules() -> None:
    values: Values = {**COUPLE, "registration_date": "not a date", "male_age": 5,
                      "male_birth_date": "2020-01-01"}
    assert validate_record(Kind.MARRIAGE, values, BookContext(year_from=1965)) == {}


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("1965-03-12", datetime.date(1965, 3, 12), datetime.date(1965, 3, 12)),
        ("1964-02", datetime.date(1964, 2, 1), datetime.date(1964, 2, 29)),
        ("1965-12", datetime.date(1965, 12, 1), datetime.date(1965, 12, 31)),
        ("1965", datetime.date(1965, 1, 1), datetime.date(1965, 12, 31)),
    ],
)
def test_date_span(text: str, earliest: datetime.date, latest: datetime.date) -> None:
    assert DateSpan.parse(text) == DateSpan(text, earliest, latest)


@pytest.mark.parametrize("value", ["1965-02-30", "65-3-12", "", None, 1965])
def test_date_span_rejects(value: str | int | None) -> None:
    assert DateSpan.parse(value) is None


def test_years_between_and_bounds() -> None:
    assert years_between(datetime.date(1964, 2, 29), datetime.date(1990, 2, 28)) == 25
    assert years_between(datetime.date(1964, 2, 29), datetime.date(1990, 3, 1)) == 26
    birth, on = DateSpan.parse("1965"), DateSpan.parse("1990-06-01")
    assert birth is not None and on is not None
    assert age_bounds(birth, on) == (24, 25)


def test_law_in_force() -> None:
    assert law_in_force(datetime.date(1950, 4, 30)) is None
    law = law_in_force(datetime.date(1950, 5, 1))
    assert law is not None and law.min_age == {"male": 20, "female": 18}
    law = law_in_force(datetime.date(2000, 1, 1))
    assert law is not None and law.min_age == {"male": 22, "female": 20}
