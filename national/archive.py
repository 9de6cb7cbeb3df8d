"""Archive formats: ALTO v4 XML per page image and a searchable PDF per book.

Both describe the *clean* region images (after orientation, deskew, spread
split) that the OCR boxes refer to, so text and image line up exactly.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from ocr.types import Line, OcrPage, Word

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_SCHEMA_LOCATION = "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
SCHEMAS = Path(__file__).parent / "schemas"
XLINK_URL = "http://www.loc.gov/standards/xlink/xlink.xsd"
_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@dataclass(frozen=True, slots=True)
class Region:
    """One clean page image as exported: its DA/T 31 name, its OCR and where it came from."""

    name: str  # e.g. J072-1972-003-0004 (档号 + sequence number)
    seq: int
    image: Path
    ocr: OcrPage
    source_file: str
    page_no: int
    half: str


def alto_xml(region: Region, image_name: str, *, software: str = "dangan") -> bytes:
    """ALTO 4.4 for one region: one TextBlock, a TextLine and a String per OCR line.

    Coordinates are pixels of the clean image; WC is the engine's line confidence.
    CJK text has no spaces, so each line is one String (word boxes when the engine
    gave them).
    """
    a = f"{{{ALTO_NS}}}"
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(a + "alto", nsmap={None: ALTO_NS, "xsi": xsi}, SCHEMAVERSION="4.4")
    root.set(f"{{{xsi}}}schemaLocation", f"{ALTO_NS} {ALTO_SCHEMA_LOCATION}")
    desc = etree.SubElement(root, a + "Description")
    etree.SubElement(desc, a + "MeasurementUnit").text = "pixel"
    info = etree.SubElement(desc, a + "sourceImageInformation")
    etree.SubElement(info, a + "fileName").text = image_name
    proc = etree.SubElement(desc, a + "Processing", ID="OCR1")
    etree.SubElement(proc, a + "processingCategory").text = "contentGeneration"
    soft = etree.SubElement(proc, a + "processingSoftware")
    etree.SubElement(soft, a + "softwareName").text = software
    etree.SubElement(soft, a + "applicationDescription").text = \
        f"OCR engine {region.ocr.engine or 'unknown'}"
    w, h = region.ocr.width, region.ocr.height
    layout = etree.SubElement(root, a + "Layout")
    conf = [ln.confidence for ln in region.ocr.lines]
    page = etree.SubElement(layout, a + "Page", ID=f"P{region.seq}",
                            PHYSICAL_IMG_NR=str(region.seq), WIDTH=str(w), HEIGHT=str(h), LANG="zh",
                            PC=_num(sum(conf) / len(conf)) if conf else "0",
                            PROCESSINGREFS="OCR1")
    space = etree.SubElement(page, a + "PrintSpace", HPOS="0", VPOS="0", WIDTH=str(w),
                             HEIGHT=str(h))
    if not region.ocr.lines:
        return _serialize(root)
    block = etree.SubElement(space, a + "TextBlock", ID=f"P{region.seq}_B1",
                             **_box(_union(region.ocr), w, h))
    for i, line in enumerate(region.ocr.lines, 1):
        tl = etree.SubElement(block, a + "TextLine", ID=f"P{region.seq}_L{i}",
                              **_box(line.bbox, w, h))
        parts: list[Word | Line] = list(line.words) or [line]
        for j, word in enumerate(parts, 1):
            etree.SubElement(tl, a + "String", ID=f"P{region.seq}_L{i}_S{j}",
                             CONTENT=word.text, WC=_num(word.confidence), **_box(word.bbox, w, h))
    return _serialize(root)


def _union(ocr: OcrPage) -> Any:
    box = ocr.lines[0].bbox
    for line in ocr.lines[1:]:
        box = box.union(line.bbox)
    return box


def _box(bbox: Any, w: int, h: int) -> dict[str, str]:
    x0, y0, x1, y1 = bbox.to_pixels(w, h)
    return {"HPOS": str(x0), "VPOS": str(y0), "WIDTH": str(max(0, x1 - x0)),
            "HEIGHT": str(max(0, y1 - y0))}


def _num(x: float) -> str:
    return f"{min(1.0, max(0.0, x)):.4f}"


def _serialize(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


class _LocalSchemas(etree.Resolver):
    """The ALTO XSD imports xlink.xsd from loc.gov; the shipped copy is used instead."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        if system_url == XLINK_URL or system_url.endswith("/xlink.xsd"):
            return self.resolve_filename(str(SCHEMAS / "xlink.xsd"), context)
        return None


def alto_schema() -> etree.XMLSchema:
    """The official ALTO 4.4 schema as shipped in ``national/schemas`` (no network)."""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "alto-4-4.xsd"), parser))


def find_cjk_font(candidates: Sequence[str] = _CJK_FONTS) -> Path:
    """A font that has the CJK glyphs, for the PDF's text layer."""
    for c in candidates:
        if Path(c).is_file():
            return Path(c)
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True,
                             text=True, check=False).stdout.strip()
        if out and Path(out).is_file():
            return Path(out)
    raise FileNotFoundError("no CJK font for the PDF text layer: install fonts-wqy-microhei "
                            "or fonts-noto-cjk (apt-get install fonts-wqy-microhei)")


def searchable_pdf(regions: Sequence[Region], out: Path, *, title: str,
                   font: Path | None = None, dpi: float = 200.0) -> None:
    """One PDF page per clean image, with the OCR lines as invisible text on top.

    The text layer uses a real CJK font (subset and embedded by fpdf2), drawn
    invisibly (text render mode 3) and stretched to each line's box, so a PDF
    reader's search and copy find the names where they are on the page.
    """
    from fpdf import FPDF
    from fpdf.enums import TextMode

    pdf = FPDF(unit="pt")
    pdf.set_title(title)
    pdf.set_creator("dangan")
    pdf.add_font("cjk", fname=str(font or find_cjk_font()))
    for r in regions:
        pw, ph = r.ocr.width * 72.0 / dpi, r.ocr.height * 72.0 / dpi
        pdf.add_page(format=(pw, ph))
        pdf.image(str(r.image), x=0, y=0, w=pw, h=ph)
        pdf.text_mode = TextMode.INVISIBLE
        for line in r.ocr.lines:
            text = line.text.strip()
            if not text:
                continue
            x0, y0 = line.bbox.x0 * pw, line.bbox.y0 * ph
            lw, lh = line.bbox.width * pw, line.bbox.height * ph
            size = max(1.0, lh * 0.8)
            pdf.set_font("cjk", size=size)
            natural = pdf.get_string_width(text)
            if natural > 0:
                pdf.set_stretching(max(10.0, min(1000.0, 100.0 * lw / natural)))
            pdf.text(x0, y0 + lh * 0.85, text)
            pdf.set_stretching(100)
        pdf.text_mode = TextMode.FILL
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
