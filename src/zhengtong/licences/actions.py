"""Every change to licences: one action, one transaction, one ledger entry.

Licence numbers (docs/licences.md): the type's prefix, the six-digit region
code of the issuing department, a seven-digit sequence per type and region,
and an ISO 7064 MOD 11-10 check digit over those thirteen digits. A 食品经营许可证
is therefore "JY" and fourteen digits, as the national format requires.
"""

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.iso7064 import mod_11_10

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.models import Department, Enterprise, Person
from zhengtong.core.sql import quoted_table
from zhengtong.core.validators import (
    first_control_character,
    has_visible_text,
    validate_credit_code,
    validate_id_number,
)
from zhengtong.ledger.actions import record_entry
from zhengtong.licences import sharing, signing
from zhengtong.licences.models import (
    NAMES_SIGNED_FROM,
    HolderKind,
    Licence,
    LicenceSequence,
    LicenceShare,
    LicenceSigningKey,
    LicenceType,
)
from zhengtong.licences.selectors import signing_key, verify_licence
from zhengtong.licences.signals import licence_revoked

SUBJECT = "licences.Licence"
SEQUENCE_DIGITS = 7
MAX_FIELD_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class Holder:
    """Who a licence is issued to: a person by 身份证号, an enterprise by 统一社会信用代码."""

    kind: str
    id_number: str
    name: str

    @classmethod
    def of(cls, registered: Person | Enterprise) -> "Holder":
        """Return the holder for a person or an enterprise of the core registers."""
        if isinstance(registered, Person):
            return cls(HolderKind.PERSON, registered.id_number, registered.name)
        return cls(HolderKind.ENTERPRISE, registered.credit_code, registered.name)


def _checked_holder(licence_type: LicenceType, holder: Holder) -> Holder:
    if holder.kind not in licence_type.holder_kinds:
        raise InvalidInput(
            _("该类证照不向此类主体发放。"),
            code="holder_kind_not_allowed",
            detail={"field": "holder_kind", "allowed": list(licence_type.holder_kinds)},
        )
    if holder.kind == HolderKind.PERSON:
        number = validate_id_number(holder.id_number).number
    else:
        number = validate_credit_code(holder.id_number)
    name = holder.name.strip()
    if not name:
        raise InvalidInput(
            _("请填写持证主体名称。"), code="holder_name_required", detail={"field": "holder_name"}
        )
    return Holder(holder.kind, number, name)


def _checked_data(licence_type: LicenceType, data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the licence's fields, refusing missing required fields and unknown ones."""
    known = {field["code"]: field for field in licence_type.fields}
    problems: dict[str, str] = {}
    for code in data:
        if code not in known:
            problems[code] = str(_("该类证照没有这个信息项。"))
    cleaned: dict[str, Any] = {}
    for code, field in known.items():
        value = data.get(code)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "" or value == []:
            if field.get("required"):
                problems[code] = str(_("请填写“%(label)s”。") % {"label": field["label"]})
            continue
        if not isinstance(value, str | int | float | bool | list):
            problems[code] = str(_("信息项的值只能是文本、数字或列表。"))
            continue
        if len(json.dumps(value, ensure_ascii=False)) > MAX_FIELD_LENGTH:
            problems[code] = str(_("内容过长。"))
            continue
        cleaned[code] = value
    if problems:
        raise InvalidInput(
            _("证照信息不完整或不符合要求。"),
            code="invalid_licence_data",
            detail={"fields": problems},
        )
    return cleaned


def _validity(licence_type: LicenceType, valid_from: dt.date) -> dt.date | None:
    years = licence_type.validity_years
    if not years:
        return None
    try:
        end = valid_from.replace(year=valid_from.year + years)
    except ValueError:  # 29 February into a common year
        end = valid_from.replace(year=valid_from.year + years, day=28)
    return end - dt.timedelta(days=1)


def _next_number(licence_type: LicenceType, issuer: Department) -> str:
    """Take the next number of the type in the issuer's region; inside the transaction."""
    region = issuer.region_id[:6]
    last = _advance_sequence(licence_type, region)
    if last is None:
        # The region's first licence of the type: create the row, then take
        # from it. Two first issuers on PostgreSQL both fall through to the
        # one row, and the UPDATE's row lock orders them.
        LicenceSequence.objects.bulk_create(
            [LicenceSequence(licence_type=licence_type, region_code=region, last=0)],
            ignore_conflicts=True,
        )
        last = _advance_sequence(licence_type, region)
    if last is None or last >= 10**SEQUENCE_DIGITS:
        raise Conflict(_("本地区该类证照编号已用尽。"), code="numbers_exhausted")
    digits = f"{region}{last:0{SEQUENCE_DIGITS}d}"
    return f"{licence_type.number_prefix}{digits}{mod_11_10.calc_check_digit(digits)}"


def _advance_sequence(licence_type: LicenceType, region: str) -> int | None:
    # One statement that increments and returns, instead of lock, read and
    # save: it runs for every approval, and the ORM's three queries cost
    # more than the signature.
    using = router.db_for_write(LicenceSequence)
    table, c = quoted_table(using, LicenceSequence)
    sql = (
        f"UPDATE {table} SET {c['last']} = {c['last']} + 1"  # noqa: S608
        f" WHERE {c['licence_type']} = %s AND {c['region_code']} = %s"
        f" RETURNING {c['last']}"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [licence_type.pk, region])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _stored_key(signer: signing.LicenceSigner) -> LicenceSigningKey:
    # Every key that ever signed is kept, so licences outlive a key rotation.
    stored = signing_key(signer.key_id)
    if stored is not None:
        return stored
    LicenceSigningKey.objects.bulk_create(
        [
            LicenceSigningKey(
                key_id=signer.key_id, algorithm=signer.algorithm, public_key=signer.public_key
            )
        ],
        ignore_conflicts=True,
    )
    return LicenceSigningKey.objects.get(key_id=signer.key_id)


def do_issue_licence(
    licence_type: LicenceType,
    holder: Holder,
    data: Mapping[str, Any],
    issuer: Department,
    *,
    actor: Actor,
    source: str = "",
    valid_until: dt.date | None = None,
) -> Licence:
    """Issue and sign a licence of the type to the holder, valid from today."""
    with transaction.atomic(durable=True):
        return issue_licence_within(
            licence_type,
            holder,
            data,
            issuer,
            actor=actor,
            source=source,
            valid_until=valid_until,
        )


def issue_licence_within(
    licence_type: LicenceType,
    holder: Holder,
    data: Mapping[str, Any],
    issuer: Department,
    *,
    actor: Actor,
    source: str = "",
    valid_until: dt.date | None = None,
) -> Licence:
    """Issue a licence inside the caller's transaction, with its own ledger entry.

    For actions whose outcome is a licence (an approval): the licence and the
    decision that grants it commit together or not at all.
    """
    draft = prepare_licence(licence_type, holder, data, issuer, valid_until=valid_until)
    return issue_prepared_licence(draft, actor=actor, source=source)


@dataclass(frozen=True, slots=True)
class LicenceDraft:
    """A licence checked and ready to be numbered, signed and stored (``prepare_licence``)."""

    licence_type: LicenceType
    holder: Holder
    data: dict[str, Any]
    issuer: Department
    issued_at: dt.datetime
    valid_from: dt.date
    valid_until: dt.date | None
    signer: signing.LicenceSigner
    signing_key: LicenceSigningKey


def prepare_licence(
    licence_type: LicenceType,
    holder: Holder,
    data: Mapping[str, Any],
    issuer: Department,
    *,
    valid_until: dt.date | None = None,
) -> LicenceDraft:
    """Check a licence to be issued and find its signing key; refuse what could not be issued.

    Nothing is written but the signing key's row the first time a key signs,
    so an approval prepares its licence before its transaction begins and
    holds the database's write lock (SQLite's single writer) only for the
    numbering, the signature and the inserts (``issue_prepared_licence``).
    """
    holder = _checked_holder(licence_type, holder)
    cleaned = _checked_data(licence_type, data)
    issued_at = timezone.now()
    valid_from = timezone.localdate(issued_at)
    until = valid_until or _validity(licence_type, valid_from)
    if until is not None and until < valid_from:
        raise InvalidInput(
            _("有效期截止日期不能早于签发日期。"),
            code="invalid_validity",
            detail={"field": "valid_until"},
        )
    signer = signing.licence_signer()
    return LicenceDraft(
        licence_type,
        holder,
        cleaned,
        issuer,
        issued_at,
        valid_from,
        until,
        signer,
        _stored_key(signer),
    )


def issue_prepared_licence(draft: LicenceDraft, *, actor: Actor, source: str = "") -> Licence:
    """Number, sign and store a prepared licence, with its ledger entry, in the open transaction."""
    licence_type, holder, issuer = draft.licence_type, draft.holder, draft.issuer
    # No savepoint: a licence that fails undoes the caller's whole transaction,
    # as the decision that grants it must not stand without it.
    with transaction.atomic(savepoint=False):
        number = _next_number(licence_type, issuer)
        version = signing.PAYLOAD_VERSION
        names_signed = version >= NAMES_SIGNED_FROM
        # The names as they are now are what the licence says for good.
        type_name = licence_type.name if names_signed else ""
        labels = signing.field_labels_of(licence_type.fields, draft.data) if names_signed else []
        payload = signing.payload_of(
            version=version,
            type_code=licence_type.code,
            type_name=type_name,
            field_labels=labels,
            number=number,
            holder_kind=holder.kind,
            holder_id=holder.id_number,
            holder_name=holder.name,
            data=draft.data,
            issuer_code=issuer.code,
            issuer_name=issuer.name,
            issuer_credit_code=issuer.credit_code,
            valid_from=draft.valid_from,
            valid_until=draft.valid_until,
        )
        message = signing.message_of(payload)
        licence = Licence.objects.create(
            licence_type=licence_type,
            number=number,
            holder_kind=holder.kind,
            holder_id=holder.id_number,
            holder_name=holder.name,
            data=draft.data,
            issuer=issuer,
            issuer_code=issuer.code,
            issuer_name=issuer.name,
            issuer_credit_code=issuer.credit_code,
            payload_version=version,
            type_name=type_name,
            field_labels=labels,
            issued_at=draft.issued_at,
            valid_from=draft.valid_from,
            valid_until=draft.valid_until,
            source=source.strip()[:128],
            signature=draft.signer.sign(message),
            signature_algorithm=draft.signer.algorithm,
            signing_key=draft.signing_key,
            payload_hash=signing.payload_hash(message),
        )
        # The payload hash stands for the content: the ledger holds no personal data.
        record_entry(
            actor=actor,
            action="licences.issue_licence",
            subject_type=SUBJECT,
            subject_id=licence.pk,
            data={
                "number": number,
                "type": licence_type.code,
                "issuer": issuer.code,
                "payload_hash": licence.payload_hash,
                "algorithm": draft.signer.algorithm,
                "key_id": draft.signer.key_id,
                "source": licence.source,
            },
        )
    return licence


# The reason is shown on the public verification page: a few sentences.
MAX_REVOKE_REASON = 500


def do_revoke_licence(licence: Licence, reason: str, *, actor: Actor) -> Licence:
    """Revoke (注销) a licence, saying why; the signed content stays as it was."""
    reason = reason.strip()
    # A reason of nothing but zero-width or other invisible characters
    # (U+200B, U+FEFF…) would show the public an empty reason: it is none.
    if not has_visible_text(reason):
        raise InvalidInput(
            _("注销证照须说明原因。"), code="reason_required", detail={"field": "reason"}
        )
    if len(reason) > MAX_REVOKE_REASON:
        raise InvalidInput(
            _("注销原因不能超过 %(n)d 个字。") % {"n": MAX_REVOKE_REASON},
            code="reason_too_long",
            detail={"field": "reason", "max_length": MAX_REVOKE_REASON},
        )
    if first_control_character(reason) is not None:
        raise InvalidInput(
            _("注销原因含有不可见的控制字符，请删除后重试。"),
            code="control_characters",
            detail={"field": "reason"},
        )
    with transaction.atomic(durable=True):
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        if locked.revoked_at is not None:
            raise Conflict(_("该证照已注销。"), code="already_revoked")
        locked.revoked_at = timezone.now()
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoke_reason"])
        record_entry(
            actor=actor,
            action="licences.revoke_licence",
            subject_type=SUBJECT,
            subject_id=locked.pk,
            data={"number": locked.number, "reason": reason},
        )
        licence_revoked.send(sender=Licence, licence=locked)
    return locked


def do_share_licence(licence: Licence, days: int, *, actor: Actor) -> LicenceShare:
    """Make a link showing the licence to whoever has it, for ``days`` days or until withdrawn."""
    if days not in sharing.SHARE_DAYS:
        raise InvalidInput(
            _("分享有效期只能是 1、7 或 30 天。"),
            code="invalid_share_days",
            detail={"field": "days", "allowed": list(sharing.SHARE_DAYS)},
        )
    # A link to a revoked, expired or unverifiable licence would only hand a
    # recipient a licence that proves nothing: the holder is told instead.
    if not verify_licence(licence).valid:
        raise Conflict(
            _("该证照已注销、已过期或未通过验证，不能分享。"),
            code="licence_not_valid",
            detail={"number": licence.number},
        )
    now = timezone.now()
    with transaction.atomic(durable=True):
        share = LicenceShare.objects.create(
            licence=licence,
            created_at=now,
            created_by_ref=actor.ref[:100],
            created_by_label=actor.label[:100],
            expires_at=now + dt.timedelta(days=days),
        )
        # The link's id, never its token: whoever reads the ledger must not
        # be able to open the licence with what it says.
        record_entry(
            actor=actor,
            action="licences.share_licence",
            subject_type=SUBJECT,
            subject_id=licence.pk,
            data={
                "number": licence.number,
                "share": share.pk,
                "expires_at": share.expires_at.isoformat(),
            },
        )
    return share


def do_withdraw_licence_share(share: LicenceShare, *, actor: Actor) -> LicenceShare:
    """Withdraw a share link before it expires: it stops showing the licence at once."""
    with transaction.atomic(durable=True):
        locked = LicenceShare.objects.select_for_update().get(pk=share.pk)
        if locked.withdrawn_at is not None:
            raise Conflict(
                _("该分享链接已撤回。"), code="already_withdrawn", detail={"share": locked.pk}
            )
        now = timezone.now()
        if locked.expires_at <= now:
            raise Conflict(
                _("该分享链接已过期，无需撤回。"), code="share_expired", detail={"share": locked.pk}
            )
        locked.withdrawn_at = now
        locked.withdrawn_by_ref = actor.ref[:100]
        locked.withdrawn_by_label = actor.label[:100]
        locked.save(update_fields=["withdrawn_at", "withdrawn_by_ref", "withdrawn_by_label"])
        record_entry(
            actor=actor,
            action="licences.withdraw_licence_share",
            subject_type=SUBJECT,
            subject_id=locked.licence_id,
            data={"number": share.licence.number, "share": locked.pk},
        )
    return locked
