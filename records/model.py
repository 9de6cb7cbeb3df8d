"""Domain model of registration records. Pure data, no I/O.

Field keys, kinds and statuses follow ``shared/spec/RECORDS.md`` exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ocr.types import BBox


class Kind(StrEnum):
    MARRIAGE = "marriage"
    DIVORCE = "divorce"
    ADOPTION = "adoption"


class RecordStatus(StrEnum):
    AUTO_ACCEPTED = "auto_accepted"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class PageType(StrEnum):
    """What a page is; only record-bearing types produce records."""

    FORM = "form"
    LEDGER = "ledger"
    STUBS = "stubs"
    CERTIFICATE = "certificate"  # 1950s certificates, often vertical/traditional
    COVER = "cover"
    BLANK = "blank"
    UNKNOWN = "unknown"

    @property
    def bears_records(self) -> bool:
        return self in (PageType.FORM, PageType.LEDGER, PageType.STUBS, PageType.CERTIFICATE)


PARTY_FIELDS: tuple[str, ...] = (
    "name", "birth_date", "age", "id_number", "ethnicity", "native_place", "address",
    "occupation",
)
COMMON_FIELDS: tuple[str, ...] = ("registration_date", "certificate_no", "registry_office")
COUPLE_FIELDS: tuple[str, ...] = tuple(
    f"{party}_{f}" for party in ("male", "female") for f in PARTY_FIELDS
)
ADOPTION_FIELDS: tuple[str, ...] = (
    "adopter_name", "adopter_spouse_name", "adopter_address", "adoptee_name",
    "adoptee_gender", "adoptee_birth_date", "relinquisher_name",
)
FIELD_KEYS: tuple[str, ...] = COMMON_FIELDS + COUPLE_FIELDS + ADOPTION_FIELDS

DATE_FIELDS = frozenset(k for k in FIELD_KEYS if k.endswith("_date"))
NAME_FIELDS = frozenset(k for k in FIELD_KEYS if k.endswith("_name"))
AGE_FIELDS = frozenset(k for k in FIELD_KEYS if k.endswith("_age"))
ID_FIELDS = frozenset(k for k in FIELD_KEYS if k.endswith("_id_number"))
GENDER_FIELDS = frozenset({"adoptee_gender"})


class UnknownFieldError(ValueError):
    """A field key that is not in the data contract."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"unknown field {key!r}: use one of the keys in RECORDS.md "
            f"(e.g. male_name, registration_date)"
        )
        self.key = key


def check_field_key(key: str) -> str:
    if key not in FIELD_KEYS:
        raise UnknownFieldError(key)
    return key


FieldScalar = str | int | None


@dataclass(frozen=True, slots=True)
class ExtractedField:
    """One field as the extractor read it, before storage.

    ``value`` is canonical (RECORDS.md), ``original`` the text as written.
    ``reasons`` says why the field needs review (empty: it does not).
    """

    key: str
    value: FieldScalar
    original: str | None
    confidence: float
    needs_review: bool = False
    reasons: tuple[str, ...] = ()
    bbox: BBox | None = None


@dataclass(frozen=True, slots=True)
class ExtractedRecord:
    """One record found on a page (a form, a ledger row, a stub)."""

    kind: Kind
    fields: Mapping[str, ExtractedField]
    row: int | None = None
    half: str | None = None  # "left" | "right" when the page was a split spread
    bbox: BBox | None = None
    slot: int = 0  # position of the record on the page (stubs); part of its stable id

    @property
    def needs_review(self) -> bool:
        return any(f.needs_review for f in self.fields.values())


@dataclass(frozen=True, slots=True)
class PageExtraction:
    """What extraction made of one page."""

    page_type: PageType
    records: tuple[ExtractedRecord, ...] = ()
    kind: Kind | None = None
    notes: tuple[str, ...] = ()
    needs_review: bool = False  # e.g. a 1950s certificate detected but not extracted


@dataclass(frozen=True, slots=True)
class BookContext:
    """What the book's metadata says; used to validate and to hint extraction."""

    archive_ref: str | None = None
    volume: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    registry_office: str | None = None
    kind: Kind | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
