"""What every page renderer shares: its inputs and the truth helpers for people."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass

from records.model import Kind

from .model import TruthField
from .values import BookCursor, Person, Style, age_on, write_age, write_date, write_text


@dataclass(frozen=True, slots=True)
class PageContext:
    """Inputs of one page renderer: randomness, the book's running state, resolution."""

    rng: random.Random
    cursor: BookCursor
    dpi: int

    @property
    def couple_kind(self) -> Kind:
        """Marriage or divorce: couple pages in an adoption book default to marriage."""
        kind = self.cursor.spec.kind
        return kind if kind is not Kind.ADOPTION else Kind.MARRIAGE


def party_field(p: Person, part: str, style: Style, reg: dt.date, *,
                precision: str = "day") -> TruthField | None:
    """The truth of one party field as written, or ``None`` if the person has none."""
    if part == "name":
        return write_text(p.name, style)
    if part == "birth_date":
        return write_date(p.birth, style, precision=precision)
    if part == "age":
        return write_age(age_on(p.birth, reg), style)
    if part == "id_number":
        return TruthField(p.id_number, p.id_number) if p.id_number else None
    simple = {"ethnicity": p.ethnicity, "native_place": p.native_place,
              "address": p.address, "occupation": p.occupation}
    return write_text(simple[part], style)


def party_fields(p: Person, party: str, parts: Iterable[str], style: Style, reg: dt.date,
                 *, precision: str = "day") -> dict[str, TruthField]:
    """``{male_name: ..., male_birth_date: ...}`` for the parts a page shows."""
    out: dict[str, TruthField] = {}
    for part in parts:
        f = party_field(p, part, style, reg, precision=precision)
        if f is not None:
            out[f"{party}_{part}"] = f
    return out


def shorten_address(address: str, city: str, limit: int = 13) -> str:
    """Drop the city from long addresses, as clerks did in narrow columns."""
    if len(address) > limit and address.startswith(city):
        return address[len(city):]
    return address


def pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)
