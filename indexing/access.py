"""Who may see what: adoption records and ID numbers are restricted.

Adoption records are filtered *in the query* (not after it), so totals, pages
and facets never reveal that a hidden record exists. ID numbers are masked in
every hit for a viewer who may not see them, and such a viewer may not search
by ID number either: a search that answers "found" would disclose the number.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from records.model import ID_FIELDS, Kind


class SearchNotAllowed(PermissionError):
    """The viewer asked for something they may not see (e.g. searching by ID number)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Permissions of the person searching. The default sees the least."""

    may_see_adoption: bool = False
    may_see_ids: bool = False

    @classmethod
    def everything(cls) -> Viewer:
        return cls(may_see_adoption=True, may_see_ids=True)

    @property
    def hidden_kinds(self) -> tuple[str, ...]:
        return () if self.may_see_adoption else (Kind.ADOPTION.value,)


def mask_id(value: str) -> str:
    """Keep the region code (6) and the last 4 characters; hide the birth date."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def present_record(record: Mapping[str, Any], viewer: Viewer) -> dict[str, Any]:
    """The record as this viewer may see it: a copy, ID numbers masked unless allowed."""
    out = copy.deepcopy(dict(record))
    if viewer.may_see_ids:
        return out
    for key, entry in (out.get("fields") or {}).items():
        if key in ID_FIELDS and isinstance(entry, dict):
            for part in ("value", "original"):
                if isinstance(entry.get(part), str):
                    entry[part] = mask_id(entry[part])
    return out


def check_allowed(has_id_terms: bool, viewer: Viewer) -> None:
    if has_id_terms and not viewer.may_see_ids:
        raise SearchNotAllowed("searching by ID number needs permission to see ID numbers")
