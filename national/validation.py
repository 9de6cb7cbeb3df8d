"""Checks a record must pass before it may leave for the national system.

On top of the review-time checks (``records.validate``), export is strict: the
contract must hold, the mandatory fields of the kind must be read, ID numbers
must have a valid check digit and agree with birth date and sex, dates must be
plausible, and no value may be a placeholder (zeros, 〇, ×, □). A record that
fails is not exported; it goes back to review with these reasons.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from records.contract import contract_errors
from records.idnum import ID18_RE, clean_id_number, has_valid_check_digit, id_birth_date
from records.model import DATE_FIELDS, ID_FIELDS, NAME_FIELDS, BookContext, Kind
from records.validate import EXPECTED_FIELDS, validate_record

EXPORTABLE = ("approved", "auto_accepted")
_PLACEHOLDER_RE = re.compile(r"^[0０〇零\-./\s]*$")
_PLACEHOLDER_MARKS = ("〇", "×", "□", "?", "？", "*")
EARLIEST_YEAR = 1900


@dataclass(frozen=True, slots=True)
class Problem:
    key: str  # field key, or "record"
    reason: str


def export_problems(rec: Mapping[str, Any], book: BookContext | None = None,
                    today: datetime.date | None = None) -> tuple[Problem, ...]:
    """Every reason ``rec`` (a contract record) may not be exported; empty when it may."""
    today = today or datetime.date.today()
    problems = [Problem("record", e) for e in contract_errors(dict(rec))]
    if problems:
        return tuple(problems)
    if rec["status"] not in EXPORTABLE:
        problems.append(Problem("record", f"status {rec['status']} is not approved or "
                                          "auto_accepted"))
    kind = Kind(rec["kind"])
    fields: Mapping[str, Mapping[str, Any]] = rec["fields"]
    for key in EXPECTED_FIELDS[kind]:
        f = fields.get(key)
        if f is None:
            problems.append(Problem(key, "mandatory field not recorded"))
        elif f["value"] is None:
            problems.append(Problem(key, "mandatory field illegible: a reviewer must read it"))
    values = {k: f["value"] for k, f in fields.items() if f["value"] is not None}
    for key, value in values.items():
        problems += _value_problems(key, value, today)
    for key, reasons in validate_record(kind, values, book).items():
        problems += [Problem(key, r) for r in reasons]
    return tuple(dict.fromkeys(problems))


def _value_problems(key: str, value: Any, today: datetime.date) -> list[Problem]:
    out: list[Problem] = []
    if isinstance(value, str) and (_PLACEHOLDER_RE.fullmatch(value) or (
            key in NAME_FIELDS and any(m in value for m in _PLACEHOLDER_MARKS))):
        return [Problem(key, f"placeholder value {value!r}: record it as illegible instead")]
    if key in ID_FIELDS and isinstance(value, str):
        number = clean_id_number(value)
        if ID18_RE.fullmatch(number) and not has_valid_check_digit(number):
            out.append(Problem(key, "ID check digit is wrong (GB 11643)"))
        if id_birth_date(number) is None:
            out.append(Problem(key, "ID holds no valid birth date"))
    if key in DATE_FIELDS and isinstance(value, str):
        year = int(value[:4])
        if not EARLIEST_YEAR <= year <= today.year or value[:10] > today.isoformat():
            out.append(Problem(key, f"date {value} is not plausible"))
    return out
