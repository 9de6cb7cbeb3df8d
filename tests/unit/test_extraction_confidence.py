"""Calibration, auto-accept and re-recognition of doubtful cells."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from extraction_helpers import page, row

from extraction import extract_page
from extraction.confidence import (
    Calibration,
    TypeCalibration,
    field_type,
    load_calibration,
)
from ocr.types import OcrPage


def test_shipped_calibration_loads_and_is_monotone() -> None:
    cal = load_calibration()
    for t in ("name", "date", "id", "age", "gender", "text"):
        tc = cal.for_key({"name": "male_name", "date": "registration_date",
                          "id": "male_id_number", "age": "male_age",
                          "gender": "adoptee_gender", "text": "male_address"}[t])
        ps = [tc.probability(x / 100) for x in range(101)]
        assert ps == sorted(ps) and ps[0] >= 0.0 and ps[-1] <= 1.0
        assert 0.5 <= tc.threshold <= 1.0


def test_round_trip_json() -> None:
    cal = Calibration({"name": TypeCalibration(0.97, ((0.0, 0.0), (1.0, 0.99)))})
    assert Calibration.from_json(cal.to_json()).types["name"].threshold == 0.97
    assert field_type("female_birth_date") == "date"


class FakeEngine:
    """Re-reads every crop as a fixed text."""

    name = "fake"

    def __init__(self, text: str, conf: float) -> None:
        self.text, self.conf, self.calls = text, conf, 0

    def recognize_page(self, image: np.ndarray) -> OcrPage:
        raise NotImplementedError

    def recognize_crops(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        self.calls += len(crops)
        return [(self.text, self.conf) for _ in crops]


def _form(date_text: str, conf: float) -> OcrPage:
    return page(("结婚登记审查处理表", 0.3, 0.05, 0.7, 0.09),
                *row(0.15, ("男方姓名", 0.1, 0.2), ("王建国", 0.25, 0.35)),
                *row(0.25, ("登记日期", 0.1, 0.2), (date_text, 0.25, 0.45), conf=conf))


def test_doubtful_value_is_reread_and_better_reading_kept() -> None:
    image = np.full((2339, 1654, 3), 255, np.uint8)
    eng = FakeEngine("1980年1月2日", 0.99)
    f = extract_page(_form("1980年1月乙日", 0.7), image, engine=eng).records[0].fields[
        "registration_date"]
    assert eng.calls >= 1
    assert f.value == "1980-01-02" and f.original == "1980年1月2日"


def test_confident_clean_value_is_not_reread_and_auto_accepted() -> None:
    image = np.full((2339, 1654, 3), 255, np.uint8)
    eng = FakeEngine("1999年9月9日", 0.99)
    rec = extract_page(_form("1980年1月2日", 0.999), image, engine=eng).records[0]
    f = rec.fields["registration_date"]
    assert f.value == "1980-01-02" and not f.needs_review and f.confidence >= 0.9
    assert eng.calls == 0


def test_red_seal_over_value_forces_reread() -> None:
    image = np.full((2339, 1654, 3), 255, np.uint8)
    h, w = image.shape[:2]
    image[int(0.25 * h):int(0.27 * h), int(0.25 * w):int(0.35 * w)] = (40, 40, 220)  # BGR red
    eng = FakeEngine("1980年1月2日", 0.99)
    extract_page(_form("1980年1月2日", 0.999), image, engine=eng)
    assert eng.calls >= 1
