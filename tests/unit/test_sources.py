"""Opening scan files: good files give pages, bad files give one clear line."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import img2pdf
import pikepdf
import pytest
from PIL import Image

from ingest.errors import IngestError
from ingest.sources import Limits, SourcePage, iter_pages, sniff_media_type


def jpeg_bytes(w: int = 600, h: int = 800, color: int = 200) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (color, color, color)).save(buf, "JPEG", dpi=(300, 300))
    return buf.getvalue()


def pages(path: Path, limits: Limits | None = None) -> list[SourcePage]:
    return list(iter_pages(path, sniff_media_type(path), limits or Limits()))


def one_line(err: IngestError) -> str:
    text = str(err)
    assert "\n" not in text and ": " in text
    return text


def test_pdf_embedded_jpeg_is_taken_losslessly(tmp_path: Path) -> None:
    imgs = [jpeg_bytes(color=c) for c in (180, 200, 220)]
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(img2pdf.convert(imgs, layout_fun=img2pdf.get_fixed_dpi_layout_fun((300, 300))))
    got = pages(pdf)
    assert [p.page_no for p in got] == [1, 2, 3]
    assert [p.data for p in got] == imgs  # the very same JPEG bytes
    assert all(p.ext == ".jpg" and abs((p.dpi or 0) - 300) < 1 for p in got)


def test_multipage_tiff(tmp_path: Path) -> None:
    frames = [Image.new("L", (400, 500), v) for v in (10, 128, 250)]
    tif = tmp_path / "book.tif"
    frames[0].save(tif, save_all=True, append_images=frames[1:], dpi=(300, 300))
    got = pages(tif)
    assert len(got) == 3
    assert Image.open(io.BytesIO(got[1].data)).getpixel((5, 5)) == 128


def test_exif_rotated_jpeg_is_turned_upright(tmp_path: Path) -> None:
    img = Image.new("RGB", (800, 400), "white")
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    path = tmp_path / "p.jpg"
    img.save(path, "JPEG", exif=exif)
    [page] = pages(path)
    assert (page.width, page.height) == (400, 800) and page.exif_orientation == 6


def test_zero_byte_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.pdf"
    p.write_bytes(b"")
    with pytest.raises(IngestError) as e:
        pages(p)
    assert "0 bytes" in one_line(e.value)


def test_truncated_pdf(tmp_path: Path) -> None:
    good = img2pdf.convert([jpeg_bytes()] * 3)
    p = tmp_path / "cut.pdf"
    p.write_bytes(good[: len(good) // 3])
    with pytest.raises(IngestError) as e:
        pages(p)
    assert "PDF" in one_line(e.value)


def test_password_protected_pdf(tmp_path: Path) -> None:
    src = tmp_path / "plain.pdf"
    src.write_bytes(img2pdf.convert([jpeg_bytes()]))
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(src) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="secret"))
    with pytest.raises(IngestError) as e:
        pages(locked)
    msg = one_line(e.value)
    assert "password" in msg and "qpdf --decrypt" in msg


def test_truncated_tiff(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("L", (1000, 1000), 100).save(buf, "TIFF")
    p = tmp_path / "cut.tif"
    p.write_bytes(buf.getvalue()[:5000])
    with pytest.raises(IngestError) as e:
        pages(p)
    assert "TIFF" in one_line(e.value) or "truncated" in str(e.value)


def test_unsupported_type(tmp_path: Path) -> None:
    p = tmp_path / "notes.docx"
    p.write_bytes(b"PK\x03\x04 not a scan")
    with pytest.raises(IngestError) as e:
        pages(p)
    assert "not a supported scan type" in one_line(e.value)


def test_one_pixel_image(tmp_path: Path) -> None:
    p = tmp_path / "dot.png"
    Image.new("L", (1, 1)).save(p)
    with pytest.raises(IngestError) as e:
        pages(p)
    assert "1×1 px" in one_line(e.value)


def png_header_only(w: int, h: int) -> bytes:
    """A PNG whose header claims w×h: the size check must not decode it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_huge_image_is_refused_without_decoding(tmp_path: Path) -> None:
    p = tmp_path / "huge.png"
    p.write_bytes(png_header_only(20000, 20000))
    with pytest.raises(IngestError) as e:
        pages(p)
    msg = one_line(e.value)
    assert "20000×20000" in msg and "Mpx" in msg
