"""1950s certificates (結婚證 / 離婚證): prose, often vertical, traditional script.

There are no labels to pair with values; the text follows a formula
(``男 吳國慶 年 二十二 歲``, ``津和婚字第0181號``). This reader matches the
formula on each OCR line. It is best effort: every field it finds is sent to
review by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extraction.candidates import Candidate
from extraction.labels import Party, simplify_chars
from extraction.tokens import Token
from ocr.types import Line

_PERSON = re.compile(
    r"(男|女)方?[:：]?\s*(\S{2,5}?)\s*年\s*([〇零一二三四五六七八九十\d]{1,4})\s*岁")
_CERT_NO = re.compile(r"\S*字第?\s*\S+号")
_DATE = re.compile(r"[〇零一二三四五六七八九\d]{2,4}年\S{1,3}月(\S{1,3}日)?")
_OFFICE = ("委员会", "人民政府", "登记处", "公所", "民政局")


def _tok(line: Line, text: str) -> Token:
    return Token(text, line.bbox, line.confidence, None)


def read_certificate(lines: Sequence[Line]) -> list[Candidate]:
    """Candidates from the certificate formula; empty when nothing matches."""
    out: list[Candidate] = []
    for line in lines:
        s = simplify_chars(line.text)
        for m in _PERSON.finditer(s):
            party = Party.MALE if m.group(1) == "男" else Party.FEMALE
            name = line.text[m.start(2):m.end(2)]
            age = line.text[m.start(3):m.end(3)]
            out.append(Candidate(party, "name", (_tok(line, name),), via="right"))
            out.append(Candidate(party, "age", (_tok(line, age),), via="right"))
        if "岁" in s:
            continue
        if (cm := _CERT_NO.search(s)) is not None:
            out.append(Candidate(None, "certificate_no",
                                 (_tok(line, line.text[cm.start():cm.end()]),), via="right"))
        elif (dm := _DATE.search(s)) is not None:
            out.append(Candidate(None, "registration_date",
                                 (_tok(line, line.text[dm.start():dm.end()]),), via="right"))
        elif any(w in s for w in _OFFICE):
            out.append(Candidate(None, "registry_office", (_tok(line, line.text),), via="right"))
    return out
