"""What the layout readers hand to field building: a label and its value tokens."""

from __future__ import annotations

from dataclasses import dataclass

from extraction.labels import Party
from extraction.tokens import Token
from ocr.types import BBox
from records.model import FIELD_KEYS, Kind

_COUPLE = {Party.MALE: "male", Party.FEMALE: "female"}
_ADOPTION: dict[tuple[Party, str], str] = {
    (Party.ADOPTER, "name"): "adopter_name",
    (Party.ADOPTER, "address"): "adopter_address",
    (Party.ADOPTER_SPOUSE, "name"): "adopter_spouse_name",
    (Party.ADOPTEE, "name"): "adoptee_name",
    (Party.ADOPTEE, "gender"): "adoptee_gender",
    (Party.ADOPTEE, "birth_date"): "adoptee_birth_date",
    (Party.RELINQUISHER, "name"): "relinquisher_name",
}
COMMON = frozenset({"registration_date", "certificate_no", "registry_office"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A value found for ``(party, field)``; ``tokens`` empty means the label had no value."""

    party: Party | None
    field: str
    tokens: tuple[Token, ...]
    label: Token | None = None
    via: str = "right"  # right | below | column | row
    cell: BBox | None = None

    @property
    def text(self) -> str:
        return "".join(t.text for t in self.tokens)

    @property
    def conf(self) -> float:
        return min((t.conf for t in self.tokens), default=0.0)

    @property
    def bbox(self) -> BBox | None:
        box: BBox | None = None
        for t in self.tokens:
            box = t.bbox if box is None else box.union(t.bbox)
        return box

    @property
    def label_score(self) -> float:
        return self.label.label.score if self.label is not None and self.label.label else 1.0


def field_key(kind: Kind | None, party: Party | None, field: str) -> str | None:
    """The RECORDS.md key for a generic field of a party, or None if not extracted."""
    if field in COMMON:
        return field
    if party in _COUPLE and field != "gender":
        key = f"{_COUPLE[party]}_{field}"
        return key if key in FIELD_KEYS else None
    if party is None and kind is Kind.ADOPTION and field in ("gender",):
        return "adoptee_gender"
    if party is not None:
        return _ADOPTION.get((party, field))
    return None
