"""The credit API, mounted at /api/regulation/credit/.

Regulators (``regulation.manage_credit``) read the graded enterprises of
their region with each grade's line-by-line explanation, record facts on an
enterprise's credit file and list or remove seriously dishonest
enterprises. The scorecard and the serious-dishonesty list are public
(信用公示); administrators (``regulation.manage_scorecard``) publish a new
scorecard version. Errors have the platform's one shape ``{code, message, detail}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.params import HeaderEx, P
from ninja.responses import Status

from zhengtong.core.errors import InvalidInput
from zhengtong.core.schemas import ERROR_RESPONSES, CreditCodeIn
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import session_auth, session_user
from zhengtong.identity.models import User
from zhengtong.identity.permissions import require_permission
from zhengtong.regulation import credit_access
from zhengtong.regulation import credit_scorecard as scoring
from zhengtong.regulation.credit_actions import (
    CreditRequest,
    do_publish_scorecard,
    do_record_credit,
    do_record_credit_once,
)
from zhengtong.regulation.credit_selectors import (
    active_scorecard,
    credit_grade,
    listing_search,
    standing_of,
)
from zhengtong.regulation.listing_actions import (
    MAX_AUTHORITY,
    MAX_LEGAL_BASIS,
    MAX_REASON,
    MAX_REMOVAL_REASON,
    do_list_serious_dishonesty,
    do_remove_listing,
)
from zhengtong.regulation.models import (
    CreditRecord,
    CreditStanding,
    DishonestyListing,
    ScorecardVersion,
)
from zhengtong.regulation.permissions import MANAGE_CREDIT, MANAGE_SCORECARD

router = Router(tags=["regulation"])
ERRORS = ERROR_RESPONSES
MAX_ENTERPRISES = 500


# --- schemas ---------------------------------------------------------------------------


class CreditEnterpriseFilterIn(Schema):
    grade: str | None = Field(None, description="A, B, C or D")
    q: str | None = Field(None, max_length=100, description="part of the name or the code")


class CreditEnterpriseOut(Schema):
    credit_code: str
    name: str
    region_code: str
    region_name: str
    score: int
    grade: str
    listed: bool = Field(description="on the serious-dishonesty list")
    as_of: dt.date


class CreditLineOut(Schema):
    kind: str = Field(description="empty for the line that bounds the score to its range")
    severity: str
    count: int
    points: int
    reason: str
    status: str = Field(
        description="counted, capped, repaired, expired, not_yet, bounded or listed"
    )
    record_ids: list[int] = Field(description="the credit records the line counts")


def credit_lines_out(grade: scoring.CreditGrade) -> list[CreditLineOut]:
    """The explanation's lines as the API shows them (to regulators and to the enterprise)."""
    return [
        CreditLineOut(
            kind=line.kind,
            severity=line.severity,
            count=line.count,
            points=line.points,
            reason=line.reason,
            status=line.status,
            record_ids=[int(ref) for ref in line.source_refs],
        )
        for line in grade.lines
    ]


class CreditGradeOut(Schema):
    score: int
    grade: str
    score_grade: str = Field(description="the grade the score alone earns")
    base_score: int
    listed: bool
    as_of: dt.date
    scorecard_version: int
    lines: list[CreditLineOut]


class CreditRecordOut(Schema):
    id: int
    kind: str
    kind_label: str
    severity: str
    severity_label: str
    occurred_on: dt.date
    count: int
    description: str
    authority: str
    source_ref: str
    repaired_at: dt.datetime | None
    recorded_at: dt.datetime


class DishonestyListingOut(Schema):
    id: int
    credit_code: str
    name: str
    reason: str
    legal_basis: str
    authority: str
    listed_on: dt.date
    expires_on: dt.date
    removed_at: dt.datetime | None
    removal_reason: str
    published: bool = Field(description="the exchange's copy of the list shows this state")


class CreditEnterpriseDetailOut(CreditEnterpriseOut):
    explanation: CreditGradeOut
    records: list[CreditRecordOut]
    listing: DishonestyListingOut | None = Field(description="the current listing, if any")


class CreditRecordIn(Schema):
    kind: str = Field(
        description="penalty, inspection, complaint_upheld, over_limit_alarm, offline_alarm "
        "or commendation (listings have their own operation)"
    )
    severity: str = Field(
        "",
        max_length=16,
        description="penalty: minor/major/severe (一般/较重/严重); "
        "inspection: pass/problems/fail; empty otherwise",
    )
    occurred_on: dt.date
    count: int = Field(1, ge=1, le=10_000)
    description: str = Field(max_length=500)
    authority: str = Field("", max_length=128)
    source_ref: str = Field(
        "", max_length=128, description="e.g. the penalty decision's number; recorded once"
    )


class ScorecardVersionOut(Schema):
    number: int
    note: str
    created_at: dt.datetime
    config: dict[str, Any] = Field(description="the scorecard document (credit_scorecard format)")


class ScorecardIn(Schema):
    config: dict[str, Any]
    note: str = Field(max_length=300)


class DishonestyListingIn(Schema):
    credit_code: CreditCodeIn
    reason: str = Field(max_length=MAX_REASON)
    legal_basis: str = Field(max_length=MAX_LEGAL_BASIS)
    authority: str = Field(max_length=MAX_AUTHORITY)
    listed_on: dt.date
    expires_on: dt.date


class ListingRemovalIn(Schema):
    reason: str = Field(max_length=MAX_REMOVAL_REASON)


# --- mapping ---------------------------------------------------------------------------


def _standing_out(standing: CreditStanding) -> CreditEnterpriseOut:
    enterprise = standing.enterprise
    return CreditEnterpriseOut(
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        region_code=enterprise.region.code,
        region_name=enterprise.region.name,
        score=standing.score,
        grade=standing.grade,
        listed=standing.listed,
        as_of=standing.as_of,
    )


def _record_out(record: CreditRecord) -> CreditRecordOut:
    severity = scoring.SEVERITY_LABELS.get((record.kind, record.severity))
    return CreditRecordOut(
        id=record.pk,
        kind=record.kind,
        kind_label=str(record.get_kind_display()),
        severity=record.severity,
        severity_label=_(severity) if severity else "",
        occurred_on=record.occurred_on,
        count=record.count,
        description=record.shown_description,
        authority=record.authority,
        source_ref=record.source_ref,
        repaired_at=record.repaired_at,
        recorded_at=record.recorded_at,
    )


def _listing_out(listing: DishonestyListing) -> DishonestyListingOut:
    return DishonestyListingOut(
        id=listing.pk,
        credit_code=listing.enterprise.credit_code,
        name=listing.enterprise.name,
        reason=listing.reason,
        legal_basis=listing.legal_basis,
        authority=listing.authority,
        listed_on=listing.listed_on,
        expires_on=listing.expires_on,
        removed_at=listing.removed_at,
        removal_reason=listing.removal_reason,
        published=listing.published_at is not None,
    )


def _version_out(version: ScorecardVersion) -> ScorecardVersionOut:
    return ScorecardVersionOut(
        number=version.number,
        note=version.note,
        created_at=version.created_at,
        config=version.config,
    )


def _detail(credit_code: str, user: User) -> CreditEnterpriseDetailOut:
    enterprise = credit_access.access_enterprise_by_credit_code(user, credit_code)
    version, _card = active_scorecard()
    grade = credit_grade(enterprise)
    standing = standing_of(enterprise)
    listing = (
        DishonestyListing.objects.select_related("enterprise")
        .filter(enterprise=enterprise, removed_at=None)
        .first()
    )
    return CreditEnterpriseDetailOut(
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        region_code=enterprise.region.code,
        region_name=enterprise.region.name,
        # The kept standing is what lists and draws use; the explanation is graded now.
        score=standing.score if standing else grade.score,
        grade=standing.grade if standing else grade.grade,
        listed=standing.listed if standing else grade.listed,
        as_of=standing.as_of if standing else grade.as_of,
        explanation=CreditGradeOut(
            score=grade.score,
            grade=grade.grade,
            score_grade=grade.score_grade,
            base_score=grade.base_score,
            listed=grade.listed,
            as_of=grade.as_of,
            scorecard_version=version.number,
            lines=credit_lines_out(grade),
        ),
        records=[
            _record_out(record)
            for record in CreditRecord.objects.filter(enterprise=enterprise).order_by(
                "-occurred_on", "-pk"
            )
        ],
        listing=_listing_out(listing) if listing else None,
    )


# --- enterprises -----------------------------------------------------------------------


@router.get("/enterprises", response={200: list[CreditEnterpriseOut], **ERRORS}, auth=session_auth)
def list_enterprises(
    request: HttpRequest, filters: Query[CreditEnterpriseFilterIn]
) -> list[CreditEnterpriseOut]:
    """The graded enterprises of the regulator's region, lowest grades first (at most 500)."""
    user = session_user(request)
    require_permission(user, MANAGE_CREDIT)
    standings = CreditStanding.objects.filter(
        enterprise__in=credit_access.credit_enterprises(user)
    ).select_related("enterprise__region")
    if filters.grade:
        grade = filters.grade.strip().upper()
        if grade not in scoring.GRADES:
            raise InvalidInput(
                _("信用等级只能是 A、B、C 或 D。"),
                code="invalid_grade",
                detail={"fields": {"grade": "invalid"}},
            )
        standings = standings.filter(grade=grade)
    if filters.q and filters.q.strip():
        query = filters.q.strip()
        standings = standings.filter(listing_search(query))
    ordered = standings.order_by("-grade", "score", "enterprise__name")[:MAX_ENTERPRISES]
    return [_standing_out(standing) for standing in ordered]


@router.get(
    "/enterprises/{credit_code}",
    response={200: CreditEnterpriseDetailOut, **ERRORS},
    auth=session_auth,
)
def get_enterprise(request: HttpRequest, credit_code: str) -> CreditEnterpriseDetailOut:
    """An enterprise's grade, its line-by-line explanation, its records and its listing."""
    user = session_user(request)
    require_permission(user, MANAGE_CREDIT)
    return _detail(credit_code, user)


# A key of the caller's choosing that makes a retry safe (IETF's Idempotency-Key header).
IDEMPOTENCY_KEY = P(
    alias="Idempotency-Key",
    description="a key of the caller's choosing (a UUID), 1 to 255 visible ASCII characters,"
    " that makes a retry safe: the same request (enterprise and body) sent again with it"
    " answers 200 with the record the first one made, making no second record; another"
    " request with the same key is refused, 409 idempotency_key_reused. Keys are each"
    " account's own",
)


@router.post(
    "/enterprises/{credit_code}/records",
    response={201: CreditRecordOut, 200: CreditRecordOut, **ERRORS},
    auth=session_auth,
)
def record_credit(
    request: HttpRequest,
    credit_code: str,
    payload: CreditRecordIn,
    idempotency_key: HeaderEx[str | None, IDEMPOTENCY_KEY] = None,
) -> Status[CreditRecordOut]:
    """Put a fact on the enterprise's credit file (a penalty decision, an inspection ...).

    With an ``Idempotency-Key`` header a retry of the same request answers
    200 with the record the first sending made, and never makes a second one.
    """
    user = session_user(request)
    require_permission(user, MANAGE_CREDIT)
    enterprise = credit_access.access_enterprise_by_credit_code(user, credit_code)
    if payload.kind == scoring.SERIOUS_DISHONESTY:
        raise InvalidInput(
            _("严重失信主体须通过严重失信主体名单列入，不能作为一般信用记录添加。"),
            code="use_dishonesty_list",
            detail={"fields": {"kind": "invalid"}, "operation": "POST /dishonesty-list"},
        )
    actor = actor_of(user)
    if idempotency_key is None:
        record = do_record_credit(
            enterprise,
            payload.kind,
            payload.occurred_on,
            payload.description,
            actor=actor,
            severity=payload.severity,
            count=payload.count,
            authority=payload.authority,
            source_ref=payload.source_ref.strip(),
        )
        return Status(201, _record_out(record))
    asked = CreditRequest(
        enterprise,
        payload.kind,
        payload.occurred_on,
        payload.description,
        severity=payload.severity,
        count=payload.count,
        authority=payload.authority,
        source_ref=payload.source_ref.strip(),
    )
    recorded = do_record_credit_once(asked, idempotency_key, actor=actor)
    return Status(200 if recorded.repeated else 201, _record_out(recorded.record))


# --- the scorecard ---------------------------------------------------------------------


@router.get("/scorecard", response={200: ScorecardVersionOut, **ERRORS}, auth=None)
def get_scorecard(request: HttpRequest) -> ScorecardVersionOut:
    """The scorecard in use (public): every rule a grade is computed by."""
    version, _card = active_scorecard()
    return _version_out(version)


@router.post("/scorecard", response={201: ScorecardVersionOut, **ERRORS}, auth=session_auth)
def publish_scorecard(request: HttpRequest, payload: ScorecardIn) -> Status[ScorecardVersionOut]:
    """Publish a new scorecard version; it is checked, made active and everyone is regraded.

    A refused document answers ``invalid_scorecard`` with every problem, by
    its place in the document, in ``detail.problems``.
    """
    user = session_user(request)
    require_permission(user, MANAGE_SCORECARD)
    version = do_publish_scorecard(payload.config, payload.note, actor=actor_of(user))
    return Status(201, _version_out(version))


# --- the serious-dishonesty list -------------------------------------------------------


@router.get("/dishonesty-list", response={200: list[DishonestyListingOut], **ERRORS}, auth=None)
def get_dishonesty_list(request: HttpRequest) -> list[DishonestyListingOut]:
    """The enterprises now on the serious-dishonesty list (public, 信用公示)."""
    return [
        _listing_out(listing)
        for listing in credit_access.current_listings().order_by("-listed_on", "-pk")
    ]


@router.post("/dishonesty-list", response={201: DishonestyListingOut, **ERRORS}, auth=session_auth)
def list_enterprise(
    request: HttpRequest, payload: DishonestyListingIn
) -> Status[DishonestyListingOut]:
    """Put an enterprise on the list; it is published through the exchange once committed."""
    user = session_user(request)
    require_permission(user, MANAGE_CREDIT)
    enterprise = credit_access.access_enterprise_by_credit_code(user, payload.credit_code)
    listing = do_list_serious_dishonesty(
        enterprise,
        payload.reason,
        payload.legal_basis,
        payload.authority,
        payload.listed_on,
        payload.expires_on,
        actor=actor_of(user),
    )
    return Status(201, _listing_out(listing))


@router.post(
    "/dishonesty-list/{listing_id}/remove",
    response={200: DishonestyListingOut, **ERRORS},
    auth=session_auth,
)
def remove_listing(
    request: HttpRequest, listing_id: int, payload: ListingRemovalIn
) -> DishonestyListingOut:
    """Take an enterprise off the list (the withdrawal is published through the exchange)."""
    user = session_user(request)
    require_permission(user, MANAGE_CREDIT)
    listing = credit_access.access_listing_by_id(user, listing_id)
    return _listing_out(do_remove_listing(listing, payload.reason, actor=actor_of(user)))
