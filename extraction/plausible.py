"""Cheap plausibility checks on a value, beyond what normalization checks.

OCR confidence stays high when a character is dropped (a lost bracket in
``(1956)津和离字第0194号``) or a seal smears an office name; these checks catch
the shapes such misreads leave, so the field goes to review instead of being
auto-accepted wrong.
"""

from __future__ import annotations

from records.model import AGE_FIELDS, DATE_FIELDS

_OPEN, _CLOSE = "(（〔[【", ")）〕]】"
# a trailing 委 is a truncated 委员会 (seal or cell border cut it)
# what follows a house number: 56号, 3室, 2楼, 4栋 ... (56方 is a misread 号)
ADDRESS_UNITS = "号室楼层院户栋幢门弄组队排座元村巷街路里"
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
    if key in DATE_FIELDS and _cut_short_date(text):
        out.append("date cut short (no 日 or 月 after the last number)")
    if key in AGE_FIELDS and isinstance(value, int) and not 14 <= value <= 100:
        out.append("implausible age")
    if key.endswith("_address") and len(sval) >= 2 and sval[-2].isdigit() and (
            not sval[-1].isdigit() and sval[-1] not in ADDRESS_UNITS):
        out.append("address ends in an unexpected character after a number")
    if key.endswith(("_address", "_native_place", "_occupation")) and len(sval) < 2:
        out.append("value too short")
    return tuple(out)


def _cut_short_date(text: str) -> bool:
    """``一九七六年二月二十`` (the 五日 lost past a cell border) reads as a valid day."""
    t = "".join(ch for ch in text if not ch.isspace())
    return "年" in t and t[-1] not in "年月日号"
