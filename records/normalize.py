"""Field normalization: raw OCR text → canonical values of ``shared/spec/RECORDS.md``.

Pure functions, no I/O. Each ``normalize_*`` returns a :class:`Normalized` that
keeps the raw text beside the canonical value and says, in words a reviewer can
read, why the value needs review. They never raise on bad input: archives are
messy, and a field that cannot be read is a review item, not a crash.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import cn2an
import opencc

from records.idnum import (
    clean_id_number,
    has_valid_check_digit,
    id15_to_18,
    id_birth_date,
    id_gender,
)
from records.model import (
    AGE_FIELDS,
    DATE_FIELDS,
    GENDER_FIELDS,
    ID_FIELDS,
    NAME_FIELDS,
    check_field_key,
)

__all__ = [
    "Normalized",
    "id15_to_18",
    "id_birth_date",
    "id_gender",
    "normalize_age",
    "normalize_date",
    "normalize_field",
    "normalize_gender",
    "normalize_id_number",
    "normalize_name",
    "normalize_text",
    "to_simplified",
]


@dataclass(frozen=True, slots=True)
class Normalized:
    """A canonical value, the raw text it came from, and why it needs review."""

    value: str | int | None
    original: str
    problems: tuple[str, ...] = ()

    @property
    def needs_review(self) -> bool:
        return bool(self.problems)


EMPTY = "empty"

# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

# Variant (异体) characters that OpenCC's t2s leaves alone. OpenCC's hk2s/tw2s
# would map some of them, but they also rewrite standard characters (么→幺,
# 著→着), so the few safe mappings are listed here instead.
_EXTRA_VARIANTS = str.maketrans({
    "衞": "卫", "敍": "叙", "簷": "檐", "粧": "妆", "糭": "粽", "痺": "痹", "衹": "只",
    "囯": "国", "靑": "青", "呑": "吞", "戶": "户",
})


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    """One shared converter: building it loads dictionaries from disk."""
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional and variant characters → simplified standard characters."""
    return _t2s().convert(text).translate(_EXTRA_VARIANTS)


_WHITESPACE_RE = re.compile(r"\s+")


def normalize_text(raw: str) -> str:
    """Canonical text: NFKC, no whitespace, simplified characters.

    NFKC also folds full-width ASCII, Kangxi radicals and CJK compatibility
    ideographs that OCR sometimes emits into the ordinary characters.
    """
    text = unicodedata.normalize("NFKC", raw)
    return to_simplified(_WHITESPACE_RE.sub("", text))


# Label residue the extractor may leave: "：王建国", "姓名:王建国", "，".
_LABEL_RE = re.compile(
    r"^(?:男方|女方|男|女)?(?:被收养人|收养人配偶|收养人|送养人)?(?:姓名|名字)?[:;]"
)
_EDGE_PUNCT = ":;,.、。，；：|"


def _strip_residue(text: str) -> str:
    """Drop a leading field label with its colon and stray edge punctuation."""
    return _LABEL_RE.sub("", text, count=1).strip(_EDGE_PUNCT)


def _after_label(text: str) -> str:
    """For values that never contain a colon (dates, IDs, ages): drop "出生日期:" etc."""
    return text.rpartition(":")[2].strip(_EDGE_PUNCT)


def _normalize_plain_text(raw: str) -> Normalized:
    """Free text fields (address, occupation, certificate number, ...)."""
    original = raw.strip()
    value = _strip_residue(normalize_text(original))
    if not value:
        return Normalized(None, original, (EMPTY,))
    return Normalized(value, original)


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

# Marks clerks and OCR use for a character that could not be read (after NFKC,
# so full-width ？ and Ｘ arrive here as ? and X).
PLACEHOLDERS = frozenset("〇○◯×xX✕╳□■▢?*")
# Characters that t2s would "simplify" wrongly in names: 乾 (qián) is a standard
# character of its own, never 干 in a name.
_NAME_KEEP = frozenset("乾")
# 於 is kept as a surname by 通用规范汉字表; elsewhere it is the traditional 于.
_SURNAME_KEEP = frozenset("於")
# Minority names are transliterated with a middle dot: 买买提·艾力.
_NAME_JOINERS = frozenset("·•")


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


def _simplify_name(name: str) -> str:
    """t2s per character run, keeping characters that are standard in names."""
    out: list[str] = []
    for i, char in enumerate(name):
        if char in _NAME_KEEP or (i == 0 and char in _SURNAME_KEEP):
            out.append(char)
        else:
            out.append(to_simplified(char))
    return "".join(out)


def normalize_name(raw: str) -> Normalized:
    """A person's (or institution's) name; never contains a placeholder mark."""
    original = raw.strip()
    text = unicodedata.normalize("NFKC", original)
    text = _strip_residue(_WHITESPACE_RE.sub("", text))
    if not text:
        return Normalized(None, original, (EMPTY,))
    if any(char in PLACEHOLDERS for char in text):
        return Normalized(None, original, ("illegible character in name",))
    # Character-wise so that t2s phrase rules do not rewrite a name as a word.
    value = _simplify_name(text)
    problems: list[str] = []
    bad = sorted({c for c in value if not _is_han(c) and c not in _NAME_JOINERS})
    if bad:
        problems.append(f"unexpected character in name: {''.join(bad)}")
    elif len(value) < 2:
        problems.append("name has only one character")
    return Normalized(value, original, tuple(problems))


# ---------------------------------------------------------------------------
# Numbers written in Chinese
# ---------------------------------------------------------------------------

_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CN_NUMBER_RE = re.compile(r"[〇零一二三四五六七八九十百两]+")


def _cn_run_to_arabic(run: str) -> str:
    """One run of Chinese numerals → Arabic digits.

    Runs without 十/百 are read digit by digit (一九六五 → 1965) so that zeros
    keep their place; cn2an would read "〇五" as 5. Runs with units go to cn2an.
    """
    if not any(unit in run for unit in "十百两"):
        return run.translate(_CN_DIGITS)
    return str(cn2an.cn2an(run, "normal"))


def _arabize(text: str) -> str:
    """Replace every Chinese numeral run in ``text`` with Arabic digits.

    廿/卅 (20/30) are spelled out first because cn2an does not know 卅.
    """
    text = text.replace("廿", "二十").replace("卅", "三十")
    return _CN_NUMBER_RE.sub(lambda m: _cn_run_to_arabic(m.group()), text)


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

_DATE_ILLEGIBLE = frozenset("×✕╳□■▢?*")
_ERA_RE = re.compile(r"^(?P<era>(?:中华)?民国|公元)")
_DATE_CJK_RE = re.compile(r"(?P<y>\d+)年(?:(?P<m>\d+)月(?:(?P<d>\d+)[日号]?)?)?")
_DATE_SEP_RE = re.compile(r"(?P<y>\d+)[.\-/](?P<m>\d+)(?:[.\-/](?P<d>\d+))?")
_DATE_COMPACT_RE = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?")
_DATE_YEAR_RE = re.compile(r"(?P<y>\d{4})")
_DATE_PATTERNS = (_DATE_CJK_RE, _DATE_SEP_RE, _DATE_COMPACT_RE, _DATE_YEAR_RE)
# 1949: the Republic era ends on the mainland; later 民国 years are misreadings.
_MINGUO_LAST = 38
_YEAR_MIN, _YEAR_MAX = 1850, 2100


@dataclass(frozen=True, slots=True)
class _DateParts:
    era: str | None
    year: str
    month: str | None
    day: str | None


def _prepare_date_text(original: str) -> str:
    """Fold a written date to ASCII digits and the markers 年/月/日 and . - /."""
    text = _after_label(normalize_text(original))
    text = text.replace("元年", "1年").replace("元月", "1月")
    text = text.replace("。", ".").replace("、", ".").replace("O", "0").replace("o", "0")
    text = _arabize(text)
    # "1965年3月12日生", "生于1965年": words around a date are not part of it.
    return text.removesuffix("生").removeprefix("生于").removeprefix("出生")


def _split_date(text: str) -> _DateParts | None:
    era_match = _ERA_RE.match(text)
    era = era_match.group("era") if era_match else None
    rest = text[era_match.end():] if era_match else text
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(rest)
        if m:
            return _DateParts(era, m.group("y"), m.groupdict().get("m"), m.groupdict().get("d"))
    return None


def _resolve_year(era: str | None, year: str) -> tuple[int | None, tuple[str, ...]]:
    """Gregorian year from the written one: 民国 N = 1911 + N, two digits = 19xx."""
    n = int(year)
    if era is not None and era.endswith("民国"):
        if not 1 <= n <= 99:
            return None, (f"impossible 民国 year {n}",)
        problems = (f"民国 year {n} is after 1949",) if n > _MINGUO_LAST else ()
        return 1911 + n, problems
    if len(year) == 2:
        return 1900 + n, ()
    if len(year) == 4 and _YEAR_MIN <= n <= _YEAR_MAX:
        return n, ()
    return None, (f"implausible year {year}",)


def _format_date(year: int, month: int | None, day: int | None) -> str | None:
    """ISO date with the precision the source gives; None for impossible dates."""
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def normalize_date(raw: str) -> Normalized:
    """A date in any of the forms seen in the archives → YYYY-MM-DD / YYYY-MM / YYYY."""
    original = raw.strip()
    if not original:
        return Normalized(None, original, (EMPTY,))
    text = _prepare_date_text(original)
    if any(char in _DATE_ILLEGIBLE for char in text):
        return Normalized(None, original, ("illegible character in date",))
    parts = _split_date(text)
    if parts is None:
        return Normalized(None, original, ("unparsable date",))
    year, problems = _resolve_year(parts.era, parts.year)
    if year is None:
        return Normalized(None, original, problems)
    month = int(parts.month) if parts.month else None
    day = int(parts.day) if parts.day else None
    value = _format_date(year, month, day)
    if value is None:
        shown = "-".join(f"{p:02d}" for p in (year, month, day) if p is not None)
        return Normalized(None, original, (*problems, f"impossible date {shown}"))
    return Normalized(value, original, problems)


# ---------------------------------------------------------------------------
# ID numbers
# ---------------------------------------------------------------------------

_ID_ILLEGIBLE = frozenset("〇○◯×✕╳□■▢?*")


def normalize_id_number(raw: str) -> Normalized:
    """An 18-character or 15-digit resident ID; a wrong check digit keeps the value."""
    original = raw.strip()
    number = _after_label(clean_id_number(original))
    if not number:
        return Normalized(None, original, (EMPTY,))
    if any(char in _ID_ILLEGIBLE for char in number):
        return Normalized(None, original, ("illegible character in ID number",))
    if len(number) not in (15, 18):
        return Normalized(None, original, (f"ID number has {len(number)} characters, not 18",))
    if not (number.isdigit() or (len(number) == 18 and number[:17].isdigit()
                                 and number[17] == "X")):
        return Normalized(None, original, ("ID number has characters other than digits",))
    problems: list[str] = []
    if len(number) == 18 and not has_valid_check_digit(number):
        problems.append("ID check digit wrong")
    if id_birth_date(number) is None:
        problems.append("ID number has an impossible birth date")
    return Normalized(number, original, tuple(problems))


# ---------------------------------------------------------------------------
# Gender, age
# ---------------------------------------------------------------------------

_GENDER_WORDS = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F"}


def normalize_gender(raw: str) -> Normalized:
    """男 → "M", 女 → "F" (also 男性, 女婴, M/F)."""
    original = raw.strip()
    text = _after_label(normalize_text(original))
    if not text:
        return Normalized(None, original, (EMPTY,))
    if text.upper() in _GENDER_WORDS:
        return Normalized(_GENDER_WORDS[text.upper()], original)
    male, female = "男" in text, "女" in text
    if male != female:
        return Normalized("M" if male else "F", original)
    return Normalized(None, original, ("unreadable gender",))


_AGE_MIN, _AGE_MAX = 14, 110
_AGE_RE = re.compile(r"(?:虚岁|周岁|实岁|虚|实)?(?P<n>\d{1,3})(?:周岁|虚岁|岁)?")


def normalize_age(raw: str) -> Normalized:
    """Age in integer years from 25, 二十五, 廿五, 25岁."""
    original = raw.strip()
    text = _arabize(_after_label(normalize_text(original)))
    if not text:
        return Normalized(None, original, (EMPTY,))
    m = _AGE_RE.fullmatch(text)
    if m is None:
        return Normalized(None, original, ("unparsable age",))
    age = int(m.group("n"))
    problems: list[str] = []
    if not _AGE_MIN <= age <= _AGE_MAX:
        problems.append(f"age {age} outside {_AGE_MIN}–{_AGE_MAX}")
    if "虚" in text:
        problems.append("nominal age (虚岁)")
    return Normalized(age, original, tuple(problems))


# ---------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------


def _normalizer_for(key: str) -> Callable[[str], Normalized]:
    if key in DATE_FIELDS:
        return normalize_date
    if key in NAME_FIELDS:
        return normalize_name
    if key in AGE_FIELDS:
        return normalize_age
    if key in ID_FIELDS:
        return normalize_id_number
    if key in GENDER_FIELDS:
        return normalize_gender
    return _normalize_plain_text


def normalize_field(key: str, raw: str) -> Normalized:
    """Normalize ``raw`` as the field ``key``; unknown keys raise UnknownFieldError."""
    return _normalizer_for(check_field_key(key))(raw)

