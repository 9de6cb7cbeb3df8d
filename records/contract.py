"""Check a record dict against the RECORDS.md export contract.

Used by tests and before anything leaves the project: a record that breaks the
contract is a bug, and the message says which key is wrong and why.
"""

from __future__ import annotations

import re
from typing import Any

from records.model import (
    AGE_FIELDS,
    DATE_FIELDS,
    FIELD_KEYS,
    GENDER_FIELDS,
    ID_FIELDS,
    Kind,
    RecordStatus,
)

DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
ID_RE = re.compile(r"^(\d{17}[\dX]|\d{15})$")
TOP_KEYS = {"id", "kind", "status", "source", "fields"}
FIELD_ATTRS = {"value", "original", "confidence", "needs_review"}


def contract_errors(rec: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    if set(rec) != TOP_KEYS:
        errors.append(f"top-level keys {sorted(rec)} != {sorted(TOP_KEYS)}")
    if not isinstance(rec.get("id"), str) or not rec.get("id"):
        errors.append("id must be a non-empty string")
    if rec.get("kind") not in {k.value for k in Kind}:
        errors.append(f"kind {rec.get('kind')!r} is not marriage/divorce/adoption")
    if rec.get("status") not in {s.value for s in RecordStatus}:
        errors.append(f"status {rec.get('status')!r} unknown")
    errors += _source_errors(rec.get("source"))
    fields = rec.get("fields")
    if not isinstance(fields, dict):
        return [*errors, "fields must be an object"]
    for key, f in fields.items():
        errors += [f"fields.{key}: {e}" for e in _field_errors(key, f)]
    if rec.get("status") == "auto_accepted" and any(
            isinstance(f, dict) and f.get("needs_review") for f in fields.values()):
        errors.append("status auto_accepted but a field needs review")
    return errors


def _source_errors(src: Any) -> list[str]:
    if not isinstance(src, dict):
        return ["source must be an object"]
    errors = []
    if not isinstance(src.get("file"), str) or "/" in src.get("file", "/"):
        errors.append("source.file must be the file's base name")
    if not isinstance(src.get("page"), int) or src["page"] < 1:
        errors.append("source.page must be a 1-based integer")
    if "half" in src and src["half"] not in ("left", "right"):
        errors.append("source.half must be left or right")
    if "row" in src and (not isinstance(src["row"], int) or src["row"] < 1):
        errors.append("source.row must be a 1-based integer")
    extra = set(src) - {"file", "page", "half", "row"}
    if extra:
        errors.append(f"source has unknown keys {sorted(extra)}")
    return errors


def _field_errors(key: str, f: Any) -> list[str]:
    if key not in FIELD_KEYS:
        return ["unknown field key"]
    if not isinstance(f, dict) or set(f) != FIELD_ATTRS:
        return [f"must have exactly {sorted(FIELD_ATTRS)}"]
    errors = []
    v = f["value"]
    if not isinstance(f["confidence"], int | float) or not 0 <= f["confidence"] <= 1:
        errors.append("confidence must be within 0..1")
    if not isinstance(f["needs_review"], bool):
        errors.append("needs_review must be a boolean")
    if v is None:
        if not f["needs_review"]:
            errors.append("a null value must need review")
        return errors
    if key in DATE_FIELDS and not (isinstance(v, str) and DATE_RE.match(v)):
        errors.append(f"date {v!r} is not YYYY[-MM[-DD]]")
    elif key in ID_FIELDS and not (isinstance(v, str) and ID_RE.match(v)):
        errors.append(f"ID {v!r} is not 18 or 15 characters")
    elif key in AGE_FIELDS and not (isinstance(v, int) and not isinstance(v, bool)):
        errors.append(f"age {v!r} is not an integer")
    elif key in GENDER_FIELDS and v not in ("M", "F"):
        errors.append(f"gender {v!r} is not M or F")
    elif key not in AGE_FIELDS and not isinstance(v, str):
        errors.append(f"value {v!r} must be text")
    return errors
