"""Label vocabulary and fuzzy label matching.

Forms are read by their printed labels, not by position, so that an unseen
layout that uses the same words still works. A label is parsed as an optional
*party prefix* (男方, 女方, 收养人, ...) followed by a *field label* (姓名,
出生日期, ...); a party prefix on its own is a *marker* (a column or section
header). OCR damages labels (婚/姻 swapped, a dropped character), so labels of
three or more characters also match at edit distance one; two-character labels
match exactly or through a short list of known OCR confusions, because a fuzzy
two-character match would swallow ordinary values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import Levenshtein

from extraction.text import SEPARATORS, simplify


class Party(StrEnum):
    MALE = "male"
    FEMALE = "female"
    ADOPTER = "adopter"
    ADOPTER_SPOUSE = "adopter_spouse"
    ADOPTEE = "adoptee"
    RELINQUISHER = "relinquisher"


OTHER = "other"  # a label we recognise as a label but do not extract

#: generic field -> printed variants (simplified characters, no punctuation)
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "registration_date": (
        "登记日期", "结婚登记日期", "离婚登记日期", "收养登记日期", "离婚日期", "结婚日期",
        "收养日期", "登记时间", "日期", "婚姻登记日期",
    ),
    "certificate_no": (
        "结婚证字号", "离婚证字号", "收养证字号", "证字号", "证号", "字号", "结婚证号",
        "离婚证号", "收养证号", "证书编号", "证书号", "结婚证编号", "离婚证编号",
        "收养登记证号", "证件字号",
    ),
    "registry_office": (
        "登记机关", "婚姻登记机关", "登记单位", "收养登记机关", "发证机关", "登记机构",
    ),
    "name": ("姓名", "名字"),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "出生时间", "生日"),
    "age": ("年龄", "年岁", "岁数"),
    "id_number": (
        "身份证件号", "公民身份号码", "身份证号", "身份证号码", "身份证件号码", "身份号码",
        "证件号码", "居民身份证号码", "居民身份证号",
    ),
    "ethnicity": ("民族",),
    "native_place": ("籍贯", "原籍"),
    "address": (
        "住址", "常住户口所在地", "户籍所在地", "家庭住址", "户口所在地", "现住址", "住所",
        "现住地址", "居住地址", "常住地址",
    ),
    "occupation": (
        "职业", "工作单位", "职业或工作单位", "服务处所", "工作单位及职务", "职业及工作单位",
        "单位",
    ),
    "gender": ("性别",),
    OTHER: (
        "备注", "序号", "编号", "号数", "签名", "签章", "盖章", "审查意见", "处理意见", "经办人",
        "承办人", "登记员", "照片", "附件", "文化程度", "婚姻状况", "婚否", "健康状况",
        "联系电话", "电话", "收养原因", "与收养人关系", "结婚原因", "离婚原因", "介绍人",
        "证明人", "申请人", "当事人", "审批人", "负责人", "年月日",
    ),
}

#: two-character labels as OCR tends to misread them
CONFUSIONS: dict[str, str] = {
    "藉贯": "native_place", "籍惯": "native_place", "籍货": "native_place",
    "住扯": "address", "住趾": "address", "佳址": "address",
    "年令": "age", "年铃": "age", "年給": "age",
    "姓各": "name", "娃名": "name", "姓吕": "name",
    "民旅": "ethnicity", "民挨": "ethnicity",
    "职亚": "occupation", "取业": "occupation",
    "性刷": "gender", "姓别": "gender",
}

#: party prefixes, longest first so 被收养人 wins over 收养人
PARTY_PREFIXES: tuple[tuple[str, Party], ...] = (
    ("被收养人", Party.ADOPTEE), ("收养人配偶", Party.ADOPTER_SPOUSE),
    ("收养人", Party.ADOPTER), ("送养人", Party.RELINQUISHER), ("配偶", Party.ADOPTER_SPOUSE),
    ("被收养", Party.ADOPTEE), ("送养", Party.RELINQUISHER),
    ("男方", Party.MALE), ("女方", Party.FEMALE), ("男", Party.MALE), ("女", Party.FEMALE),
)
MARKER_SUFFIXES = ("基本情况", "情况", "信息", "项目")
#: short labels that practically never occur inside a value, so they may end one
INNER_OK = frozenset({"籍贯", "年龄", "姓名", "性别", "住址", "字号", "证号"})

_VARIANTS: tuple[tuple[str, str], ...] = tuple(
    sorted(
        ((v, f) for f, vs in FIELD_LABELS.items() for v in vs),
        key=lambda p: -len(p[0]),
    )
)


@dataclass(frozen=True, slots=True)
class LabelMatch:
    """A label found at ``text[start:end]``.

    ``field`` is None for a bare party marker; ``strong`` says the match is
    unambiguous enough to be recognised even in the middle of value text.
    """

    field: str | None
    party: Party | None
    start: int
    end: int
    score: float
    strong: bool

    @property
    def is_marker(self) -> bool:
        return self.field is None and self.party is not None


def simplify_chars(text: str) -> str:
    """Per-character t2s so that indices into the result are indices into ``text``."""
    out = []
    for ch in text:
        s = simplify(ch)
        out.append(s[0] if len(s) == 1 else ch)
    return "".join(out)


def _field_at(s: str, i: int, fuzzy: bool) -> tuple[str, int, float] | None:
    """Longest field label starting at ``s[i]``: (field, end, score)."""
    for variant, fld in _VARIANTS:
        if s.startswith(variant, i):
            return fld, i + len(variant), 1.0
    two = s[i:i + 2]
    if two in CONFUSIONS:
        return CONFUSIONS[two], i + 2, 0.9
    if not fuzzy:
        return None
    best: tuple[str, int, float] | None = None
    for variant, fld in _VARIANTS:
        n = len(variant)
        if n < 3:
            continue
        for m in (n, n - 1, n + 1):
            window = s[i:i + m]
            if len(window) < m or (window[0] != variant[0] and window[-1] != variant[-1]):
                continue
            if Levenshtein.distance(window, variant) <= 1:
                score = 0.85 if m == n else 0.8
                if best is None or (score, m) > (best[2], best[1] - i):
                    best = (fld, i + m, score)
    return best


def _is_boundary(s: str, j: int) -> bool:
    return j >= len(s) or s[j] in SEPARATORS or s[j].isspace()


def match_label_at(text: str, i: int = 0, *, fuzzy: bool = True) -> LabelMatch | None:
    """Parse ``[party prefix] field label`` or a bare marker at ``text[i]``."""
    s = simplify_chars(text)
    for prefix, party in PARTY_PREFIXES:
        if not s.startswith(prefix, i):
            continue
        j = i + len(prefix)
        while j < len(s) and s[j] in "的之":
            j += 1
        hit = _field_at(s, j, fuzzy=fuzzy and len(prefix) > 1)
        if hit is not None and hit[0] != OTHER:
            fld, end, score = hit
            if len(prefix) == 1 and score < 1.0:
                continue
            return LabelMatch(fld, party, i, end, score, strong=True)
        for suffix in MARKER_SUFFIXES:
            if s.startswith(suffix, j):
                j += len(suffix)
                break
        if _is_boundary(s, j):
            return LabelMatch(None, party, i, j, 1.0, strong=len(prefix) > 1)
    hit = _field_at(s, i, fuzzy=fuzzy)
    if hit is None:
        return None
    fld, end, score = hit
    strong = score == 1.0 and (end - i >= 4 or _is_boundary(s, end))
    return LabelMatch(fld, None, i, end, score, strong)


def find_labels(text: str) -> list[LabelMatch]:
    """All labels in one OCR line, left to right.

    A label is accepted at the start of the line or after a separator (fuzzy
    allowed there); inside running text only an exact label followed by a
    colon, or an exact label of four or more characters, or an exact
    party-prefixed label, is accepted, so that 民族路 in an address stays a value.
    """
    out: list[LabelMatch] = []
    i = 0
    s = simplify_chars(text)
    n = len(s)
    while i < n:
        if s[i] in SEPARATORS or s[i].isspace():
            i += 1
            continue
        at_start = i == 0 or s[i - 1] in SEPARATORS or s[i - 1].isspace()
        m = match_label_at(text, i, fuzzy=at_start)
        if m is not None and not at_start:
            colon = m.end < n and s[m.end] in ":："
            long_exact = m.score == 1.0 and (m.end - m.start >= 4)
            prefixed = m.party is not None and m.field is not None and m.score == 1.0 and (
                m.end - m.start >= 4
            )
            inner = m.score == 1.0 and s[m.start:m.end] in INNER_OK
            if not (colon or long_exact or prefixed or inner):
                m = None
        if m is None:
            sm = _spaced_label(s, i)
            if sm is not None and (at_start or (sm.end < n and s[sm.end] in ":：")):
                m = sm
        if m is not None:
            out.append(m)
            i = m.end
        else:
            i += 1
    return out


def _spaced_label(s: str, i: int) -> LabelMatch | None:
    """An exact label printed with spaces between its characters (姓　　名, 民 族) at ``s[i]``.

    ``s`` is already simplified. The label must end at a separator, a space
    or the end of the line, and must actually span a space.
    """
    idx = [i]
    j = i + 1
    while len(idx) < 5 and j < len(s):
        k = j
        while k < len(s) and s[k].isspace():
            k += 1
        if k >= len(s) or s[k] in SEPARATORS or k - j > 3:
            break
        idx.append(k)
        j = k + 1
    if len(idx) < 2 or idx[-1] - idx[0] + 1 == len(idx):
        return None
    m = match_label_at("".join(s[p] for p in idx), 0, fuzzy=False)
    if m is None or m.score < 1.0 or m.end < 2 or (m.field is None and m.party is None):
        return None
    last = idx[m.end - 1]
    if last - i + 1 == m.end or not _is_boundary(s, last + 1):
        return None  # no space inside the label: the plain matcher's business
    return LabelMatch(m.field, m.party, i, last + 1, 1.0, strong=True)
