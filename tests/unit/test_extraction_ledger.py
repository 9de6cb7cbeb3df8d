"""Ledgers and stub sheets: one record per row / per stub, with row and slot."""

from __future__ import annotations

from extraction_helpers import page, row

from extraction import extract_page
from records.model import Kind, PageType

HEADER = (("编号", 0.03, 0.07), ("男方姓名", 0.08, 0.14), ("年龄", 0.15, 0.19),
          ("住址", 0.27, 0.31), ("女方姓名", 0.44, 0.5), ("年龄", 0.51, 0.55),
          ("离婚日期", 0.65, 0.71), ("离婚证字号", 0.82, 0.89))


def data_row(y: float, no: str, m: str, ma: str, addr: str, f: str, fa: str, d: str
             ) -> list:
    return row(y, (no, 0.03, 0.07), (m, 0.08, 0.12), (ma, 0.15, 0.19), (addr, 0.2, 0.34),
               (f, 0.44, 0.48), (fa, 0.51, 0.55), (d, 0.61, 0.73), h=0.035)


def test_ledger_rows_with_inherited_parties() -> None:
    ocr = page(("离婚登记簿", 0.42, 0.05, 0.58, 0.09), *row(0.16, *HEADER, h=0.035),
               *data_row(0.23, "180", "周刚", "33岁", "和平区人民路65号", "罗颖", "29岁",
                         "1956年2月26日"),
               *data_row(0.30, "181", "梁志刚", "49", "和平区南京路139号", "周爱华", "三十四",
                         "1956年2月27日"),
               ("第5页", 0.45, 0.95, 0.55, 0.97))
    pe = extract_page(ocr, None)
    assert pe.page_type is PageType.LEDGER and pe.kind is Kind.DIVORCE
    assert [r.row for r in pe.records] == [1, 2]
    v = {k: f.value for k, f in pe.records[1].fields.items()}
    assert v["male_name"] == "梁志刚" and v["male_age"] == 49
    assert v["male_address"] == "和平区南京路139号"
    assert v["female_name"] == "周爱华" and v["female_age"] == 34
    assert v["registration_date"] == "1956-02-27"


def test_ledger_two_level_header_with_markers() -> None:
    ocr = page(("结婚登记簿", 0.42, 0.05, 0.58, 0.09),
               *row(0.13, ("男方", 0.2, 0.26), ("女方", 0.55, 0.61)),
               *row(0.17, ("登记日期", 0.02, 0.1), ("姓名", 0.12, 0.17), ("年龄", 0.22, 0.26),
                    ("籍贯", 0.3, 0.35), ("姓名", 0.45, 0.5), ("年龄", 0.56, 0.6),
                    ("籍贯", 0.65, 0.7)),
               *row(0.23, ("1972.5.4", 0.02, 0.1), ("王建国", 0.12, 0.18), ("25", 0.22, 0.25),
                    ("河北", 0.3, 0.34), ("李红", 0.45, 0.5), ("23", 0.56, 0.59),
                    ("山东", 0.65, 0.7)))
    pe = extract_page(ocr, None)
    v = {k: f.value for k, f in pe.records[0].fields.items()}
    assert v["male_name"] == "王建国" and v["male_age"] == 25
    assert v["female_native_place"] == "山东" and v["registration_date"] == "1972-05-04"
    assert pe.records[0].row == 1


def test_two_stubs_on_one_sheet_get_slots() -> None:
    def stub(y: float, m: str, f: str) -> list:
        return [("结婚证存根", 0.4, y, 0.6, y + 0.03),
                *row(y + 0.06, ("男方姓名", 0.1, 0.2), (m, 0.22, 0.3)),
                *row(y + 0.1, ("女方姓名", 0.1, 0.2), (f, 0.22, 0.3)),
                *row(y + 0.14, ("登记日期", 0.1, 0.2), ("1975年1月3日", 0.22, 0.4))]

    pe = extract_page(page(*stub(0.05, "王一", "李二"), *stub(0.5, "张三", "赵四")), None)
    assert pe.page_type is PageType.STUBS
    got = [(r.slot, r.fields["male_name"].value, r.fields["female_name"].value)
           for r in pe.records]
    assert got == [(0, "王一", "李二"), (1, "张三", "赵四")]
