"""OCR regression on real images from RapidOCR's and CnOCR's test suites (../shared/peer-ocr).

Thresholds were set from a first measurement with the PP-OCRv6 models (see the
README): they catch a broken model, pre-processing or box handling, not small drift.
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from ingest.sources import Limits, iter_pages, sniff_media_type
from ocr.types import OcrPage

# measured on the first run: the worst CER per case was well under these
MAX_CER = {"multi-line": 0.06, "first-line": 0.10}


def cer(expected: str, got: str) -> float:
    """Character error rate after NFKC (full- and half-width punctuation are the same)."""
    a, b = unicodedata.normalize("NFKC", expected), unicodedata.normalize("NFKC", got)
    return Levenshtein.distance(a, b) / max(1, len(a))


def read(engine, path: Path) -> OcrPage:
    """Through the ingest decoder, as the pipeline would (alpha, EXIF handled there)."""
    media = sniff_media_type(path)
    [page] = list(iter_pages(path, media, Limits(min_side=10)))
    img = cv2.imdecode(np.frombuffer(page.data, np.uint8), cv2.IMREAD_COLOR)
    return engine.recognize_page(img)


def cnocr_cases(shared: Path) -> dict[str, list[str]]:
    cases: dict[str, list[str]] = {}
    with (shared / "peer-ocr/cnocr/expected.tsv").open(encoding="utf-8") as f:
        for row in csv.reader((ln for ln in f if not ln.startswith("#")), delimiter="\t"):
            cases.setdefault(row[0], []).append(row[2])
    return cases


def test_cnocr_multiline_cer(rapid_engine, shared_dir: Path) -> None:
    for name, lines in cnocr_cases(shared_dir).items():
        if not name.startswith("multi-line"):
            continue
        page = read(rapid_engine, shared_dir / "peer-ocr/cnocr" / name)
        got = "".join(line.text for line in page.lines)
        assert cer("".join(lines), got) <= MAX_CER["multi-line"], (name, got)


@pytest.mark.parametrize("name,expected", [
    ("ch_en_num.jpg", "正品促销"),
    ("text_vertical_words.png", "已取之時不參一人見而"),
])
def test_rapidocr_first_line(rapid_engine, shared_dir: Path, name: str,
                             expected: str) -> None:
    page = read(rapid_engine, shared_dir / "peer-ocr/rapidocr" / name)
    texts = [line.text for line in page.lines]
    assert texts, f"nothing read from {name}"
    best = min(cer(expected, t) for t in texts)
    assert best <= MAX_CER["first-line"], (name, texts[:5])


@pytest.mark.parametrize("name", ["black_font_color_transparent.png",
                                  "white_font_color_transparent.png"])
def test_transparent_images(rapid_engine, shared_dir: Path, name: str) -> None:
    """Black and white text on a transparent background both read (alpha flattened)."""
    page = read(rapid_engine, shared_dir / "peer-ocr/rapidocr" / name)
    text = "".join(ln.text for ln in sorted(page.lines, key=lambda ln: ln.bbox.x0))
    # the detector splits the widely spaced characters; all but the last must be read
    assert text.startswith("我是中国"), (name, text)


def test_rec_only_on_crop(rapid_engine, shared_dir: Path) -> None:
    img = cv2.imread(str(shared_dir / "peer-ocr/rapidocr/text_rec.jpg"))
    [(text, score)] = rapid_engine.recognize_crops([img])
    assert cer("韩国小馆", text) <= 0.25 and score > 0.5, (text, score)


def test_exif_orientation_is_honoured(tmp_path: Path, rapid_engine, shared_dir: Path
                                      ) -> None:
    src = shared_dir / "peer-ocr/rapidocr/img_exif_orientation.jpg"
    texts = [line.text for line in read(rapid_engine, src).lines]
    assert any(cer("我是中国人", t) <= 0.2 for t in texts), texts
