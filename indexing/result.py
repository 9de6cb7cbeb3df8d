"""Search results, and the one place that turns a stored record into a hit.

Both backends only decide *which* records and *in what order*; masking and
highlighting happen here, the same way for both.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from indexing._text import cert_keys, date_bounds, grams, id_forms, mask_keys, pinyin_keys
from indexing.access import Viewer, present_record
from indexing.query import SearchQuery
from indexing.schema import ID_NUMBER_FIELDS, PERSON_NAME_FIELDS, field_value
from records.normalize import normalize_text

FacetCounts = tuple[tuple[str, int], ...]
FACET_FIELDS: tuple[str, ...] = ("year", "office", "kind")
FACET_SIZE = 20


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    score: float
    record: Mapping[str, Any]
    highlights: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """``total`` counts every match; ``hits`` is the requested page; facets: value → count."""

    total: int
    hits: tuple[Hit, ...]
    facets: Mapping[str, FacetCounts] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [h.id for h in self.hits]

    def to_json(self) -> dict[str, Any]:
        """The shape ``dangan search --json`` prints."""
        return {
            "total": self.total,
            "hits": [
                {"id": h.id, "score": h.score, "record": dict(h.record),
                 "highlights": dict(h.highlights)}
                for h in self.hits
            ],
            "facets": {
                name: [{"value": v, "count": n} for v, n in counts]
                for name, counts in self.facets.items()
            },
        }


def make_hit(record: Mapping[str, Any], score: float, query: SearchQuery, viewer: Viewer) -> Hit:
    shown = present_record(record, viewer)
    return Hit(id=str(record["id"]), score=float(score), record=shown,
               highlights=highlights(record, shown, query))


def _em(text: str) -> str:
    return f"<em>{html.escape(text)}</em>"


def _name_highlight(value: str, query: SearchQuery) -> str | None:
    """The name with matching characters emphasized, if any query name matches it."""
    canonical = normalize_text(value)
    for term in query.names:
        if value in term.exact or canonical in term.variants or value in term.variants:
            return _em(value)
        if set(pinyin_keys(canonical)) & set(term.pinyin):
            return _em(value)
        if set(mask_keys(canonical)) & set(term.masks):
            target = term.variants[0]
            return "".join(
                _em(c) if i < len(target) and normalize_text(c) == target[i] else html.escape(c)
                for i, c in enumerate(value)
            )
    return None


def highlights(
    record: Mapping[str, Any], shown: Mapping[str, Any], query: SearchQuery
) -> dict[str, str]:
    """Field → shown value with the matched part in ``<em>``; computed on the raw record,
    rendered from the (possibly masked) shown record."""
    out: dict[str, str] = {}
    for key in PERSON_NAME_FIELDS:
        value = field_value(record, key)
        if value and query.names:
            marked = _name_highlight(str(value), query)
            if marked:
                out[key] = marked
    if query.date:
        value = field_value(record, "registration_date")
        bounds = date_bounds(str(value)) if value else None
        if bounds and query.date.overlaps(*bounds):
            out["registration_date"] = _em(str(value))
    wanted_ids = {f for group in query.ids for f in group}
    for key in ID_NUMBER_FIELDS:
        value = field_value(record, key)
        if value and wanted_ids & set(id_forms(str(value))):
            out[key] = _em(str(field_value(shown, key)))
    cert = field_value(record, "certificate_no")
    if cert and query.certs:
        wanted = {k for group in query.certs for k in group}
        if wanted & set(cert_keys(str(cert))):
            out["certificate_no"] = _em(str(cert))
    office = field_value(record, "registry_office")
    if office and query.offices:
        have = set(grams(str(office)))
        if any(set(g) <= have for g in query.offices):
            out["registry_office"] = _em(str(office))
    return out
