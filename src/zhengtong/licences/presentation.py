"""How a licence's content is shown: in full to its holder, masked to the public."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from zhengtong.core.masking import mask
from zhengtong.licences.models import HolderKind, Licence


@dataclass(frozen=True, slots=True)
class FieldRow:
    code: str
    label: str
    value: str


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def field_rows(licence: Licence, *, masked: bool) -> list[FieldRow]:
    """Return the licence's fields in the type's order; masked fields masked if asked."""
    rows = []
    for field in licence.licence_type.fields:
        code = field["code"]
        if code not in licence.data:
            continue
        value = _text(licence.data[code])
        if masked and field.get("mask"):
            value = mask(field["mask"], value)
        rows.append(FieldRow(code, field["label"], value))
    return rows


def holder_name(licence: Licence, *, masked: bool) -> str:
    """A person's name is masked for the public; an enterprise's name is public."""
    if masked and licence.holder_kind == HolderKind.PERSON:
        return mask("name", licence.holder_name)
    return licence.holder_name


def holder_id(licence: Licence, *, masked: bool) -> str:
    """A 身份证号 is masked for the public; a 统一社会信用代码 is public."""
    if masked and licence.holder_kind == HolderKind.PERSON:
        return mask("id_number", licence.holder_id)
    return licence.holder_id
