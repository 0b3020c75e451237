"""How people write the catalog's dictionary values and name its fields.

Data officers know the Chinese labels (有条件共享, 敏感, 字符型C), the
workbook and the entry form show them, and both also accept the codes
(conditional, sensitive, C). Problems name the columns by their Chinese
headings, as the workbook's header row does.
"""

import re

from django.db import models
from django.utils.translation import override

# The workbook's column headings, by field of ResourceInput and ItemInput.
RESOURCE_HEADINGS = {
    "code": "资源代码",
    "name": "资源名称",
    "abstract": "摘要",
    "keywords": "关键字",
    "format": "资源格式",
    "share_attribute": "共享属性",
    "share_conditions": "共享条件",
    "share_method": "共享方式",
    "open_attribute": "开放属性",
    "open_conditions": "开放条件",
    "update_cycle": "更新周期",
    "legal_basis": "法律法规依据",
    "negative_scope": "不予共享范围",
    "review_date": "复核日期",
    "extension": "扩展字段",
    "related": "关联资源",
}
ITEM_HEADINGS = {
    "code": "信息项代码",
    "name": "信息项名称",
    "data_type": "数据类型",
    "length": "数据长度",
    "is_personal": "个人信息",
    "sensitivity": "敏感级别",
    "share_attribute": "共享属性",
    "legal_basis": "法律法规依据",
    "negative_scope": "不予共享范围",
    "review_date": "复核日期",
}
ITEMS_HEADING = "信息项"

YES, NO = "是", "否"
# Other ways a spreadsheet or a person writes yes and no.
_YES_WORDS = {YES, "y", "yes", "true"}
_NO_WORDS = {NO, "n", "no", "false"}


def label(choices: type[models.TextChoices], value: str) -> str:
    """The Chinese label of a code ("" for no value)."""
    if not value:
        return ""
    with override("zh-hans"):
        return str(choices(value).label)


def labels(choices: type[models.TextChoices]) -> list[str]:
    with override("zh-hans"):
        return [str(text) for text in choices.labels]


def value_of(choices: type[models.TextChoices], text: str) -> str | None:
    """The code a cell or a column means: a code, its Chinese label or the label in use.

    A label that ends in its code (字符型C) may also be written without it
    (字符型). Returns None for text that means none of them.
    """
    text = text.strip()
    if text in choices.values:
        return text
    folded = text.casefold()
    for value in choices.values:
        if value.casefold() == folded:
            return str(value)
    with override("zh-hans"):
        chinese = [(value, str(text)) for value, text in choices.choices]
    current = [(value, str(text)) for value, text in choices.choices]
    for value, written in (*chinese, *current):
        if text == written or folded == written.casefold():
            return str(value)
        if written.endswith(str(value)) and text == written.removesuffix(str(value)):
            return str(value)
    return None


# What people put between codes in one box or cell: commas and semicolons
# full-width or not, the enumeration comma 、, spaces and line breaks.
_CODE_SEPARATORS_RE = re.compile(r"[\s,，、;；]+")


def split_codes(text: str) -> list[str]:
    """The codes written in one box or cell, each once, in order."""
    return [code for code in dict.fromkeys(_CODE_SEPARATORS_RE.split(text)) if code]


def yes_no(text: str) -> bool | None:
    """Read 是/否 (or Y/N, yes/no, true/false); None for anything else."""
    folded = text.strip().casefold()
    if folded in _YES_WORDS:
        return True
    if folded in _NO_WORDS:
        return False
    return None
