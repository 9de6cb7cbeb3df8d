"""CJK fonts for the generator, located once and cached per size.

Printed labels use Song/Hei faces (Noto, AR PL UMing, WenQuanYi); handwritten
values use AR PL UKai, a brush face that is the closest free stand-in for a
clerk's hand. Debian paths are tried first, ``fc-match`` second.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


@dataclass(frozen=True, slots=True)
class FontFace:
    """A face inside a font file (``.ttc`` collections hold several)."""

    family: str
    path: str
    index: int


FACES: dict[str, FontFace] = {
    "serif_sc": FontFace("Noto Serif CJK SC",
                         "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    "serif_tc": FontFace("Noto Serif CJK TC",
                         "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 3),
    "sans_sc": FontFace("Noto Sans CJK SC",
                        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    "bold_sc": FontFace("Noto Sans CJK SC",
                        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    "ming_cn": FontFace("AR PL UMing CN", "/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "ming_tw": FontFace("AR PL UMing TW", "/usr/share/fonts/truetype/arphic/uming.ttc", 2),
    "kai_cn": FontFace("AR PL UKai CN", "/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    "kai_tw": FontFace("AR PL UKai TW", "/usr/share/fonts/truetype/arphic/ukai.ttc", 2),
    "hei": FontFace("WenQuanYi Zen Hei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
}

HAND_FACES = ("kai_cn", "kai_tw")
PRINT_FACES = ("serif_sc", "sans_sc", "ming_cn", "hei")


class FontNotFoundError(RuntimeError):
    """A CJK font the generator needs is not installed."""

    def __init__(self, family: str) -> None:
        super().__init__(
            f"font {family!r} not found: install fonts-noto-cjk, fonts-arphic-ukai, "
            "fonts-arphic-uming and fonts-wqy-zenhei"
        )


def _fc_match(family: str) -> str | None:
    if shutil.which("fc-match") is None:
        return None
    out = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True,
                         text=True, check=False)
    return out.stdout.strip() or None


@cache
def face_path(key: str) -> tuple[str, int]:
    """File and collection index of face ``key``."""
    face = FACES[key]
    if Path(face.path).exists():
        return face.path, face.index
    found = _fc_match(face.family)
    if found is None or not Path(found).exists():
        raise FontNotFoundError(face.family)
    return found, face.index if found.endswith(".ttc") else 0


@lru_cache(maxsize=512)
def font(key: str, size: int) -> ImageFont.FreeTypeFont:
    """Face ``key`` at ``size`` pixels (em size)."""
    path, index = face_path(key)
    return ImageFont.truetype(path, max(8, int(size)), index=index)


def _render(key: str, ch: str) -> bytes:
    im = Image.new("L", (48, 48))
    ImageDraw.Draw(im).text((4, 4), ch, font=font(key, 36), fill=255)
    return im.tobytes()


def missing_glyphs(key: str, text: str) -> set[str]:
    """Characters of ``text`` that face ``key`` draws as the .notdef box."""
    notdef = _render(key, "\ue000")
    return {ch for ch in set(text) if not ch.isspace() and _render(key, ch) == notdef}
