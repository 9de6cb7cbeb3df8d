"""Chinese labels for field keys, kinds and statuses, as reviewers know them from the forms."""

from __future__ import annotations

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
}
KIND_LABELS: dict[str, str] = {"marriage": "结婚", "divorce": "离婚", "adoption": "收养"}
STATUS_LABELS: dict[str, str] = {"auto_accepted": "自动通过", "needs_review": "待审核",
                                 "approved": "已审核", "rejected": "已驳回"}
PAGE_STATE_LABELS: dict[str, str] = {
    "pending": "待处理", "ocr_running": "识别中", "ocr_done": "已识别",
    "extract_running": "抽取中", "done": "完成", "failed": "失败", "dead": "反复失败"}
