"""Chinese labels for field keys, kinds and statuses, as reviewers know them from the forms."""

from __future__ import annotations

import re

_PARTY = {"name": "姓名", "birth_date": "出生日期", "age": "年龄", "id_number": "身份证号",
          "ethnicity": "民族", "native_place": "籍贯", "address": "住址", "occupation": "职业"}

FIELD_LABELS: dict[str, str] = {
    "registration_date": "登记日期", "certificate_no": "证号", "registry_office": "登记机关",
    **{f"male_{k}": f"男方{v}" for k, v in _PARTY.items()},
    **{f"female_{k}": f"女方{v}" for k, v in _PARTY.items()},
    "adopter_name": "收养人姓名", "adopter_spouse_name": "收养人配偶姓名",
    "adopter_address": "收养人住址", "adoptee_name": "被收养人姓名",
    "adoptee_gender": "被收养人性别", "adoptee_birth_date": "被收养人出生日期",
    "relinquisher_name": "送养人",
    # audit rows of split / merge about the whole record (review_ui.restructure)
    "record": "整条记录", "merged_into": "并入",
}
KIND_LABELS: dict[str, str] = {"marriage": "结婚", "divorce": "离婚", "adoption": "收养"}
STATUS_LABELS: dict[str, str] = {"auto_accepted": "自动通过", "needs_review": "待审核",
                                 "approved": "已审核", "rejected": "已驳回"}
PAGE_STATE_LABELS: dict[str, str] = {
    "pending": "待处理", "ocr_running": "识别中", "ocr_done": "已识别",
    "extract_running": "抽取中", "done": "完成", "failed": "失败", "dead": "反复失败"}

# Why a field needs review: extraction and validation write these in English
# (extraction/fields.py, extraction/plausible.py, records/validate.py); reviewers read
# Chinese. Fixed texts map directly; texts with values in them go through patterns.
_REASONS: dict[str, str] = {
    "low OCR confidence": "识别可信度低",
    "label present but value empty or unreadable": "有栏目名但内容为空或无法辨认",
    "placeholder mark in value": "内容是占位符号",
    "label read fuzzily": "栏目名识别不确定",
    "seal over value": "印章盖住了内容",
    "re-reading the cell gave a different value": "重新识别该格得到不同结果",
    "unbalanced brackets": "括号不成对",
    "certificate number without digits": "证号中没有数字",
    "certificate number cut short (字第…号 without 号)": "证号不完整（缺“号”字）",
    "unexpected registry office name": "登记机关名称异常",
    "unexpected ethnicity": "民族名称异常",
    "name longer than four characters": "姓名超过四个字",
    "implausible age": "年龄不合理",
    "value too short": "内容过短",
    "missing": "缺少此项",
}
_REASON_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^registration date (.+) outside book years (.+)$"),
     r"登记日期 \1 不在本卷年份 \2 内"),
    (re.compile(r"^birth date (.+) is not before registration date (.+)$"),
     r"出生日期 \1 不早于登记日期 \2"),
    (re.compile(r"^ID birth date (.+) ≠ birth date (.+)$"),
     r"身份证号中的出生日期 \1 与出生日期 \2 不符"),
    (re.compile(r"^ID number is a (male|female)'s, field is the (male|female)'s$"),
     r"身份证号性别与男女方不符"),
    (re.compile(r"^under legal marriage age: (.+)$"), r"未达法定婚龄: \1"),
    (re.compile(r"^age (\S+) ≠ (.+?) years from birth (.+) to registration (.+)$"),
     r"年龄 \1 与出生 \3 至登记 \4 的 \2 岁不符"),
]


def reason_label(reason: str) -> str:
    """A review reason in Chinese (unknown ones as they are)."""
    text = _REASONS.get(reason)
    if text is not None:
        return text
    for pattern, repl in _REASON_PATTERNS:
        if pattern.match(reason):
            return pattern.sub(repl, reason)
    return reason

ACTION_LABELS: dict[str, str] = {"record_view": "查看记录", "image_view": "查看图像",
                                 "search": "查询", "extract_view": "打印摘录",
                                 "upload": "上传"}
