"""One query model for both backends: free text → names, dates, IDs, certificate numbers, filters.

``parse_query`` reads what a registrar types ("王建国 李秀英 1965年至1967年",
"110101650312123", "(72)京婚字第123号 东城区 离婚") and builds a
:class:`SearchQuery` whose name terms already carry every candidate key: exact
form, simplified/traditional forms, toneless pinyin and one-character masks. The
backends only look those keys up, and score them with the tier constants below,
so ranking is identical whichever engine runs the query.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from indexing._text import (
    cert_keys,
    grams,
    id_forms,
    is_cjk,
    mask_keys,
    normalize_text,
    pinyin_from_latin,
    pinyin_keys,
    to_simplified,
    to_traditional,
    unique,
)
from indexing.schema import normalize_text_keep_script
from records.model import Kind, RecordStatus

# Score of a name matched at each tier; a hit scores the sum over query names of
# the best tier each reached, plus ID_SCORE per ID/certificate number matched.
EXACT = 100.0
VARIANT = 80.0
PINYIN = 60.0
TYPO = 40.0
ID_SCORE = 100.0
TIERS: tuple[tuple[str, float], ...] = (
    ("exact", EXACT), ("variant", VARIANT), ("pinyin", PINYIN), ("typo", TYPO),
)
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class NameTerm:
    """One name as typed, with the keys each ranking tier looks up."""

    text: str
    exact: tuple[str, ...]  # matched against names as written
    variants: tuple[str, ...]  # simplified/traditional forms, against written and canonical
    pinyin: tuple[str, ...]  # toneless pinyin keys
    masks: tuple[str, ...]  # one-character-different keys


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive range of yyyymmdd integers."""

    lo: int
    hi: int

    def overlaps(self, lo: int | None, hi: int | None) -> bool:
        return lo is not None and hi is not None and lo <= self.hi and hi >= self.lo


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to find. Lists within a filter are OR; different filters are AND.

    ``names``: at least one must match (a couple query ranks the couple first).
    ``ids`` / ``certs``: every group must match (each group: forms of one number).
    """

    text: str = ""
    names: tuple[NameTerm, ...] = ()
    ids: tuple[tuple[str, ...], ...] = ()
    certs: tuple[tuple[str, ...], ...] = ()
    date: DateRange | None = None
    birth_years: tuple[int, int] | None = None
    ages: tuple[int, int] | None = None
    offices: tuple[tuple[str, ...], ...] = ()  # each: grams that must all be in the office
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    books: tuple[str, ...] = ()
    free: tuple[str, ...] = ()  # grams that must all appear in the record's text
    limit: int = 10
    offset: int = 0
    facets: bool = True

    @property
    def base_score(self) -> float:
        return ID_SCORE * (len(self.ids) + len(self.certs))

    def page(self, limit: int, offset: int) -> SearchQuery:
        return replace(self, limit=limit, offset=offset)


def name_term(text: str) -> NameTerm:
    """Candidate keys for a typed name (CJK, or pinyin in Latin letters)."""
    if not is_cjk(text):
        key = pinyin_from_latin(text)
        return NameTerm(text=text, exact=(), variants=(), pinyin=(key,) if key else (),
                        masks=())
    written = normalize_text_keep_script(text)
    simplified = normalize_text(text)
    variants = unique([simplified, to_traditional(simplified), written])
    return NameTerm(
        text=text,
        exact=(written,),
        variants=tuple(variants),
        pinyin=pinyin_keys(simplified),
        masks=tuple(unique([*mask_keys(written), *mask_keys(simplified)])),
    )


_KIND_WORDS = {
    "结婚": Kind.MARRIAGE, "婚姻": Kind.MARRIAGE, "marriage": Kind.MARRIAGE,
    "离婚": Kind.DIVORCE, "divorce": Kind.DIVORCE,
    "收养": Kind.ADOPTION, "adoption": Kind.ADOPTION,
}
_STATUS_WORDS = {
    "待审核": RecordStatus.NEEDS_REVIEW, "待复核": RecordStatus.NEEDS_REVIEW,
    "已审核": RecordStatus.APPROVED, "已驳回": RecordStatus.REJECTED,
    "自动通过": RecordStatus.AUTO_ACCEPTED,
}
_OFFICE_SUFFIXES = ("民政局", "办事处", "街道", "公社", "政府", "区", "县", "市", "镇", "乡", "局")
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_DATE = (
    r"(?:1[89]|20)\d{2}(?:\s*[年./-]\s*\d{1,2}(?!\d)"
    r"(?:\s*[月./-]\s*\d{1,2}(?!\d)\s*[日号]?)?\s*月?)?\s*年?"
)
_RANGE_RE = re.compile(rf"({_DATE})\s*(?:至|到|~|～|—|–|-|－)\s*({_DATE})")
_SINGLE_DATE_RE = re.compile(rf"(?<!\d)({_DATE})(?!\d)")
_BIRTH_RE = re.compile(
    r"(?:出生于?|生于|born\s*:?\s*|b\.\s*)\s*((?:1[89]|20)\d{2})\s*年?|((?:1[89]|20)\d{2})\s*年?\s*(?:出生|生)"
)
_AGE_RE = re.compile(r"(?:年龄|age\s*:?\s*)\s*(\d{1,3})\s*岁?|(?<!\d)(\d{1,3})\s*岁")
_CN_YEAR_RE = re.compile(r"[〇零一二三四五六七八九]{4}(?=年)")
_PREFIX_RE = re.compile(
    r"(kind|status|office|book|id|cert|name|登记机关|证号|姓名)\s*[:：]\s*(\S+)", re.IGNORECASE
)
_CERT_HINT_RE = re.compile(r"[字第号號(（〔\[【]")


def _date_atom(text: str) -> DateRange | None:
    nums = [int(n) for n in re.findall(r"\d+", text)]
    if not nums:
        return None
    year = nums[0]
    if len(nums) == 1:
        return DateRange(year * 10000 + 101, year * 10000 + 1231)
    month = nums[1]
    if not 1 <= month <= 12:
        return None
    if len(nums) == 2:
        return DateRange(year * 10000 + month * 100 + 1, year * 10000 + month * 100 + 31)
    day = nums[2]
    if not 1 <= day <= 31:
        return None
    return DateRange(*(year * 10000 + month * 100 + day,) * 2)


def parse_query(
    text: str,
    limit: int = 10,
    offset: int = 0,
    *,
    kind: str | None = None,
    status: str | None = None,
    office: str | None = None,
    book: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    facets: bool = True,
) -> SearchQuery:
    """Parse free text (plus optional structured filters) into a :class:`SearchQuery`."""
    rest = unicodedata.normalize("NFKC", text)
    rest = _CN_YEAR_RE.sub(lambda m: m.group(0).translate(_CN_DIGITS), rest)
    names: list[NameTerm] = []
    ids: list[tuple[str, ...]] = []
    certs: list[tuple[str, ...]] = []
    offices: list[tuple[str, ...]] = []
    kinds: list[str] = [Kind(kind).value] if kind else []
    statuses: list[str] = [RecordStatus(status).value] if status else []
    books: list[str] = [book] if book else []
    free: list[str] = []

    def take(pattern: re.Pattern[str], src: str, fn: object) -> str:
        def sub(m: re.Match[str]) -> str:
            fn(m)  # type: ignore[operator]
            return " "

        return pattern.sub(sub, src)

    def prefixed(m: re.Match[str]) -> None:
        key, value = m.group(1).lower(), m.group(2)
        if key == "kind":
            kinds.append(_KIND_WORDS.get(value.lower(), Kind(value.lower())).value)
        elif key == "status":
            statuses.append(RecordStatus(value.lower()).value)
        elif key in ("office", "登记机关"):
            offices.append(tuple(unique(grams(value))))
        elif key == "book":
            books.append(value)
        elif key == "id":
            forms = id_forms(value)
            if forms:
                ids.append(forms)
        elif key in ("cert", "证号"):
            certs.append(cert_keys(value)[:1])
        else:
            names.append(name_term(value))

    rest = take(_PREFIX_RE, rest, prefixed)
    # Certificate numbers before dates: "(1972)京婚字第123号" holds a year.
    kept: list[str] = []
    for token in rest.split():
        if _CERT_HINT_RE.search(token) and re.search(r"\d", token) and not _ID_RE.search(token):
            certs.append(cert_keys(token)[:1])
        else:
            kept.append(token)
    rest = " ".join(kept)
    rest = take(_ID_RE, rest, lambda m: ids.append(id_forms(m.group(1))))

    birth: list[int] = []
    rest = take(_BIRTH_RE, rest, lambda m: birth.append(int(m.group(1) or m.group(2))))
    age: list[int] = []
    rest = take(_AGE_RE, rest, lambda m: age.append(int(m.group(1) or m.group(2))))

    dates: list[DateRange] = []

    def date_range(m: re.Match[str]) -> None:
        a, b = _date_atom(m.group(1)), _date_atom(m.group(2))
        if a and b:
            dates.append(DateRange(min(a.lo, b.lo), max(a.hi, b.hi)))

    rest = take(_RANGE_RE, rest, date_range)

    def single(m: re.Match[str]) -> None:
        d = _date_atom(m.group(1))
        if d:
            dates.append(d)

    rest = take(_SINGLE_DATE_RE, rest, single)
    if date_from or date_to:
        lo = _date_atom(date_from) if date_from else None
        hi = _date_atom(date_to) if date_to else None
        dates.append(DateRange(lo.lo if lo else 0, hi.hi if hi else 99991231))

    latin: list[str] = []
    for token in rest.split():
        word = to_simplified(token.strip(",，、;；。"))
        if not word:
            continue
        if word.lower() in _KIND_WORDS:
            kinds.append(_KIND_WORDS[word.lower()].value)
        elif word in _STATUS_WORDS:
            statuses.append(_STATUS_WORDS[word].value)
        elif is_cjk(word) and len(word) >= 3 and word.endswith(_OFFICE_SUFFIXES):
            offices.append(tuple(unique(grams(word))))
        elif is_cjk(word) and 2 <= len(word) <= 4:
            names.append(name_term(token.strip(",，、;；。")))
        elif re.fullmatch(r"[A-Za-z\-']+", word):
            latin.append(word)
        else:
            free.extend(grams(word) if is_cjk(word) else [w for w in grams(word)])
    if latin:
        names.append(name_term(" ".join(latin)))
    if office:
        offices.append(tuple(unique(grams(office))))

    date = None
    if dates:
        date = DateRange(max(d.lo for d in dates), min(d.hi for d in dates))
    return SearchQuery(
        text=text,
        names=tuple(n for n in names if n.exact or n.pinyin),
        ids=tuple(i for i in ids if i),
        certs=tuple(c for c in certs if c),
        date=date,
        birth_years=(min(birth), max(birth)) if birth else None,
        ages=(min(age), max(age)) if age else None,
        offices=tuple(o for o in offices if o),
        kinds=tuple(unique(kinds)),
        statuses=tuple(unique(statuses)),
        books=tuple(unique(books)),
        free=tuple(_bigrams_only(unique(free))),
        limit=max(1, min(limit, MAX_LIMIT)),
        offset=max(0, offset),
        facets=facets,
    )


def _bigrams_only(tokens: list[str]) -> list[str]:
    """For multi-character words the bigrams imply the unigrams; keep the query small."""
    big = [t for t in tokens if len(t) == 2 and is_cjk(t)]
    covered = {c for b in big for c in b}
    return [t for t in tokens if t in big or t not in covered]
