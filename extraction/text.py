"""Small text helpers shared by the extraction modules.

Label matching works on a *simplified, punctuation-free* form of the OCR text,
so that 結婚證 and 结婚证, or 姓名： and 姓名, compare equal. The value text that
is handed to normalization is never altered here: it keeps the characters as
written (``original``).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

SEPARATORS = frozenset(":：;；,，、.。 \t·・()（）[]【】|丨/")
PLACEHOLDERS = frozenset("〇×□囗╳✕✗Xx?？")


@lru_cache(maxsize=1)
def _converter() -> object | None:
    """OpenCC is optional at import time so that a broken install only costs t2s."""
    try:
        import opencc

        return opencc.OpenCC("t2s")
    except Exception:  # pragma: no cover - depends on the environment
        return None


@lru_cache(maxsize=65536)
def simplify(text: str) -> str:
    """NFKC + traditional→simplified; used to compare labels and titles only."""
    text = unicodedata.normalize("NFKC", text)
    conv = _converter()
    if conv is not None:
        text = conv.convert(text)  # type: ignore[attr-defined]
    return text


def compact(text: str) -> str:
    """Simplified text with whitespace and separators removed (for keyword search)."""
    return "".join(ch for ch in simplify(text) if ch not in SEPARATORS and not ch.isspace())


def char_weight(ch: str) -> float:
    """Rough rendered width of one character in ems; CJK glyphs are square."""
    if ch.isspace():
        return 0.35
    if ord(ch) < 0x2E80:
        return 0.55
    return 1.0


def char_offsets(text: str) -> list[float]:
    """Cumulative left edge of each character as a fraction of the line width.

    OCR lines often come without per-character boxes; CJK text is close to
    monospaced, so proportional offsets are good enough to cut a merged
    ``label+value`` line at the right x.
    """
    weights = [char_weight(c) for c in text]
    total = sum(weights) or 1.0
    out = [0.0]
    acc = 0.0
    for w in weights:
        acc += w
        out.append(acc / total)
    return out


def strip_separators(text: str) -> str:
    """Trim separators and whitespace at both ends of a value."""
    return text.strip("".join(SEPARATORS) + " \t\u3000")
