"""The common 12345 first-level categories, named in the reader's language.

A category is the label the routing model was trained with. It stays that
label wherever it is data: the case, the routing and time-limit rules, the
API and the training files. Pages name a label of the common first-level
taxonomy (the fifteen classes of a 12345 centre's category tree) in the
reader's language, and any other label as it was trained.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

# With a context: 民政 is also a kind of department in core, named differently.
COMMON_CATEGORIES = {
    "城乡建设": pgettext_lazy("12345 category", "城乡建设"),
    "党务政务": pgettext_lazy("12345 category", "党务政务"),
    "国土资源": pgettext_lazy("12345 category", "国土资源"),
    "环境保护": pgettext_lazy("12345 category", "环境保护"),
    "纪检监察": pgettext_lazy("12345 category", "纪检监察"),
    "交通运输": pgettext_lazy("12345 category", "交通运输"),
    "经济管理": pgettext_lazy("12345 category", "经济管理"),
    "科技与信息产业": pgettext_lazy("12345 category", "科技与信息产业"),
    "民政": pgettext_lazy("12345 category", "民政"),
    "农村农业": pgettext_lazy("12345 category", "农村农业"),
    "商贸旅游": pgettext_lazy("12345 category", "商贸旅游"),
    "卫生计生": pgettext_lazy("12345 category", "卫生计生"),
    "政法": pgettext_lazy("12345 category", "政法"),
    "教育文体": pgettext_lazy("12345 category", "教育文体"),
    "劳动和社会保障": pgettext_lazy("12345 category", "劳动和社会保障"),
}


def category_name(label: str) -> str:
    """The category as the reader names it: translated if common, else as trained."""
    name = COMMON_CATEGORIES.get(label)
    return label if name is None else str(name)
