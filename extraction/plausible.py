"""Cheap plausibility checks on a value, beyond what normalization checks.

OCR confidence stays high when a character is dropped (a lost bracket in
``(1956)津和离字第0194号``) or a seal smears an office name; these checks catch
the shapes such misreads leave, so the field goes to review instead of being
auto-accepted wrong.
"""

from __future__ import annotations

from records.model import AGE_FIELDS

_OPEN, _CLOSE = "(（〔[【", ")）〕]】"
# a trailing 委 is a truncated 委员会 (seal or cell border cut it)
OFFICE_ENDINGS = ("会", "府", "处", "局", "科", "所", "社", "室", "站", "部", "厅")


def problems(key: str, value: str | int | None, text: str) -> tuple[str, ...]:
    """Reasons a normalized value looks wrong (empty: looks fine)."""
    if value is None:
        return ()
    out: list[str] = []
    if sum(text.count(c) for c in _OPEN) != sum(text.count(c) for c in _CLOSE):
        out.append("unbalanced brackets")
    sval = str(value)
    if key == "certificate_no" and not any(c.isdigit() for c in sval):
        out.append("certificate number without digits")
    if key == "certificate_no" and "字第" in sval and not sval.endswith("号"):
        out.append("certificate number cut short (字第…号 without 号)")
    if key == "registry_office" and (len(sval) < 4 or not sval.endswith(OFFICE_ENDINGS)):
        out.append("unexpected registry office name")
    if key.endswith("_ethnicity") and not (sval.endswith("族") and 2 <= len(sval) <= 6):
        out.append("unexpected ethnicity")
    if key.endswith("_name") and len(sval) > 4 and "·" not in sval and key != "relinquisher_name":
        out.append("name longer than four characters")
    if key in AGE_FIELDS and isinstance(value, int) and not 14 <= value <= 100:
        out.append("implausible age")
    if key.endswith(("_address", "_native_place", "_occupation")) and len(sval) < 2:
        out.append("value too short")
    return tuple(out)
