"""The licences API, mounted at /api/licences/.

Verifying a licence and reading the public keys are open to anyone: a
licence is shown to a bank or a landlord, who must be able to check it. The
holder's own list needs their session, as does the issuing department's list
of what it issued, where its deciders revoke a licence.
"""

from typing import Annotated

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator

from zhengtong.core.errors import NotFound
from zhengtong.core.schemas import ERROR_RESPONSES, MAX_OFFSET, ErrorOut
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import session_auth
from zhengtong.licences import actions, presentation, selectors
from zhengtong.licences.access import (
    access_issued_licence,
    access_licence_by_number,
    access_licence_share,
    issued_licences,
    my_licences,
)
from zhengtong.licences.models import Licence, LicenceShare
from zhengtong.licences.qr import verification_url
from zhengtong.licences.schemas import (
    LicenceFieldOut,
    LicenceOut,
    LicenceShareOut,
    NewLicenceShareOut,
    ShareIn,
    SigningKeyOut,
    VerificationOut,
)
from zhengtong.licences.sharing import share_token
from zhengtong.licences.signing import ALGORITHMS, licence_signer

router = Router(tags=["licences"])


class DigestIn(Schema):
    s: str | None = None


def _verification_out(found: selectors.Verification) -> VerificationOut:
    licence = found.licence
    return VerificationOut(
        number=licence.number,
        status=found.status,
        valid=found.valid,
        type=licence.licence_type.code,
        type_name=licence.signed_type_name,
        issuer=licence.issuer_name,
        payload_version=licence.payload_version,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        revoked_at=licence.revoked_at,
        revoke_reason=licence.revoke_reason if licence.revoked_at is not None else "",
        algorithm=licence.signature_algorithm,
        key_id=licence.signing_key.key_id,
        signature_ok=found.signature_ok,
        digest_ok=found.digest_ok,
    )


@router.get(
    "/verify/{number}",
    response={200: VerificationOut, 404: ErrorOut},
    url_name="licences_verify",
)
def verify(request: HttpRequest, number: str, query: Query[DigestIn]) -> VerificationOut:
    """Verify a licence by number, and by the digest its QR code carries (``s``) if given."""
    licence = selectors.licence_by_number(number)
    if licence is None:
        raise NotFound(code="licence_not_found", detail={"number": number})
    return _verification_out(selectors.verify_licence(licence, query.s or None))


@router.get("/keys", response=list[SigningKeyOut], url_name="licences_keys")
def keys(request: HttpRequest) -> list[SigningKeyOut]:
    """Every public key that has signed licences, and the one that signs new ones."""
    current = licence_signer()
    out = [
        SigningKeyOut(
            key_id=key.key_id,
            algorithm=key.algorithm,
            public_key_pem=ALGORITHMS[key.algorithm].public_key_pem(bytes(key.public_key)),
            first_used_at=key.created_at,
            current=key.key_id == current.key_id,
        )
        for key in selectors.signing_keys()
        if key.algorithm in ALGORITHMS
    ]
    if not any(key.current for key in out):
        out.append(
            SigningKeyOut(
                key_id=current.key_id,
                algorithm=current.algorithm,
                public_key_pem=ALGORITHMS[current.algorithm].public_key_pem(current.public_key),
                first_used_at=None,
                current=True,
            )
        )
    return out


def licence_out(request: HttpRequest, licence: Licence) -> LicenceOut:
    return LicenceOut(
        number=licence.number,
        type=licence.licence_type.code,
        type_name=licence.signed_type_name,
        status=selectors.verify_licence(licence).status,
        holder_kind=licence.holder_kind,
        holder_id=licence.holder_id,
        holder_name=licence.holder_name,
        issuer=licence.issuer_name,
        issued_at=licence.issued_at,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        revoked_at=licence.revoked_at,
        revoke_reason=licence.revoke_reason,
        verification_url=verification_url(licence, request),
        fields=[
            LicenceFieldOut(code=row.code, label=row.label, value=row.value)
            for row in presentation.field_rows(licence, masked=False)
        ],
    )


@router.get("/mine", response={200: list[LicenceOut], **ERROR_RESPONSES}, auth=session_auth)
def mine(request: HttpRequest) -> list[LicenceOut]:
    """Your licences (citizens) or your enterprises' licences (enterprise users)."""
    return [licence_out(request, licence) for licence in my_licences(request.user)]


@router.get("/mine/{number}", response={200: LicenceOut, **ERROR_RESPONSES}, auth=session_auth)
def mine_one(request: HttpRequest, number: str) -> LicenceOut:
    """One of your licences, with every field unmasked."""
    return licence_out(request, access_licence_by_number(request.user, number))


def share_out(share: LicenceShare) -> LicenceShareOut:
    return LicenceShareOut(
        id=share.pk,
        created_at=share.created_at,
        created_by=share.created_by_label,
        expires_at=share.expires_at,
        withdrawn_at=share.withdrawn_at,
    )


@router.get(
    "/mine/{number}/shares",
    response={200: list[LicenceShareOut], **ERROR_RESPONSES},
    auth=session_auth,
)
def mine_shares(request: HttpRequest, number: str) -> list[LicenceShareOut]:
    """The share links of one of your licences that still work, newest first.

    Links made before links were stored (at most 30 days old) are not listed
    and cannot be withdrawn; they stop working when they expire.
    """
    licence = access_licence_by_number(request.user, number)
    return [share_out(share) for share in selectors.open_shares_of(licence)]


@router.post(
    "/mine/{number}/shares",
    response={201: NewLicenceShareOut, **ERROR_RESPONSES},
    auth=session_auth,
)
def share(request: HttpRequest, number: str, payload: ShareIn) -> Status[NewLicenceShareOut]:
    """Make a link showing one of your licences to whoever has it, as 我的证照 does.

    Errors: 400 ``invalid_share_days``; 404 ``not_found`` (also a licence not
    yours); 409 ``licence_not_valid`` (revoked, expired or unverifiable).
    """
    licence = access_licence_by_number(request.user, number)
    made = actions.do_share_licence(licence, payload.days, actor=actor_of(request.user))
    url = request.build_absolute_uri(reverse("licences:share", args=[share_token(made.key)]))
    return Status(201, NewLicenceShareOut(**share_out(made).model_dump(), url=url))


@router.post(
    "/mine/{number}/shares/{share_id}/withdraw",
    response={200: LicenceShareOut, **ERROR_RESPONSES},
    auth=session_auth,
)
def withdraw_share(request: HttpRequest, number: str, share_id: int) -> LicenceShareOut:
    """Withdraw a share link of one of your licences: whoever has it no longer sees the licence.

    Errors: 404 ``not_found`` (also a link of another licence, or a licence
    not yours); 409 ``already_withdrawn``, ``share_expired``.
    """
    share = access_licence_share(request.user, number, share_id)
    return share_out(actions.do_withdraw_licence_share(share, actor=actor_of(request.user)))


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class IssuedIn(Schema):
    # Trimmed before the length is counted, as the page trims what is typed:
    # spaces pasted around a query of 64 characters leave it 64 long.
    q: Annotated[str, BeforeValidator(_stripped)] = Field(
        "",
        max_length=selectors.MAX_ISSUED_QUERY,
        description="number (its start), holder name or ID number",
    )
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class RevokeIn(Schema):
    reason: str = Field(description="why, shown on the public verification page (at most 500)")


@router.get("/issued", response={200: list[LicenceOut], **ERROR_RESPONSES}, auth=session_auth)
def issued(request: HttpRequest, query: Query[IssuedIn]) -> list[LicenceOut]:
    """The licences your departments issued, newest first (``licences.revoke_licences``)."""
    found = issued_licences(request.user, query.q)[query.offset : query.offset + query.limit]
    return [licence_out(request, licence) for licence in found]


@router.post(
    "/issued/{number}/revoke", response={200: LicenceOut, **ERROR_RESPONSES}, auth=session_auth
)
def revoke(request: HttpRequest, number: str, payload: RevokeIn) -> LicenceOut:
    """Revoke (注销) a licence your department issued, saying why; it cannot be undone.

    Errors: 400 ``reason_required``, ``reason_too_long``, ``control_characters``;
    404 ``licence_not_found`` (also another department's licence); 409
    ``already_revoked``.
    """
    licence = access_issued_licence(request.user, number)
    revoked = actions.do_revoke_licence(licence, payload.reason, actor=actor_of(request.user))
    return licence_out(request, revoked)
