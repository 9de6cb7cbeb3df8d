"""Resident ID numbers (GB 11643): cleaning, 15→18 conversion, embedded birth date and gender.

Pure functions, no I/O. The check digit arithmetic comes from ``stdnum.cn.ric``
(ISO 7064 MOD 11-2) so that there is one well-tested implementation of it.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from stdnum.cn import ric

ID18_RE = re.compile(r"\d{17}[\dX]")
ID15_RE = re.compile(r"\d{15}")
# Separators that OCR or clerks put inside a long number; they carry no meaning.
_SEPARATORS_RE = re.compile(r"[\s\-_.·,，、/]")


def clean_id_number(raw: str) -> str:
    """Return ``raw`` as a bare candidate ID: NFKC, no separators, uppercase ``X``.

    NFKC turns full-width digits (１２３) into ASCII ones; separators are dropped
    because forms print the number in boxes that OCR reads as spaced groups.
    """
    text = unicodedata.normalize("NFKC", raw)
    return _SEPARATORS_RE.sub("", text).upper()


def is_id_shape(number: str) -> bool:
    """True for a cleaned 18-character or 15-digit ID, whatever its check digit."""
    return bool(ID18_RE.fullmatch(number) or ID15_RE.fullmatch(number))


def check_digit(first17: str) -> str:
    """The GB 11643 check digit for the first 17 digits of an 18-character ID."""
    # stdnum's calc_check_digit ignores the last character of what it is given.
    return str(ric.calc_check_digit(first17[:17] + "0"))


def has_valid_check_digit(id18: str) -> bool:
    """True when an 18-character ID's last character matches its check digit."""
    return bool(ID18_RE.fullmatch(id18)) and id18[17] == check_digit(id18)


def id15_to_18(id15: str) -> str:
    """Convert a pre-1999 15-digit ID to the 18-character form.

    The 15-digit form left out the century ("19") and had no check digit; the
    official upgrade inserts "19" after the 6-digit region code and appends one.
    """
    number = clean_id_number(id15)
    if not ID15_RE.fullmatch(number):
        raise ValueError(f"not a 15-digit ID number: {id15!r}")
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_digit(first17)


def _birth_digits(number: str) -> str | None:
    """The YYYYMMDD part of a cleaned ID (15-digit IDs get century 19)."""
    if ID18_RE.fullmatch(number):
        return number[6:14]
    if ID15_RE.fullmatch(number):
        return "19" + number[6:12]
    return None


def id_birth_date(id_number: str) -> str | None:
    """ISO birth date embedded in a 15- or 18-character ID; None if absent or impossible."""
    digits = _birth_digits(clean_id_number(id_number))
    if digits is None:
        return None
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return born.isoformat()


def id_gender(id_number: str) -> str | None:
    """"M"/"F" from the ID's sequence code: its last digit is odd for men, even for women."""
    number = clean_id_number(id_number)
    if ID18_RE.fullmatch(number):
        digit = number[16]
    elif ID15_RE.fullmatch(number):
        digit = number[14]
    else:
        return None
    return "M" if int(digit) % 2 else "F"
