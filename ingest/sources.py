"""Open a scan file and yield its pages as encoded images.

PDFs of scans carry one image per page: that image is taken out as it is stored
(a JPEG stays the same JPEG bytes) so nothing is lost to re-encoding. Pages that
are not a single image are rendered with PDFium (faster than poppler's pdftoppm
here; see ``scripts/bench_pdf_render.py`` and the README).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from ingest.errors import IngestError

RENDER_DPI = 300


@dataclass(frozen=True, slots=True)
class SourcePage:
    """One page of a source file, encoded, ready to be stored."""

    page_no: int  # 1-based within the file
    data: bytes
    ext: str  # ".jpg", ".png", ".tif"
    width: int
    height: int
    dpi: float | None
    how: str  # how the image was obtained: embedded image, rendering, TIFF frame, file
    exif_orientation: int = 1


@dataclass(frozen=True, slots=True)
class Limits:
    max_pixels: int = 150_000_000
    min_side: int = 200


MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
SUPPORTED = "PDF, TIFF, JPEG or PNG"


def sniff_media_type(path: Path) -> str:
    """The media type from the file's first bytes (extensions lie)."""
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{path.name} is empty (0 bytes)",
                          "copy the file again from the scanner or re-scan the book")
    with path.open("rb") as f:
        head = f.read(1024)
    for magic, media in MAGIC:
        if head.startswith(magic) or (magic == b"%PDF" and magic in head):
            return media
    raise IngestError(f"{path.name} is not a supported scan type",
                      f"convert it to {SUPPORTED} and ingest it again")


def iter_pages(path: Path, media_type: str, limits: Limits) -> Iterator[SourcePage]:
    if media_type == "application/pdf":
        yield from _pdf_pages(path, limits)
    elif media_type == "image/tiff":
        yield from _tiff_pages(path, limits)
    else:
        yield _single_image(path, limits)


def _check_size(name: str, width: int, height: int, limits: Limits) -> None:
    if min(width, height) < limits.min_side:
        raise IngestError(
            f"{name} is {width}×{height} px, too small to be a scanned page",
            f"re-scan at 300 dpi (pages must be at least {limits.min_side} px on each side)")
    if width * height > limits.max_pixels:
        raise IngestError(
            f"{name} is {width}×{height} px ({width * height / 1e6:.0f} Mpx), over the "
            f"{limits.max_pixels / 1e6:.0f} Mpx limit",
            "scan at 300–400 dpi, or split the image, or raise DANGAN_MAX_IMAGE_PIXELS")


def _open_image(path_or_buf: Path | io.BytesIO, name: str, limits: Limits) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = None  # we apply our own limit, with a clearer message
    try:
        img = Image.open(path_or_buf)
    except UnidentifiedImageError as e:
        raise IngestError(f"{name} cannot be read as an image",
                          f"check the file is a complete {SUPPORTED} and re-scan if not") from e
    _check_size(name, img.width, img.height, limits)
    return img


def _single_image(path: Path, limits: Limits) -> SourcePage:
    img = _open_image(path, path.name, limits)
    try:
        img.load()
    except (OSError, SyntaxError) as e:
        raise IngestError(f"{path.name} is truncated or corrupt ({e})",
                          "copy the file again or re-scan the page") from e
    orientation = int(img.getexif().get(0x0112, 1) or 1)
    dpi = _pil_dpi(img)
    fmt = img.format or "PNG"
    if _has_alpha(img):
        flat = _flatten(ImageOps.exif_transpose(img))
        return SourcePage(1, _encode_png(flat), ".png", flat.width, flat.height, dpi,
                          "file+flatten_alpha", exif_orientation=orientation)
    if orientation == 1:
        ext = ".jpg" if fmt == "JPEG" else ".png"
        data = path.read_bytes() if fmt in ("JPEG", "PNG") else _encode_png(img)
        return SourcePage(1, data, ext, img.width, img.height, dpi, "file")
    upright = ImageOps.exif_transpose(img)
    return SourcePage(1, _encode_png(upright), ".png", upright.width, upright.height, dpi,
                      "file+exif_transpose", exif_orientation=orientation)


def _tiff_pages(path: Path, limits: Limits) -> Iterator[SourcePage]:
    img = _open_image(path, path.name, limits)
    try:
        for i, frame in enumerate(ImageSequence.Iterator(img), start=1):
            _check_size(f"{path.name} page {i}", frame.width, frame.height, limits)
            frame.load()
            flat = _flatten(frame) if _has_alpha(frame) else frame
            yield SourcePage(i, _encode_png(flat), ".png", frame.width, frame.height,
                             _pil_dpi(frame), "tiff-frame")
    except (OSError, SyntaxError, EOFError) as e:
        raise IngestError(f"{path.name} is a truncated or corrupt TIFF ({e})",
                          "copy the file again or re-scan the book") from e


def _pdf_pages(path: Path, limits: Limits) -> Iterator[SourcePage]:
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as e:
        raise IngestError(
            f"{path.name} is a password-protected PDF",
            "decrypt it (qpdf --decrypt --password=PASSWORD in.pdf out.pdf) and ingest the copy",
        ) from e
    except pikepdf.PdfError as e:
        raise IngestError(f"{path.name} is a corrupt or truncated PDF ({e})",
                          "re-export it from the scanner software (qpdf --check shows the damage)"
                          ) from e
    with pdf:
        if len(pdf.pages) == 0:
            raise IngestError(f"{path.name} has no pages", "re-export the PDF from the scanner")
        for i, page in enumerate(pdf.pages, start=1):
            try:
                sp = _pdf_embedded_image(page, i, limits, path.name)
            except IngestError:
                raise
            except Exception:
                sp = None
            yield sp or _render_pdf_page(path, i, limits)


def _pdf_embedded_image(page: object, page_no: int, limits: Limits, name: str
                        ) -> SourcePage | None:
    """The page's single scan image, bytes as stored, or None when it is not that simple."""
    import pikepdf

    images = list(page.get_images().values())  # type: ignore[attr-defined]
    if len(images) != 1:
        return None
    pdfimage = pikepdf.PdfImage(images[0])
    _check_size(f"{name} page {page_no}", pdfimage.width, pdfimage.height, limits)
    buf = io.BytesIO()
    ext = pdfimage.extract_to(stream=buf)
    data = buf.getvalue()
    if ext not in (".jpg", ".png"):
        with Image.open(io.BytesIO(data)) as im:
            data, ext = _encode_png(im), ".png"
    box = page.mediabox  # type: ignore[attr-defined]
    width_in = float(box[2] - box[0]) / 72.0
    dpi = pdfimage.width / width_in if width_in > 0 else None
    return SourcePage(page_no, data, ext, pdfimage.width, pdfimage.height, dpi,
                      f"pdf-embedded{ext}")


def _render_pdf_page(path: Path, page_no: int, limits: Limits) -> SourcePage:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
        page = doc[page_no - 1]
        bitmap = page.render(scale=RENDER_DPI / 72.0, grayscale=False)
        img = bitmap.to_pil()
    except pdfium.PdfiumError as e:
        raise IngestError(f"{path.name} page {page_no} cannot be rendered ({e})",
                          "re-export the PDF from the scanner software") from e
    _check_size(f"{path.name} page {page_no}", img.width, img.height, limits)
    return SourcePage(page_no, _encode_png(img), ".png", img.width, img.height,
                      float(RENDER_DPI), "pdf-rendered")


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)


def _flatten(img: Image.Image) -> Image.Image:
    """Put transparent pixels on a background that contrasts with the ink.

    Decoders drop alpha and leave whatever colour hides under it (often black), so
    black text vanishes; light text on transparency gets a dark background instead.
    """
    rgba = img.convert("RGBA")
    arr = np.asarray(rgba)
    opaque = arr[..., 3] > 128
    ink_grey = float(arr[..., :3][opaque].mean()) if opaque.any() else 0.0
    shade = 0 if ink_grey > 160 else 255
    paper = Image.new("RGBA", rgba.size, (shade, shade, shade, 255))
    return Image.alpha_composite(paper, rgba).convert("RGB")


def _encode_png(img: Image.Image) -> bytes:
    if img.mode not in ("L", "RGB", "1"):
        img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _pil_dpi(img: Image.Image) -> float | None:
    dpi = img.info.get("dpi")
    if dpi and dpi[0]:
        try:
            return float(dpi[0])
        except (TypeError, ValueError):
            return None
    return None
