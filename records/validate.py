"""Cross-field validation of one record's canonical values.

Field-level problems (unreadable date, bad check digit) come from
``records.normalize``; this module checks that the fields agree with each other
and with the book they came from. Pure functions, no I/O. Every finding is a
reason for a reviewer to look, written for that reviewer; none is fatal.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from records.idnum import id_birth_date, id_gender
from records.model import BookContext, Kind, check_field_key

Values = Mapping[str, str | int | None]
Finding = tuple[str, str]  # (field key, reason)

MISSING = "missing"

EXPECTED_FIELDS: Mapping[Kind, tuple[str, ...]] = {
    Kind.MARRIAGE: ("male_name", "female_name", "registration_date"),
    Kind.DIVORCE: ("male_name", "female_name", "registration_date"),
    Kind.ADOPTION: ("adopter_name", "adoptee_name", "registration_date"),
}

PARTIES: tuple[tuple[str, str], ...] = (("male", "M"), ("female", "F"))
_GENDER_WORD = {"M": "male", "F": "female"}


@dataclass(frozen=True, slots=True)
class MarriageLaw:
    """Minimum marriage ages of a marriage law, from the day it took effect."""

    name: str
    effective: datetime.date
    min_age: Mapping[str, int]  # party prefix -> years


# Before 1950 there was no single national rule to check against.
MARRIAGE_LAWS: tuple[MarriageLaw, ...] = (
    MarriageLaw("1950 Marriage Law", datetime.date(1950, 5, 1), {"male": 20, "female": 18}),
    MarriageLaw("1980 Marriage Law", datetime.date(1981, 1, 1), {"male": 22, "female": 20}),
)


# ---------------------------------------------------------------------------
# Partial ISO dates
# ---------------------------------------------------------------------------

_ISO_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True, slots=True)
class DateSpan:
    """A canonical date of YYYY, YYYY-MM or YYYY-MM-DD precision, as its first and last day.

    Working with the span lets partial dates take part in comparisons without
    inventing a month or day: a check only fires when every reading fails it.
    """

    text: str
    earliest: datetime.date
    latest: datetime.date

    @classmethod
    def parse(cls, value: str | int | None) -> DateSpan | None:
        if not isinstance(value, str):
            return None
        m = _ISO_RE.fullmatch(value)
        if m is None:
            return None
        year = int(m.group(1))
        try:
            if m.group(3):
                day = datetime.date(year, int(m.group(2)), int(m.group(3)))
                return cls(value, day, day)
            if m.group(2):
                first = datetime.date(year, int(m.group(2)), 1)
                next_month = (first + datetime.timedelta(days=31)).replace(day=1)
                return cls(value, first, next_month - datetime.timedelta(days=1))
            return cls(value, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        except ValueError:
            return None


def years_between(start: datetime.date, end: datetime.date) -> int:
    """Completed years from ``start`` to ``end`` (age on ``end`` of someone born ``start``)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def age_bounds(birth: DateSpan, on: DateSpan) -> tuple[int, int]:
    """Smallest and largest age at ``on`` that the two (possibly partial) dates allow."""
    return years_between(birth.latest, on.earliest), years_between(birth.earliest, on.latest)


def _show_range(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}–{hi}"


# ---------------------------------------------------------------------------
# Value access
# ---------------------------------------------------------------------------


def _text(values: Values, key: str) -> str | None:
    value = values.get(key)
    return value if isinstance(value, str) and value else None


def _age(values: Values, key: str) -> int | None:
    value = values.get(key)
    if isinstance(value, bool):  # bool is an int; never a real age
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _is_present(value: str | int | None) -> bool:
    return value is not None and value != ""


def _birth_span(values: Values, party: str) -> DateSpan | None:
    """The party's birth date; from the ID number when the field is absent."""
    span = DateSpan.parse(values.get(f"{party}_birth_date"))
    if span is not None:
        return span
    id_number = _text(values, f"{party}_id_number")
    return DateSpan.parse(id_birth_date(id_number)) if id_number else None


# ---------------------------------------------------------------------------
# Rules: each yields (field key, reason)
# ---------------------------------------------------------------------------


def check_missing(kind: Kind, values: Values) -> Iterator[Finding]:
    """Fields every record of ``kind`` should carry."""
    for key in EXPECTED_FIELDS[kind]:
        if not _is_present(values.get(key)):
            yield key, MISSING


def check_id_against_party(values: Values, party: str, gender: str) -> Iterator[Finding]:
    """The ID's embedded birth date and sex must fit the party it is written for."""
    id_key, birth_key = f"{party}_id_number", f"{party}_birth_date"
    id_number = _text(values, id_key)
    if id_number is None:
        return
    id_sex = id_gender(id_number)
    if id_sex is not None and id_sex != gender:
        yield id_key, f"ID number is a {_GENDER_WORD[id_sex]}'s, field is the {party}'s"
    id_birth = id_birth_date(id_number)
    birth = DateSpan.parse(values.get(birth_key))
    if id_birth is None or birth is None:
        return
    born = datetime.date.fromisoformat(id_birth)
    if not birth.earliest <= born <= birth.latest:
        reason = f"ID birth date {id_birth} ≠ birth date {birth.text}"
        yield id_key, reason
        yield birth_key, reason


def check_age(values: Values, party: str, registered: DateSpan | None) -> Iterator[Finding]:
    """Stated age must match birth date and registration date, give or take a year."""
    age = _age(values, f"{party}_age")
    birth = _birth_span(values, party)
    if age is None or birth is None or registered is None:
        return
    lo, hi = age_bounds(birth, registered)
    if not lo - 1 <= age <= hi + 1:
        yield (
            f"{party}_age",
            f"age {age} ≠ {_show_range(lo, hi)} years from birth {birth.text} "
            f"to registration {registered.text}",
        )


def check_birth_before(values: Values, key: str, registered: DateSpan | None) -> Iterator[Finding]:
    """Nobody is registered before being born."""
    birth = DateSpan.parse(values.get(key))
    if birth is None or registered is None:
        return
    if birth.earliest >= registered.latest:
        yield key, f"birth date {birth.text} is not before registration date {registered.text}"


def law_in_force(on: datetime.date) -> MarriageLaw | None:
    """The marriage law in force on a day, or None before 1950-05-01."""
    in_force = [law for law in MARRIAGE_LAWS if law.effective <= on]
    return in_force[-1] if in_force else None


def _age_at(values: Values, party: str, registered: DateSpan) -> tuple[int, str] | None:
    """The party's largest plausible age at registration and the key it came from."""
    age = _age(values, f"{party}_age")
    if age is not None:
        return age, f"{party}_age"
    birth = _birth_span(values, party)
    if birth is None:
        return None
    key = f"{party}_birth_date" if _is_present(values.get(f"{party}_birth_date")) \
        else f"{party}_id_number"
    return age_bounds(birth, registered)[1], key


def check_legal_age(values: Values, party: str, registered: DateSpan | None) -> Iterator[Finding]:
    """Under the legal marriage age of the time: suspicious (often a misread), so review.

    The law of the earliest day the registration date allows is used, since the
    earlier law is the more lenient one; only certain under-age readings fire.
    """
    if registered is None:
        return
    law = law_in_force(registered.earliest)
    found = _age_at(values, party, registered)
    if law is None or found is None:
        return
    age, key = found
    minimum = law.min_age[party]
    if age < minimum:
        yield key, f"under legal marriage age: {age} < {minimum} ({law.name})"


def check_book_years(registered: DateSpan | None, book: BookContext | None) -> Iterator[Finding]:
    """A registration outside the book's years is a misread date or a misfiled page."""
    if registered is None or book is None:
        return
    year_from, year_to = book.year_from, book.year_to
    too_early = year_from is not None and registered.latest.year < year_from
    too_late = year_to is not None and registered.earliest.year > year_to
    if too_early or too_late:
        span = f"{year_from if year_from is not None else '…'}–" \
            f"{year_to if year_to is not None else '…'}"
        yield (
            "registration_date",
            f"registration date {registered.text} outside book years {span}",
        )


def _findings(kind: Kind, values: Values, book: BookContext | None) -> Iterator[Finding]:
    registered = DateSpan.parse(values.get("registration_date"))
    yield from check_missing(kind, values)
    yield from check_book_years(registered, book)
    for party, gender in PARTIES:
        yield from check_id_against_party(values, party, gender)
        yield from check_birth_before(values, f"{party}_birth_date", registered)
        yield from check_age(values, party, registered)
        if kind is Kind.MARRIAGE:
            yield from check_legal_age(values, party, registered)
    yield from check_birth_before(values, "adoptee_birth_date", registered)


def validate_record(
    kind: Kind, values: Values, book: BookContext | None = None
) -> dict[str, tuple[str, ...]]:
    """Field key → reasons for review, for the keys that have any.

    ``values`` holds canonical values (``records.normalize``); unparsable ones
    are skipped here because normalization already flagged them. Unknown keys
    raise ``UnknownFieldError``, as everywhere else.
    """
    for key in values:
        check_field_key(key)
    reasons: dict[str, list[str]] = {}
    for key, reason in _findings(kind, values, book):
        bucket = reasons.setdefault(key, [])
        if reason not in bucket:
            bucket.append(reason)
    return {key: tuple(found) for key, found in reasons.items()}
