"""The versioned mapping from the RECORDS.md contract to the national data items.

The mapping lives in a data file (``mapping/v1.yaml``) so that a change of an
item or a code table is a reviewed, versioned change, and every batch says which
version it used. Every item of a record's kind is written with an explicit
``state`` — ``recorded``, ``not_recorded`` (the source has no such field),
``illegible`` (the source shows it but nobody could read it) or ``derived`` —
so that nothing missing ever travels as a placeholder zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from records.idnum import ID15_RE, clean_id_number, id15_to_18
from records.model import ADOPTION_FIELDS, COMMON_FIELDS, COUPLE_FIELDS, ID_FIELDS

MAPPING_DIR = Path(__file__).parent / "mapping"
DEFAULT_VERSION = "v1"

KIND_KEYS: Mapping[str, tuple[str, ...]] = {
    "marriage": COMMON_FIELDS + COUPLE_FIELDS,
    "divorce": COMMON_FIELDS + COUPLE_FIELDS,
    "adoption": COMMON_FIELDS + ADOPTION_FIELDS,
}


class MappingError(ValueError):
    """The mapping file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    item: str
    name: str
    codes: str | None = None
    value: str | None = None  # derived items only
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OccupationClass:
    code: str
    name: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NationalMapping:
    version: str
    items: Mapping[str, Item]
    derived: tuple[Item, ...]
    kinds: Mapping[str, Mapping[str, str]]
    codes: Mapping[str, Mapping[str, str]]
    occupations: tuple[OccupationClass, ...]

    def code_for(self, table: str, value: str) -> str | None:
        """The code of ``value`` in ``table``; None when the value has no code there."""
        if table == "occupation":
            return next((c.code for c in self.occupations
                         if any(w in value for w in c.words)), None)
        return self.codes.get(table, {}).get(value)

    def map_record(self, rec: Mapping[str, Any]) -> dict[str, Any]:
        """One contract record as national data items (see the module docstring)."""
        fields: Mapping[str, Any] = rec["fields"]
        kind = str(rec["kind"])
        items: list[dict[str, Any]] = []
        for key in KIND_KEYS[kind]:
            spec = self.items[key]
            items.append(self._item(spec, fields.get(key)))
        for spec in self.derived:
            if kind in spec.kinds:
                code = self.code_for(spec.codes, spec.value or "") if spec.codes else None
                items.append({"item": spec.item, "name": spec.name, "state": "derived",
                              "value": spec.value, "code": code})
        return {"id": rec["id"], "mapping_version": self.version,
                "kind": dict(self.kinds[kind]), "items": items}

    def _item(self, spec: Item, field: Mapping[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {"item": spec.item, "name": spec.name, "field": spec.key}
        if field is None:
            return {**out, "state": "not_recorded", "value": None}
        value = field.get("value")
        if value is None:
            return {**out, "state": "illegible", "value": None, "original": field.get("original")}
        out.update(state="recorded", value=value)
        if spec.key in ID_FIELDS and isinstance(value, str) and ID15_RE.fullmatch(
                clean_id_number(value)):
            out.update(value=id15_to_18(value), original_value=value,
                       note="15-digit ID converted to 18 (GB 11643); the original is kept")
        if spec.codes:
            code = self.code_for(spec.codes, str(value))
            out["code"] = code
            if code is None:
                out["code_state"] = "uncoded"
        return out


def load_mapping(version: str = DEFAULT_VERSION, directory: Path = MAPPING_DIR
                 ) -> NationalMapping:
    path = directory / f"{version}.yaml"
    if not path.is_file():
        raise MappingError(f"no national mapping {version!r} at {path}: use one of "
                           f"{sorted(p.stem for p in directory.glob('*.yaml'))}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        items = {k: Item(k, v["item"], v["name"], v.get("codes")) for k, v in
                 raw["items"].items()}
        derived = tuple(Item(k, v["item"], v["name"], v.get("codes"), v.get("value"),
                             tuple(v.get("kinds", ()))) for k, v in raw["derived"].items())
        codes = {t: {str(k): str(c) for k, c in table.items()}
                 for t, table in raw["codes"].items() if isinstance(table, dict)}
        occupations = tuple(OccupationClass(str(o["code"]), o["name"], tuple(o["words"]))
                            for o in raw["codes"]["occupation"])
        kinds = {k: {"code": str(v["code"]), "name": v["name"]} for k, v in raw["kinds"].items()}
    except (KeyError, TypeError) as e:
        raise MappingError(f"national mapping {path} is malformed ({e}): fix the file") from e
    missing = {k for keys in KIND_KEYS.values() for k in keys} - set(items)
    if missing:
        raise MappingError(f"national mapping {path} lacks items for {sorted(missing)}")
    return NationalMapping(str(raw["version"]), items, derived, kinds, codes, occupations)
