#!/usr/bin/env python3
"""Render the same PDF pages with poppler (pdf2image) and PDFium (pypdfium2).

Ingest takes a scan PDF's embedded page image as it is stored (no rendering);
rendering is the fallback for pages that are not one image. This measures which
renderer to use for that fallback.

    scripts/bench_pdf_render.py [PDF] [--dpi 300] [--pages 10]
Default PDF: a vector page PDF with text (made here), so both really render.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pdf2image
import pikepdf
import pypdfium2 as pdfium


def make_vector_pdf(path: Path, pages: int) -> None:
    """Pages of line art and text drawn as vectors (nothing to extract)."""
    pdf = pikepdf.new()
    for i in range(pages):
        ops = ["0.5 w"]
        for r in range(40):
            y = 800 - r * 18
            ops.append(f"40 {y} m 555 {y} l S")
        ops.append(f"BT /F1 14 Tf 60 810 Td (Page {i + 1} registration ledger) Tj ET")
        content = pikepdf.Stream(pdf, "\n".join(ops).encode())
        font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                  BaseFont=pikepdf.Name.Helvetica)
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842],
                                  Contents=content,
                                  Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)))
        pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)


def bench_pdfium(path: Path, dpi: int, pages: int) -> float:
    t0 = time.perf_counter()
    doc = pdfium.PdfDocument(str(path))
    for i in range(min(pages, len(doc))):
        doc[i].render(scale=dpi / 72).to_pil()
    return time.perf_counter() - t0


def bench_poppler(path: Path, dpi: int, pages: int) -> float:
    t0 = time.perf_counter()
    pdf2image.convert_from_path(str(path), dpi=dpi, first_page=1, last_page=pages)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pdf", nargs="?", type=Path)
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--pages", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pdf = args.pdf or Path(tmp) / "vector.pdf"
        if args.pdf is None:
            make_vector_pdf(pdf, args.pages)
        bench_pdfium(pdf, 72, 1)  # warm-up
        fium = min(bench_pdfium(pdf, args.dpi, args.pages) for _ in range(3))
        pop = min(bench_poppler(pdf, args.dpi, args.pages) for _ in range(3))
    n = args.pages
    print(f"pypdfium2: {fium / n * 1000:.0f} ms/page   pdf2image(poppler): "
          f"{pop / n * 1000:.0f} ms/page   at {args.dpi} dpi, {n} pages")
    print(f"pdfium_ms={fium / n * 1000:.0f} poppler_ms={pop / n * 1000:.0f} "
          f"ratio={pop / fium:.2f}")


if __name__ == "__main__":
    main()
