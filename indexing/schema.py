"""The indexed document: what a search engine stores for one record.

A record (RECORDS.md export shape) is flattened into match keys (see
``indexing._text``) plus filter/facet values, and carries the record itself so an
index can be rebuilt from an index. ``SCHEMA_VERSION`` names the shape of these
keys: bump it whenever ``build_doc`` or a backend mapping changes, and each
backend rebuilds its index from the stored records (Elasticsearch behind an
alias, without downtime).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from indexing._text import (
    cert_keys,
    date_bounds,
    grams,
    id_forms,
    mask_keys,
    normalize_text,
    pinyin_keys,
    unique,
)

SCHEMA_VERSION = 2  # 2: ü folded to u in pinyin keys

# Fields that hold a person's name (relinquisher may be an institution; still searched).
PERSON_NAME_FIELDS: tuple[str, ...] = (
    "male_name", "female_name", "adopter_name", "adopter_spouse_name", "adoptee_name",
    "relinquisher_name",
)
ID_NUMBER_FIELDS: tuple[str, ...] = ("male_id_number", "female_id_number")
# Fields whose words a free-text query may hit (IDs deliberately excluded: masked data
# must not be findable by someone who may not see it).
FREE_TEXT_FIELDS: tuple[str, ...] = (
    *PERSON_NAME_FIELDS, "registry_office", "male_native_place", "female_native_place",
    "male_address", "female_address", "male_occupation", "female_occupation",
    "adopter_address", "male_ethnicity", "female_ethnicity",
)
# (birth date field, age field) per party; adoptees have only a birth date.
_BIRTH_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("male_birth_date", "male_age"), ("female_birth_date", "female_age"),
    ("adoptee_birth_date", None),
)


def field_value(record: Mapping[str, Any], key: str) -> Any:
    entry = (record.get("fields") or {}).get(key)
    return entry.get("value") if isinstance(entry, Mapping) else None


def field_original(record: Mapping[str, Any], key: str) -> Any:
    entry = (record.get("fields") or {}).get(key)
    return entry.get("original") if isinstance(entry, Mapping) else None


@dataclass(frozen=True, slots=True)
class IndexedDoc:
    """One record as both backends index it. Lists are multi-valued exact-match keys."""

    id: str
    kind: str
    status: str
    book_id: str | None
    office: str | None
    office_grams: tuple[str, ...]
    year: int | None
    date_lo: int | None
    date_hi: int | None
    names_exact: tuple[str, ...]
    names: tuple[str, ...]
    names_py: tuple[str, ...]
    names_mask: tuple[str, ...]
    ids: tuple[str, ...]
    certs: tuple[str, ...]
    birth_years: tuple[int, ...]
    ages: tuple[int, ...]
    grams: tuple[str, ...]
    record: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able mapping (Elasticsearch ``_source``)."""
        return {name: getattr(self, name) for name in self.__slots__}


def build_doc(record: Mapping[str, Any]) -> IndexedDoc:
    """Flatten a record (plus its optional ``book``) into an :class:`IndexedDoc`."""
    book = record.get("book") or {}
    names_exact: list[str] = []
    names: list[str] = []
    for key in PERSON_NAME_FIELDS:
        value = field_value(record, key)
        if not value:
            continue
        canonical = normalize_text(str(value))
        original = field_original(record, key)
        names.append(canonical)
        names_exact.append(normalize_text_keep_script(str(original or value)))
    names_py = [k for n in names for k in pinyin_keys(n)]
    names_mask = [k for n in unique(names + names_exact) for k in mask_keys(n)]

    office_raw = field_value(record, "registry_office") or book.get("registry_office")
    office = normalize_text(str(office_raw)) if office_raw else None

    date_lo, date_hi = _registration_bounds(record, book)
    year = None
    if date_lo is not None and date_hi is not None and date_lo // 10000 == date_hi // 10000:
        year = date_lo // 10000
    birth_years, ages = _birth_years_and_ages(record, year)

    ids = [f for key in ID_NUMBER_FIELDS for f in id_forms(str(field_value(record, key) or ""))]
    cert = field_value(record, "certificate_no")
    text_grams = [g for key in FREE_TEXT_FIELDS for g in grams(str(field_value(record, key) or ""))]
    return IndexedDoc(
        id=str(record["id"]),
        kind=str(record.get("kind") or ""),
        status=str(record.get("status") or ""),
        book_id=str(book["id"]) if book.get("id") is not None else None,
        office=office,
        office_grams=tuple(unique(grams(office or ""))),
        year=year,
        date_lo=date_lo,
        date_hi=date_hi,
        names_exact=tuple(unique(names_exact)),
        names=tuple(unique(names)),
        names_py=tuple(unique(names_py)),
        names_mask=tuple(unique(names_mask)),
        ids=tuple(unique(ids)),
        certs=cert_keys(str(cert)) if cert else (),
        birth_years=tuple(sorted(set(birth_years))),
        ages=tuple(sorted(set(ages))),
        grams=tuple(unique(text_grams)),
        record=dict(record),
    )


def normalize_text_keep_script(text: str) -> str:
    """NFKC and no whitespace, but the characters as written (traditional stays traditional)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _registration_bounds(
    record: Mapping[str, Any], book: Mapping[str, Any]
) -> tuple[int | None, int | None]:
    """The registration date as a yyyymmdd range; the book's years when the record has none."""
    value = field_value(record, "registration_date")
    bounds = date_bounds(str(value)) if value else None
    if bounds:
        return bounds
    lo, hi = book.get("year_from"), book.get("year_to")
    if isinstance(lo, int) and isinstance(hi, int):
        return lo * 10000 + 101, hi * 10000 + 1231
    return None, None


def _birth_years_and_ages(
    record: Mapping[str, Any], reg_year: int | None
) -> tuple[list[int], list[int]]:
    """Possible birth years and ages of every party.

    Ledgers give an age, not a birth date: age 25 at a 1972 registration means born
    1946 or 1947 (before or after the birthday). A birth date gives the ages back.
    """
    years: list[int] = []
    ages: list[int] = []
    for birth_key, age_key in _BIRTH_FIELDS:
        birth = field_value(record, birth_key)
        bounds = date_bounds(str(birth)) if birth else None
        if bounds:
            by = bounds[0] // 10000
            years.append(by)
            if reg_year:
                ages.extend(a for a in (reg_year - by - 1, reg_year - by) if a >= 0)
        age = field_value(record, age_key) if age_key else None
        if isinstance(age, int) or (isinstance(age, str) and age.isdigit()):
            ages.append(int(age))
            if reg_year and not bounds:
                years.extend((reg_year - int(age) - 1, reg_year - int(age)))
    return years, ages
