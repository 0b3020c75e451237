"""Reading licences and verifying them; other modules call these, never the models."""

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.db import connections, router
from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengtong.core.models import Department
from zhengtong.core.sql import RowLoader
from zhengtong.core.validators import normalise
from zhengtong.licences import sharing, signing
from zhengtong.licences.models import (
    Licence,
    LicenceShare,
    LicenceSigningKey,
    LicenceStatus,
    LicenceType,
)


@dataclass(frozen=True, slots=True)
class Verification:
    """What checking one licence found."""

    licence: Licence
    status: str  # a LicenceStatus value
    signature_ok: bool
    # False when the URL carried a signature digest that is not this licence's.
    digest_ok: bool

    @property
    def valid(self) -> bool:
        return self.status == LicenceStatus.VALID


def _with_related(queryset: QuerySet[Licence]) -> QuerySet[Licence]:
    return queryset.select_related("licence_type", "issuer", "signing_key")


def licence_by_number(number: str) -> Licence | None:
    """Return the licence with this number, or None."""
    return _with_related(Licence.objects.filter(number=normalise(number))).first()


def licences_of_holder(holder_id: str) -> QuerySet[Licence]:
    """Return every licence of a holder (身份证号 or 统一社会信用代码), newest first."""
    return _with_related(Licence.objects.filter(holder_id=normalise(holder_id)))


def licences_of_holders(holder_ids: list[str]) -> QuerySet[Licence]:
    """Return every licence of any of the holders, newest first."""
    return _with_related(Licence.objects.filter(holder_id__in=holder_ids))


# Longer than anyone types into the search box (after trimming): the page says
# so instead of searching, and the API refuses it.
MAX_ISSUED_QUERY = 64


def licences_issued_by(departments: QuerySet[Department], query: str = "") -> QuerySet[Licence]:
    """The licences the departments issued, newest first, optionally found by
    number (from its start), holder name or holder ID number (whole)."""
    found = Licence.objects.filter(issuer__in=departments)
    query = query.strip()
    if query:
        # Numbers are matched as stored (ASCII); a name as typed, since names
        # keep their full-width brackets (（分店）), and in any case, as SQLite
        # and PostgreSQL alike then find "abc" in "ABC科技".
        code = normalise(query)
        found = found.filter(
            Q(number__startswith=code) | Q(holder_name__icontains=query) | Q(holder_id=code)
        )
    return _with_related(found)


# How many of a holder's newest licences of a type are read before the rest.
_NEWEST = 2


def find_valid_licence(
    holder_id: str, type_code: str, *, matching: Callable[[Licence], bool] | None = None
) -> Licence | None:
    """Return the holder's newest licence of the type that verifies as valid today, or None.

    ``matching`` narrows the search to the licences it accepts, such as those
    of one premises; it is asked before the signature is checked.
    """
    today = timezone.localdate()
    holder = normalise(holder_id)

    def first_valid(licences: Iterable[Licence]) -> Licence | None:
        for licence in licences:
            if (matching is None or matching(licence)) and verify_licence(
                licence, today=today
            ).valid:
                return licence
        return None

    # The newest few first: a holder with many licences of one type (a chain's
    # shops) is not read whole when one of them is the one wanted and verifies.
    # A search for premises the holder has no licence for reads them all.
    newest = _unrevoked_in_force(holder, type_code, today, limit=_NEWEST)
    found = first_valid(newest)
    if found is not None or len(newest) < _NEWEST:
        return found
    return first_valid(_unrevoked_in_force(holder, type_code, today)[_NEWEST:])


# Submission looks up the applicant's licences for every e-licence material:
# in SQL written once (core.sql), with the type, issuer and key the
# verification reads, as the ORM's select_related would load them.
_LICENCES = RowLoader(Licence, "l")
_TYPES = RowLoader(LicenceType, "lt")
_ISSUERS = RowLoader(Department, "d")
_KEYS = RowLoader(LicenceSigningKey, "k")


_IN_FORCE_SQL: dict[str, str] = {}


def _unrevoked_in_force(
    holder_id: str, type_code: str, today: date, *, limit: int | None = None
) -> list[Licence]:
    """The holder's licences of the type, not revoked and in force today, newest first."""
    using = router.db_for_read(Licence)
    connection = connections[using]
    sql = _IN_FORCE_SQL.get(using)
    if sql is None:
        q = connection.ops.quote_name
        loaders = (_LICENCES, _TYPES, _ISSUERS, _KEYS)
        columns = ", ".join(loader.columns(using) for loader in loaders)
        sql = _IN_FORCE_SQL[using] = (
            f"SELECT {columns} FROM {_LICENCES.table(using)}"  # noqa: S608
            f" JOIN {_TYPES.table(using)} ON lt.{q('id')} = l.{q('licence_type_id')}"
            f" JOIN {_ISSUERS.table(using)} ON d.{q('id')} = l.{q('issuer_id')}"
            f" JOIN {_KEYS.table(using)} ON k.{q('id')} = l.{q('signing_key_id')}"
            f" WHERE l.{q('holder_id')} = %s AND lt.{q('code')} = %s"
            f" AND l.{q('revoked_at')} IS NULL AND l.{q('valid_from')} <= %s"
            f" AND (l.{q('valid_until')} IS NULL OR l.{q('valid_until')} >= %s)"
            f" ORDER BY l.{q('issued_at')} DESC, l.{q('id')} DESC"
        )
    day = connection.ops.adapt_datefield_value(today)
    params: list[Any] = [holder_id, type_code, day, day]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        licence = _LICENCES.load(using, row)
        start = _LICENCES.width
        Licence.licence_type.field.set_cached_value(licence, _TYPES.load(using, row, start))
        start += _TYPES.width
        Licence.issuer.field.set_cached_value(licence, _ISSUERS.load(using, row, start))
        start += _ISSUERS.width
        Licence.signing_key.field.set_cached_value(licence, _KEYS.load(using, row, start))
        found.append(licence)
    return found


def signed_payload(licence: Licence) -> dict[str, Any]:
    """Return the payload as it stands now, rebuilt from the licence's own columns.

    Only what the licence stores as signed goes in, in the layout of its
    payload version: never the department's or the type's current rows, which
    may have been renamed since.
    """
    return signing.payload_of(
        version=licence.payload_version,
        type_code=licence.licence_type.code,
        type_name=licence.type_name,
        field_labels=licence.field_labels,
        number=licence.number,
        holder_kind=licence.holder_kind,
        holder_id=licence.holder_id,
        holder_name=licence.holder_name,
        data=licence.data,
        issuer_code=licence.issuer_code,
        issuer_name=licence.issuer_name,
        issuer_credit_code=licence.issuer_credit_code,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
    )


def signature_holds(licence: Licence) -> bool:
    """Return whether the stored signature covers the licence's content as stored now."""
    key = licence.signing_key
    if key.algorithm != licence.signature_algorithm:
        return False
    try:
        payload = signed_payload(licence)
    except (signing.UnknownPayloadVersion, KeyError, TypeError):
        # An unknown layout, or stored labels that are not {code, label}
        # objects: not what any signature covers.
        return False
    message = signing.message_of(payload)
    if signing.payload_hash(message) != licence.payload_hash:
        return False
    return signing.verify(
        licence.signature_algorithm, bytes(key.public_key), bytes(licence.signature), message
    )


def verify_licence(
    licence: Licence, digest: str | None = None, *, today: date | None = None
) -> Verification:
    """Check the signature (and the QR code's digest, if given) and find the status."""
    signature_ok = signature_holds(licence)
    # Compared as bytes: whatever a QR code or a caller sends (non-ASCII
    # included) is a digest that does not match, never an error.
    digest_ok = digest is None or hmac.compare_digest(
        digest.strip().lower().encode(), short_digest_of(licence).encode()
    )
    status: str = LicenceStatus.FORGED
    if signature_ok and digest_ok:
        status = licence.stored_status(today)
    return Verification(licence, status, signature_ok, digest_ok)


def short_digest_of(licence: Licence) -> str:
    return signing.short_digest(bytes(licence.signature))


def signing_key(key_id: str) -> LicenceSigningKey | None:
    """The stored public key with this id, or None (in SQL: every issuance asks)."""
    found = _KEYS.where_equal("key_id", key_id)
    return found[0] if found else None


def signing_keys() -> QuerySet[LicenceSigningKey]:
    """Return every key that has signed licences, oldest first."""
    return LicenceSigningKey.objects.all()


def licence_types() -> QuerySet[LicenceType]:
    return LicenceType.objects.all()


def get_licence_type(code: str) -> LicenceType | None:
    """The licence type with this code, or None (in SQL: every submission and approval asks)."""
    found = _TYPES.where_equal("code", code)
    return found[0] if found else None


class ShareState(StrEnum):
    """What opening a share link finds."""

    OPEN = "open"
    # The holder withdrew it: the recipient is told so, and nothing of the licence.
    WITHDRAWN = "withdrawn"
    # Expired, forged or damaged: the recipient cannot tell these apart, nor needs to.
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class SharedLicence:
    """A share link as opened: its state, and while it is open, the licence and its expiry."""

    state: ShareState
    licence: Licence | None = None
    expires_at: datetime | None = None


def shared_licence(token: str, *, now: datetime | None = None) -> SharedLicence:
    """Return what a share link's token shows now."""
    now = now or timezone.now()
    found = sharing.read_share_token(token, now=now)
    if isinstance(found, sharing.LegacyShareToken):
        legacy = licence_by_number(found.number)
        if legacy is None:
            return SharedLicence(ShareState.GONE)
        return SharedLicence(ShareState.OPEN, legacy, found.expires_at)
    if found is None:
        return SharedLicence(ShareState.GONE)
    share = (
        LicenceShare.objects.filter(key=found.key)
        .select_related("licence__licence_type", "licence__issuer", "licence__signing_key")
        .first()
    )
    if share is None:
        return SharedLicence(ShareState.GONE)
    if share.withdrawn_at is not None:
        return SharedLicence(ShareState.WITHDRAWN)
    if share.expires_at <= now:
        return SharedLicence(ShareState.GONE)
    return SharedLicence(ShareState.OPEN, share.licence, share.expires_at)


def open_shares_of(licence: Licence, *, now: datetime | None = None) -> QuerySet[LicenceShare]:
    """Return the licence's share links that still work (unexpired, not withdrawn), newest first."""
    return LicenceShare.objects.filter(
        licence=licence, withdrawn_at__isnull=True, expires_at__gt=now or timezone.now()
    )
