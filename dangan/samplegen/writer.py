"""Writing scans and truth to disk.

PDFs embed each page as a JPEG via img2pdf (no re-encoding), so ingest can pull
the page images out losslessly, as with real scanner PDFs. TIFFs are multi-page
with JPEG compression; ``jpeg``/``png`` write one file per page.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import img2pdf
from PIL import Image

FORMATS: tuple[str, ...] = ("pdf", "tiff", "jpeg", "png")
SINGLE_PAGE_FORMATS = frozenset({"jpeg", "png"})
EXTENSIONS = {"pdf": ".pdf", "tiff": ".tif", "jpeg": ".jpg", "png": ".png"}
JPEG_QUALITY = 88


class UnknownFormatError(ValueError):
    """An output format the writer does not support."""

    def __init__(self, fmt: str) -> None:
        super().__init__(f"unknown file format {fmt!r}; choose from {', '.join(FORMATS)}")


@dataclass(frozen=True, slots=True)
class ScanPage:
    """A finished page image with the resolution it was "scanned" at."""

    image: Image.Image
    dpi: int


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UnknownFormatError(fmt)
    return fmt


def _jpeg_bytes(page: ScanPage) -> bytes:
    buf = io.BytesIO()
    page.image.convert("RGB").save(buf, format="JPEG", quality=JPEG_QUALITY,
                                   dpi=(page.dpi, page.dpi))
    return buf.getvalue()


def write_pdf(path: Path, pages: Sequence[ScanPage]) -> Path:
    """Multi-page PDF, page size from each page's dpi."""
    path.write_bytes(img2pdf.convert([_jpeg_bytes(p) for p in pages]))
    return path


def write_tiff(path: Path, pages: Sequence[ScanPage]) -> Path:
    """Multi-page JPEG-compressed TIFF (noise makes LZW files several times larger)."""
    first, *rest = (p.image.convert("RGB") for p in pages)
    first.save(path, save_all=True, append_images=rest, compression="tiff_jpeg",
               quality=JPEG_QUALITY, dpi=(pages[0].dpi, pages[0].dpi))
    return path


def write_single(path: Path, page: ScanPage, fmt: str) -> Path:
    """One page as JPEG or PNG."""
    if fmt == "jpeg":
        path.write_bytes(_jpeg_bytes(page))
    else:
        page.image.save(path, format="PNG", dpi=(page.dpi, page.dpi))
    return path


def write_book(directory: Path, stem: str, pages: Sequence[ScanPage], fmt: str) -> list[Path]:
    """Write one book's pages; returns the file per page (several pages may share one)."""
    check_format(fmt)
    if fmt in SINGLE_PAGE_FORMATS:
        return [write_single(directory / f"{stem}-{i:03d}{EXTENSIONS[fmt]}", p, fmt)
                for i, p in enumerate(pages, start=1)]
    path = directory / f"{stem}{EXTENSIONS[fmt]}"
    (write_pdf if fmt == "pdf" else write_tiff)(path, pages)
    return [path] * len(pages)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """UTF-8 JSON Lines, Chinese kept readable; returns the number of lines."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
