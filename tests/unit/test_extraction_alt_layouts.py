"""Layouts the project's own generator does not draw (scripts/make_alt_layouts.py kinds)."""

from __future__ import annotations

from extraction_helpers import page, row

from extraction import extract_page
from extraction.labels import find_labels
from extraction.plausible import problems
from extraction.tokens import join_split_labels
from ocr.types import BBox, Line
from records.model import PageType


def values(pe):
    assert len(pe.records) == 1
    return {k: f.value for k, f in pe.records[0].fields.items()}


def test_labels_above_values_with_section_headings_is_a_form_not_a_ledger() -> None:
    ocr = page(("离婚登记表", 0.4, 0.04, 0.6, 0.07),
               ("男方情况", 0.06, 0.10, 0.16, 0.12),
               *row(0.13, ("姓名", 0.12, 0.18), ("民族", 0.37, 0.43), ("籍贯", 0.59, 0.65),
                    ("工作单位", 0.79, 0.9)),
               *row(0.165, ("解红军", 0.11, 0.2), ("汉族", 0.37, 0.43), ("浙江省宁波市", 0.55, 0.7),
                    ("工人", 0.8, 0.86)),
               ("出生日期", 0.2, 0.20, 0.3, 0.22),
               ("1926年2月28日", 0.15, 0.23, 0.35, 0.25),
               ("女方情况", 0.06, 0.29, 0.16, 0.31),
               *row(0.32, ("姓名", 0.12, 0.18), ("民族", 0.37, 0.43), ("籍贯", 0.59, 0.65),
                    ("工作单位", 0.79, 0.9)),
               *row(0.355, ("邹淑珍", 0.11, 0.2), ("回族", 0.37, 0.43), ("山东济南", 0.57, 0.68),
                    ("炊事员", 0.8, 0.88)),
               ("出生日期", 0.2, 0.39, 0.3, 0.41),
               ("1942年6月23日", 0.15, 0.42, 0.35, 0.44),
               *row(0.48, ("字号", 0.2, 0.26), ("登记机关", 0.6, 0.7)),
               *row(0.51, ("和离字第367号", 0.12, 0.35), ("天津市和平区革命委员会", 0.52, 0.8)))
    pe = extract_page(ocr, None)
    assert pe.page_type is PageType.FORM
    v = values(pe)
    assert v["male_name"] == "解红军" and v["female_name"] == "邹淑珍"
    assert v["male_birth_date"] == "1926-02-28" and v["female_birth_date"] == "1942-06-23"
    assert v["male_ethnicity"] == "汉族" and v["female_ethnicity"] == "回族"
    assert v["female_native_place"] == "山东济南" and v["male_occupation"] == "工人"
    assert v["certificate_no"] == "和离字第367号"
    assert v["registry_office"] == "天津市和平区革命委员会"


def test_ledger_header_still_a_ledger() -> None:
    ocr = page(*row(0.1, ("男方姓名", 0.05, 0.15), ("年龄", 0.2, 0.25), ("女方姓名", 0.3, 0.4),
                    ("年龄", 0.45, 0.5), ("登记日期", 0.6, 0.7)),
               *row(0.14, ("王建国", 0.05, 0.14), ("25", 0.21, 0.24), ("李红梅", 0.3, 0.39),
                    ("23", 0.46, 0.49), ("1980年1月2日", 0.58, 0.75)),
               *row(0.18, ("张明", 0.05, 0.12), ("30", 0.21, 0.24), ("赵丽", 0.3, 0.36),
                    ("28", 0.46, 0.49), ("1980年1月5日", 0.58, 0.75)))
    pe = extract_page(ocr, None)
    assert pe.page_type is PageType.LEDGER and len(pe.records) == 2


def test_table_with_columns_headed_just_man_and_woman() -> None:
    ocr = page(("结婚登记申请书", 0.4, 0.04, 0.6, 0.07),
               *row(0.10, ("男", 0.35, 0.37), ("女", 0.72, 0.74)),
               *row(0.14, ("姓名", 0.07, 0.13), ("叶磊", 0.18, 0.25), ("陈秀英", 0.56, 0.65)),
               *row(0.18, ("公民身份号码", 0.07, 0.16), ("110105196503120013", 0.18, 0.45),
                    ("11010519670501002X", 0.56, 0.83)),
               *row(0.22, ("常住户口所在地", 0.07, 0.17), ("朝阳区人民路12号", 0.18, 0.4),
                    ("朝阳区和平街3号", 0.56, 0.75)),
               *row(0.26, ("婚姻登记机关", 0.07, 0.17), ("北京市朝阳区民政局", 0.18, 0.45)))
    v = values(extract_page(ocr, None))
    assert v["male_name"] == "叶磊" and v["female_name"] == "陈秀英"
    assert v["male_address"] == "朝阳区人民路12号" and v["female_address"] == "朝阳区和平街3号"
    assert v["registry_office"] == "北京市朝阳区民政局"


def test_spaced_out_labels_in_one_line() -> None:
    got = [(m.field, m.start, m.end) for m in find_labels("民 族：汉族籍 贯：山东省烟台市")]
    assert got == [("ethnicity", 0, 3), ("native_place", 6, 9)]
    assert [m.field for m in find_labels("姓　　名：张鹏")] == ["name"]
    assert find_labels("张 三") == [] and find_labels("北京市 朝阳区") == []


def test_spaced_out_label_cut_into_two_ocr_lines_is_rejoined() -> None:
    lines = [Line("姓", BBox(0.09, 0.1, 0.12, 0.12), 0.99),
             Line("名：孙明", BBox(0.15, 0.1, 0.25, 0.12), 0.98),
             Line("民族：汉族籍", BBox(0.09, 0.15, 0.25, 0.17), 0.99),
             Line("贯：四川成都", BBox(0.30, 0.15, 0.45, 0.17), 0.99),
             Line("王", BBox(0.5, 0.1, 0.52, 0.12), 0.99)]
    out = join_split_labels(lines)
    assert [ln.text for ln in out] == ["姓名：孙明", "民族：汉族籍贯：四川成都", "王"]
    assert len(out[0].words) == len(out[0].text)
    assert out[0].words[1].bbox.x0 >= 0.15  # 名 keeps its own position


def test_unruled_lines_with_spaced_labels_under_party_headings() -> None:
    ocr = page(("离婚登记表", 0.4, 0.04, 0.6, 0.07),
               ("一、男方", 0.07, 0.085, 0.16, 0.105),
               ("姓　名：孙明", 0.09, 0.115, 0.25, 0.135),
               ("民 族：满族籍 贯：四川成都", 0.09, 0.145, 0.45, 0.165),
               ("二、女方", 0.07, 0.235, 0.16, 0.255),
               ("姓　名：阎秀英", 0.09, 0.265, 0.27, 0.285),
               ("民　族：汉族", 0.09, 0.295, 0.22, 0.315),
               ("离婚登记日期：1976年3月5日", 0.09, 0.39, 0.4, 0.41))
    v = values(extract_page(ocr, None))
    assert v["male_name"] == "孙明" and v["female_name"] == "阎秀英"
    assert v["male_ethnicity"] == "满族" and v["female_ethnicity"] == "汉族"
    assert v["male_native_place"] == "四川成都"
    assert v["registration_date"] == "1976-03-05"


def test_date_cut_short_and_odd_address_ending_go_to_review() -> None:
    assert problems("registration_date", "1976-02-20", "一九七六年二月二十")
    assert not problems("registration_date", "1976-02-25", "一九七六年二月二十五日")
    assert not problems("male_birth_date", "1976-02", "1976年2月")
    assert problems("male_address", "北京市中山路56方", "北京市中山路56方")
    assert not problems("male_address", "北京市中山路56号", "北京市中山路56号")
    assert not problems("male_address", "朝阳区人民路3号楼201", "朝阳区人民路3号楼201")


def test_left_column_party_cells_without_ruling() -> None:
    """男方 / 女方 centred in a left column overlaps its block's rows: nearest, not 'above'."""
    ocr = page(("结婚登记审查处理表", 0.33, 0.04, 0.6, 0.07),
               *row(0.105, ("姓名", 0.24, 0.3), ("民族", 0.51, 0.57)),
               *row(0.138, ("黄红军", 0.23, 0.32), ("汉族", 0.51, 0.57)),
               ("男方", 0.07, 0.155, 0.127, 0.179),
               *row(0.172, ("家庭住址", 0.69, 0.79)),
               *row(0.207, ("东城区新华路6号", 0.62, 0.85)),
               *row(0.258, ("姓名", 0.24, 0.3), ("民族", 0.51, 0.57)),
               *row(0.291, ("袁娟", 0.24, 0.3), ("回族", 0.51, 0.57)),
               ("女方", 0.07, 0.307, 0.127, 0.332),
               *row(0.325, ("家庭住址", 0.69, 0.79)),
               *row(0.36, ("东城区和平街23号", 0.6, 0.85)))
    v = values(extract_page(ocr, None))
    assert v["male_name"] == "黄红军" and v["female_name"] == "袁娟"
    assert v["male_ethnicity"] == "汉族" and v["female_ethnicity"] == "回族"
    assert v["male_address"] == "东城区新华路6号" and v["female_address"] == "东城区和平街23号"


def test_ruled_cut_that_falls_inside_a_party_label_moves_to_its_start() -> None:
    from extraction.tokens import tokenize_line

    line = Line("静安区幸福街13号楼404女方住址上海市前进路19号", BBox(0.27, 0.2, 0.95, 0.22), 0.99)
    # a vertical rule at the label, estimated one character too far right
    toks = tokenize_line(line, 0, [0.27 + 0.68 * 16 / 28])
    texts = [(t.text, t.label.party if t.label else None) for t in toks]
    assert texts[0] == ("静安区幸福街13号楼404", None)
    assert texts[1][0] == "女方住址" and texts[1][1] is not None
