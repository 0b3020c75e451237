"""How a licence's content is shown: in full to its holder, masked to the public."""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhengtong.core.masking import mask
from zhengtong.core.punctuation import listed
from zhengtong.licences.models import HolderKind, Licence, LicenceStatus

# The seeded licence types' names and field labels (migrations 0002 and 0003):
# stored as printed on the licence, marked here so that pages in English name them.
SEEDED_WORDING = (
    gettext_noop("食品经营许可证"),
    gettext_noop("营业执照"),
    gettext_noop("个体工商户营业执照"),
    gettext_noop("公共场所卫生许可证"),
    gettext_noop("城乡居民基本养老保险参保证明"),
    gettext_noop("法定代表人（负责人）"),
    gettext_noop("法定代表人"),
    gettext_noop("住所"),
    gettext_noop("经营场所"),
    gettext_noop("主体业态"),
    gettext_noop("经营项目"),
    gettext_noop("日常监督管理机构"),
    gettext_noop("投诉举报电话"),
    gettext_noop("类型"),
    gettext_noop("注册资本"),
    gettext_noop("成立日期"),
    gettext_noop("营业期限"),
    gettext_noop("经营范围"),
    gettext_noop("经营者"),
    gettext_noop("组成形式"),
    gettext_noop("注册日期"),
    gettext_noop("地址"),
    gettext_noop("许可项目"),
    gettext_noop("营业面积"),
    gettext_noop("参保地"),
    gettext_noop("参保日期"),
    gettext_noop("缴费档次"),
    gettext_noop("户籍地址"),
)


@dataclass(frozen=True, slots=True)
class FieldRow:
    code: str
    label: str
    value: str


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return listed(value)
    return str(value)


def field_rows(licence: Licence, *, masked: bool) -> list[FieldRow]:
    """Return the licence's fields with their labels as signed; masked fields masked if asked.

    A licence signed before the labels were (payload version 1) shows the
    type's current labels, in the type's order. Masking follows the type as it
    is now: it protects personal data on pages and is not part of the licence.
    """
    current = {str(field["code"]): field for field in licence.licence_type.fields}
    labels = (
        [(str(entry["code"]), str(entry["label"])) for entry in licence.field_labels]
        if licence.names_signed
        else [(code, str(field["label"])) for code, field in current.items()]
    )
    rows = []
    for code, label in labels:
        if code not in licence.data:
            continue
        value = _text(licence.data[code])
        kind = current.get(code, {}).get("mask")
        if masked and kind:
            value = mask(kind, value)
        rows.append(FieldRow(code, _(label), value))
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


@dataclass(frozen=True, slots=True)
class VoidNotice:
    """What a copy of a licence no longer in force says across it: a stamp word and why."""

    stamp: str
    lines: tuple[str, ...]


def void_notice(licence: Licence, status: str) -> VoidNotice | None:
    """The notice a revoked, expired or unverifiable licence carries; None while it is valid.

    A printed or downloaded copy outlives the moment it was made: it must not
    look like a licence in force once the licence is not.
    """
    if status == LicenceStatus.VALID:
        return None
    if status == LicenceStatus.REVOKED and licence.revoked_at is not None:
        at = timezone.localtime(licence.revoked_at).date().isoformat()
        lines = [_("该电子证照已于 %(at)s 注销，不再有效。") % {"at": at}]
        if licence.revoke_reason:
            lines.append(_("注销原因：") + licence.revoke_reason)
        return VoidNotice(_("已注销"), tuple(lines))
    if status == LicenceStatus.EXPIRED and licence.valid_until is not None:
        until = licence.valid_until.isoformat()
        return VoidNotice(
            _("已过期"), (_("该电子证照的有效期已于 %(until)s 届满。") % {"until": until},)
        )
    return VoidNotice(
        _("验证未通过"),
        (_("签名校验失败：证照内容与发证机关的签名不符，可能被篡改或伪造。请勿采信。"),),
    )


def qr_withheld_reason(status: str) -> str | None:
    """Why the holder's page and copies carry no QR code; None while the licence is valid.

    A code on a licence that is not in force, or whose signature fails, makes
    a copy look genuine to whoever does not scan it: the holder is told why
    there is none instead.
    """
    if status == LicenceStatus.VALID:
        return None
    if status == LicenceStatus.REVOKED:
        return _("该证照已注销，不提供核验二维码。")
    if status == LicenceStatus.EXPIRED:
        return _("该证照已过期，不提供核验二维码。")
    return _("该证照未通过验证，不提供核验二维码。")
