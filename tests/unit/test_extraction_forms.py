"""Forms end to end through extract_page with fake OCR lines."""

from __future__ import annotations

import pytest
from extraction_helpers import page, row

from extraction import extract_page
from records.model import Kind, PageType


def values(pe):
    assert len(pe.records) == 1
    return {k: f.value for k, f in pe.records[0].fields.items()}


def test_form_with_party_named_labels_and_merged_lines() -> None:
    ocr = page(("结婚登记审查处理表", 0.3, 0.05, 0.7, 0.09),
               *row(0.15, ("男方姓名：王建国", 0.1, 0.4), ("出生日期", 0.5, 0.6),
                    ("1965年3月12日", 0.62, 0.8)),
               *row(0.20, ("民族汉族", 0.1, 0.3), ("职业工人", 0.5, 0.7)),
               *row(0.30, ("女方姓名", 0.1, 0.2), ("李红梅", 0.22, 0.35),
                    ("出生日期一九六七年五月一日", 0.5, 0.9)),
               *row(0.35, ("民族", 0.1, 0.15), ("回族", 0.2, 0.3)),
               *row(0.45, ("登记日期", 0.1, 0.2), ("1988年6月1日", 0.25, 0.45)),
               *row(0.50, ("登记机关", 0.1, 0.2), ("北京市东城区民政局", 0.25, 0.6)))
    pe = extract_page(ocr, None)
    assert pe.page_type is PageType.FORM and pe.kind is Kind.MARRIAGE
    v = values(pe)
    assert v["male_name"] == "王建国" and v["female_name"] == "李红梅"
    assert v["male_birth_date"] == "1965-03-12" and v["female_birth_date"] == "1967-05-01"
    assert v["male_ethnicity"] == "汉族" and v["female_ethnicity"] == "回族"
    assert v["male_occupation"] == "工人"
    assert v["registration_date"] == "1988-06-01"
    assert v["registry_office"] == "北京市东城区民政局"
    f = pe.records[0].fields["male_name"]
    assert f.original == "王建国" and f.bbox is not None and f.bbox.x0 > 0.1


def test_row_labels_with_party_columns_and_off_baseline_values() -> None:
    ocr = page(("离婚登记审查处理表", 0.3, 0.05, 0.7, 0.09),
               *row(0.13, ("男方", 0.4, 0.46), ("女方", 0.74, 0.8)),
               *row(0.17, ("姓名", 0.14, 0.19), ("刘庆祥", 0.28, 0.36)),
               ("范颖", 0.62, 0.187, 0.68, 0.209, 0.998),  # written below the baseline
               *row(0.22, ("出生年月日", 0.11, 0.22), ("一九二八年一月六日", 0.62, 0.84)),
               ("一九二〇年三月七日", 0.28, 0.235, 0.5, 0.255, 0.99),
               *row(0.30, ("登记日期", 0.11, 0.2), ("1956年2月24日", 0.28, 0.5)))
    pe = extract_page(ocr, None)
    assert pe.kind is Kind.DIVORCE
    v = values(pe)
    assert v["male_name"] == "刘庆祥" and v["female_name"] == "范颖"
    assert v["male_birth_date"] == "1920-03-07" and v["female_birth_date"] == "1928-01-06"


def test_values_below_labels_and_section_markers() -> None:
    ocr = page(("结婚登记申请书", 0.3, 0.05, 0.7, 0.09),
               ("男方", 0.1, 0.12, 0.16, 0.14),
               *row(0.16, ("姓名", 0.1, 0.16), ("民族", 0.4, 0.46)),
               *row(0.20, ("张伟", 0.1, 0.17), ("汉族", 0.4, 0.46)),
               ("女方", 0.1, 0.26, 0.16, 0.28),
               *row(0.30, ("姓名", 0.1, 0.16), ("民族", 0.4, 0.46)),
               *row(0.34, ("赵敏", 0.1, 0.17), ("满族", 0.4, 0.46)))
    v = values(extract_page(ocr, None))
    assert v == {"male_name": "张伟", "male_ethnicity": "汉族", "female_name": "赵敏",
                 "female_ethnicity": "满族"}


def test_adoption_form_parties() -> None:
    ocr = page(("收养登记审查处理表", 0.3, 0.05, 0.7, 0.09),
               *row(0.15, ("收养人姓名", 0.1, 0.22), ("王大明", 0.25, 0.35),
                    ("收养人配偶姓名", 0.45, 0.6), ("李芳", 0.62, 0.7)),
               *row(0.20, ("被收养人姓名", 0.1, 0.24), ("王小宝", 0.25, 0.35),
                    ("性别", 0.45, 0.5), ("男", 0.55, 0.57)),
               *row(0.25, ("出生日期", 0.1, 0.2), ("1990年1月2日", 0.25, 0.45)),
               *row(0.30, ("送养人", 0.1, 0.18), ("某市儿童福利院", 0.25, 0.5)))
    v = values(extract_page(ocr, None))
    assert v["adopter_name"] == "王大明" and v["adopter_spouse_name"] == "李芳"
    assert v["adoptee_name"] == "王小宝" and v["adoptee_gender"] == "M"
    assert v["adoptee_birth_date"] == "1990-01-02"
    assert v["relinquisher_name"] == "某市儿童福利院"


def test_empty_value_is_null_and_needs_review() -> None:
    ocr = page(("结婚登记审查处理表", 0.3, 0.05, 0.7, 0.09),
               *row(0.15, ("男方姓名", 0.1, 0.2), ("王建国", 0.25, 0.35)),
               *row(0.20, ("女方姓名", 0.1, 0.2)),
               *row(0.25, ("登记日期", 0.1, 0.2), ("1980年1月2日", 0.25, 0.45)))
    rec = extract_page(ocr, None).records[0]
    f = rec.fields["female_name"]
    assert f.value is None and f.needs_review


def test_low_confidence_and_placeholder_need_review() -> None:
    ocr = page(("结婚登记审查处理表", 0.3, 0.05, 0.7, 0.09),
               ("男方姓名", 0.1, 0.15, 0.2, 0.17), ("王建国", 0.25, 0.15, 0.35, 0.17, 0.6),
               *row(0.20, ("女方姓名", 0.1, 0.2), ("李〇梅", 0.25, 0.35)))
    fields = extract_page(ocr, None).records[0].fields
    assert fields["male_name"].needs_review and fields["male_name"].confidence < 0.9
    assert fields["female_name"].needs_review and fields["female_name"].value is None


@pytest.mark.parametrize("lines", [
    [("一九七二年", 0.4, 0.2, 0.6, 0.24), ("结婚登记档案", 0.3, 0.3, 0.7, 0.36),
     ("第3卷", 0.45, 0.5, 0.55, 0.54)],
    [],
    [("第 12 页", 0.45, 0.95, 0.55, 0.97)],
])
def test_non_record_pages_give_no_records(lines: list) -> None:
    pe = extract_page(page(*lines), None)
    assert pe.records == () and not pe.page_type.bears_records


def test_1950s_certificate_is_detected_and_sent_to_review() -> None:
    ocr = page(("結婚", 0.38, 0.06, 0.53, 0.16), ("證", 0.55, 0.07, 0.61, 0.15),
               ("津和婚字第0181號", 0.78, 0.18, 0.93, 0.21),
               ("男吳國慶年二十二歲", 0.87, 0.25, 0.9, 0.64),
               ("女何紅霞年三十歲", 0.82, 0.25, 0.85, 0.6))
    pe = extract_page(ocr, None)
    assert pe.page_type is PageType.CERTIFICATE and pe.needs_review
    v = values(pe)
    assert v["male_name"] == "吴国庆" and v["male_age"] == 22 and v["female_age"] == 30
    assert all(f.needs_review for f in pe.records[0].fields.values())
