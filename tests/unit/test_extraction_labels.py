"""Label vocabulary: exact, prefixed, fuzzy and in-line labels."""

from __future__ import annotations

from extraction.labels import Party, find_labels, match_label_at


def fields(text: str) -> list[tuple[str | None, Party | None, str]]:
    return [(m.field, m.party, text[m.start:m.end]) for m in find_labels(text)]


def test_party_prefixed_labels_in_one_merged_line() -> None:
    assert fields("男方姓名：王建国女方姓名：李红梅") == [
        ("name", Party.MALE, "男方姓名"), ("name", Party.FEMALE, "女方姓名")]


def test_label_glued_to_value() -> None:
    assert fields("出生日期一九六五年三月十二日") == [("birth_date", None, "出生日期")]


def test_fuzzy_label_with_ocr_confusion_and_dropped_char() -> None:
    m = match_label_at("婚烟登记机关")
    assert m is not None and m.field == "registry_office" and m.score < 1.0
    m = match_label_at("出生日朝")
    assert m is not None and m.field == "birth_date"
    assert fields("藉贯：河北")[0][0] == "native_place"


def test_traditional_labels() -> None:
    assert fields("結婚證字號 京001")[0][0] == "certificate_no"
    assert fields("籍貫")[0][0] == "native_place"


def test_label_words_inside_values_stay_values() -> None:
    assert fields("住址民族路5号") == [("address", None, "住址")]
    assert fields("北京职业学校教师") == []


def test_markers_and_adoption_parties() -> None:
    assert fields("男方") == [(None, Party.MALE, "男方")]
    assert fields("被收养人姓名 张三")[0][:2] == ("name", Party.ADOPTEE)
    assert fields("收养人配偶姓名")[0][:2] == ("name", Party.ADOPTER_SPOUSE)
    assert fields("送养人")[0][:2] == (None, Party.RELINQUISHER)


def test_titles_are_not_labels() -> None:
    assert fields("结婚登记审查处理表") == []
