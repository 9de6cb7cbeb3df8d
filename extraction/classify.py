"""Page type and record kind from titles, keywords and the shape of the labels.

Decisions are made on words a clerk would use to tell the pages apart: a cover
names a volume (卷, 档案, 全宗), a ledger is a 登记簿 or a header row over many
rows, stubs say 存根, a 1950s certificate is titled 結婚證/離婚證 in
traditional characters. Anything with too few labels bears no records, which
keeps covers and back sides from producing records.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from extraction.labels import OTHER
from extraction.layout import group_rows
from extraction.text import compact, simplify
from extraction.tokens import Token
from ocr.types import Line, OcrPage
from records.model import Kind, PageType

KIND_WORDS: tuple[tuple[str, Kind], ...] = (
    ("离婚", Kind.DIVORCE), ("收养", Kind.ADOPTION), ("送养", Kind.ADOPTION),
    ("结婚", Kind.MARRIAGE),
)
COVER_WORDS = ("卷", "档案", "全宗", "案卷", "目录", "卷宗", "保管期限", "立卷")
LEDGER_WORDS = ("登记簿", "登记册", "花名册", "登记薄", "登记名册")
STUB_WORDS = ("存根",)
CERT_TITLE = re.compile(r"^(结婚|离婚)(证|證)(书)?$")


@dataclass(frozen=True, slots=True)
class PageClass:
    page_type: PageType
    kind: Kind | None
    notes: tuple[str, ...] = ()


def is_title_line(line: Line, page_lines: Sequence[Line]) -> bool:
    """Titles are taller than body text or sit in the top fifth of the page."""
    hs = sorted(ln.bbox.height for ln in page_lines)
    med = hs[len(hs) // 2] if hs else 0.0
    return line.bbox.height > 1.3 * med or line.bbox.y1 < 0.2


def kind_from_text(lines: Sequence[Line]) -> Kind | None:
    """Kind by keywords, titles counting three times as much as body text."""
    scores: dict[Kind, float] = {}
    for ln in lines:
        text = compact(ln.text)
        weight = 3.0 if is_title_line(ln, lines) else 1.0
        for word, kind in KIND_WORDS:
            if word in text:
                scores[kind] = scores.get(kind, 0.0) + weight
                if kind is not Kind.MARRIAGE:
                    text = text.replace(word, "")
                break
    if not scores:
        return None
    return max(scores.items(), key=lambda kv: kv[1])[0]


def _traditional_ratio(text: str) -> float:
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 0.0
    return sum(1 for c in han if simplify(c) != c) / len(han)


def _header_like(tokens: Sequence[Token]) -> int:
    """Most field labels in one row with no value between them (a ledger header)."""
    best = 0
    for row in group_rows(tokens):
        labels = [t for t in row if t.is_field_label and t.label and t.label.field != OTHER]
        values = [t for t in row if t.is_value]
        if len(values) <= 1:
            best = max(best, len(labels))
    return best


def _label_rows_apart(tokens: Sequence[Token]) -> bool:
    """Rows of labels with value rows between them: a form with labels above values.

    A ledger prints its header once, at the top (one row, or two adjacent rows
    when party markers span the labels); a form drawn as a grid of label cells
    over value cells repeats label rows down the page.
    """
    rows = group_rows(tokens)
    kinds: list[str] = []
    for row in rows:
        labels = [t for t in row if t.is_field_label and t.label and t.label.field != OTHER]
        values = [t for t in row if t.is_value]
        if len(labels) >= 2 and len(values) <= 1:
            kinds.append("L")
        elif values:
            kinds.append("V")
    seq = "".join(kinds).lstrip("V")
    return "LV" in seq and "L" in seq[seq.index("LV") + 2:]


def classify_page(ocr: OcrPage, tokens: Sequence[Token], kind_hint: Kind | None = None,
                  book_kind: Kind | None = None) -> PageClass:
    """Page type and kind of one page (or half of a spread)."""
    lines = [ln for ln in ocr.lines if ln.text.strip()]
    text = "".join(compact(ln.text) for ln in lines)
    kind = kind_from_text(lines) or kind_hint or book_kind
    n_labels = sum(1 for t in tokens if t.is_field_label and t.label and t.label.field != OTHER)
    if len(text) < 4:
        return PageClass(PageType.BLANK, None)
    titles = [compact(ln.text) for ln in lines if is_title_line(ln, lines)]
    if any(w in text for w in STUB_WORDS) and n_labels >= 2:
        return PageClass(PageType.STUBS, kind)
    if any(CERT_TITLE.match(t) for t in titles) or (
            _traditional_ratio("".join(ln.text for ln in lines)) > 0.06 and n_labels < 3
            and any(w in text for w in ("婚", "收养"))):
        return PageClass(PageType.CERTIFICATE, kind, ("certificate: best-effort extraction",))
    if n_labels < 2:
        if any(w in text for w in COVER_WORDS):
            return PageClass(PageType.COVER, None)
        return PageClass(PageType.UNKNOWN, None)
    if any(w in t for t in titles for w in LEDGER_WORDS):
        return PageClass(PageType.LEDGER, kind)
    if _header_like(tokens) >= 4 and not _label_rows_apart(tokens):
        return PageClass(PageType.LEDGER, kind)
    if n_labels < 3 and any(w in text for w in COVER_WORDS):
        return PageClass(PageType.COVER, None)
    return PageClass(PageType.FORM, kind)
