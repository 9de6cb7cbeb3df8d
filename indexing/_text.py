"""Text keys shared by the indexed document and the query: one implementation, both sides.

Both backends match *pre-computed keys* (exact form, simplified form, toneless
pinyin, one-character masks, bigrams, ID forms, certificate keys), never an
engine's own analyzer. That is why the embedded and the Elasticsearch backend
return the same hits in the same order: the tokens are made here, once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import opencc
from pypinyin import Style, pinyin

from records.idnum import clean_id_number
from records.normalize import id15_to_18, to_simplified
from records.normalize import normalize_text as _normalize_text

__all__ = [
    "MASK",
    "cert_keys",
    "date_bounds",
    "grams",
    "id_forms",
    "mask_keys",
    "normalize_text",
    "pinyin_keys",
    "to_simplified",
    "to_traditional",
]

# Placeholder for "any one character" in a mask key. A Latin letter, so that
# SQLite's unicode61 tokenizer keeps "王x国" as one token.
MASK = "x"

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_WORD_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+|[0-9A-Za-z]+")


@lru_cache(maxsize=262144)
def normalize_text(raw: str) -> str:
    """Cached: names and offices repeat across records, and OpenCC dominates indexing time."""
    return _normalize_text(raw)


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    """Simplified → traditional, to reach records whose *written* form is traditional."""
    return _s2t().convert(text)


def is_cjk(text: str) -> bool:
    return bool(text) and all(_CJK_RE.fullmatch(c) for c in text)


# Surnames whose reading differs from the character's everyday reading. pypinyin
# reads 单 as "dan"; as a surname it is "shan". A registrar who only heard the
# name spoken types the homophone, so the surname reading is what must match.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan", "曾": "zeng", "仇": "qiu", "解": "xie", "区": "ou", "查": "zha",
    "朴": "piao", "盖": "ge", "乐": "yue", "覃": "qin", "翟": "zhai", "繁": "po",
    "员": "yun", "黑": "he", "缪": "miao", "种": "chong", "秘": "bi", "折": "she",
    "尉": "yu", "宿": "su", "召": "shao", "长": "chang", "重": "chong", "沈": "shen",
    "柏": "bai", "薄": "bo", "卜": "bu", "牟": "mou", "葛": "ge", "纪": "ji",
    "华": "hua", "任": "ren", "冼": "xian", "藏": "zang", "句": "gou", "郇": "huan",
    "相": "xiang", "隗": "wei", "都": "du", "莘": "shen", "眭": "sui", "阚": "kan",
}


@lru_cache(maxsize=65536)
def _readings(char: str) -> tuple[str, ...]:
    got = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys(got[0])) if got and got[0] else ()


@lru_cache(maxsize=262144)
def pinyin_keys(name: str) -> tuple[str, ...]:
    """Toneless pinyin keys of a name: surname reading from the table, else each reading.

    Given-name characters take their default (most common) reading, so a name
    yields one key, or a few when its surname character has several readings.
    """
    name = to_simplified(name)
    if not name or not is_cjk(name):
        return ()
    surname, given = name[0], name[1:]
    heads = (
        (SURNAME_READINGS[surname],) if surname in SURNAME_READINGS else _readings(surname)[:3]
    )
    tail = "".join((_readings(c) or ("",))[0] for c in given)
    return tuple(dict.fromkeys(_fold_u(h + tail) for h in heads if h))


def _fold_u(key: str) -> str:
    """ü is written v (pypinyin, keyboards) or u (on ID cards, "Lu"): one key for both."""
    return key.replace("v", "u")


def pinyin_from_latin(text: str) -> str:
    """A pinyin query typed in Latin letters: "Wang Jian-guo" → "wangjianguo"."""
    folded = unicodedata.normalize("NFKD", text)
    return _fold_u("".join(c for c in folded.lower() if "a" <= c <= "z"))


def mask_keys(name: str) -> tuple[str, ...]:
    """Every form of ``name`` with one character replaced by MASK.

    Two names of equal length that differ in at most one character share a key,
    which makes "one character misread by OCR" an exact-term lookup.
    """
    if len(name) < 2:
        return ()
    return tuple(name[:i] + MASK + name[i + 1 :] for i in range(len(name)))


@lru_cache(maxsize=262144)
def grams(text: str) -> tuple[str, ...]:
    """Unigrams and bigrams of each CJK run; Latin/digit runs as lowercase words.

    SQLite's ``trigram`` tokenizer cannot match a two-character name, and this
    Elasticsearch distribution has no ``cjk`` analyzer, so both get these.
    """
    out: list[str] = []
    for run in _WORD_RE.findall(normalize_text(text)):
        if _CJK_RE.match(run):
            out.extend(run)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run.lower())
    return tuple(out)


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def id_forms(raw: str) -> tuple[str, ...]:
    """The 18- and 15-character forms of an ID number (the 15-digit form drops "19" and
    the check digit), so either form finds the other. Empty if ``raw`` is no ID."""
    number = clean_id_number(raw)
    if re.fullmatch(r"\d{15}", number):
        return (id15_to_18(number), number)
    if re.fullmatch(r"\d{17}[\dX]", number):
        forms = [number]
        if number[6:8] == "19":
            forms.append(number[:6] + number[8:17])
        return tuple(forms)
    return ()


_CERT_DROP_RE = re.compile(r"[第号號]|No\.?|NO\.?|no\.?")
_BRACKET_GROUP_RE = re.compile(r"^[(\[{（〔【［｛<《]\s*[^)\]}）〕】］｝>》]*[)\]}）〕】］｝>》]")


def cert_keys(raw: str) -> tuple[str, ...]:
    """Keys of a certificate number that ignore punctuation, brackets, 第/号 and leading zeros.

    "(72)京婚字第0123号", "72京婚字123" and "〔72〕京婚字第123號" share a key. The second
    key drops a leading bracketed year so "京婚字第123号" still finds the record.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return ()
    keys = [_cert_key(text)]
    stripped = _BRACKET_GROUP_RE.sub("", text)
    if stripped != text:
        keys.append(_cert_key(stripped))
    return tuple(unique(keys))


def _cert_key(text: str) -> str:
    text = to_simplified(_CERT_DROP_RE.sub("", text))
    runs = _WORD_RE.findall(text)
    return "".join(r.lstrip("0") or "0" if r.isdigit() else r.upper() for r in runs)


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def date_bounds(value: str) -> tuple[int, int] | None:
    """A canonical date (YYYY, YYYY-MM or YYYY-MM-DD) as an inclusive yyyymmdd range."""
    m = _DATE_RE.match(value.strip())
    if not m:
        return None
    year = int(m.group(1))
    if m.group(2) is None:
        return year * 10000 + 101, year * 10000 + 1231
    month = int(m.group(2))
    if m.group(3) is None:
        return year * 10000 + month * 100 + 1, year * 10000 + month * 100 + 31
    day = int(m.group(3))
    return (year * 10000 + month * 100 + day,) * 2
