"""Reads of enterprise credit: the active scorecard, an enterprise's records and grade."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from zhengtong.core.models import Enterprise
from zhengtong.core.validators import normalise
from zhengtong.regulation import credit_scorecard as scoring
from zhengtong.regulation.models import CreditRecord, CreditStanding, ScorecardVersion


def active_scorecard() -> tuple[ScorecardVersion, scoring.Scorecard]:
    """Return the active scorecard version and its rules."""
    version = ScorecardVersion.objects.filter(is_active=True).first()
    if version is None:
        # The migrations install version 1; only a database emptied by hand lacks one.
        raise LookupError("no active credit scorecard")
    return version, scoring.Scorecard.from_dict(version.config)


def scorecard_records(enterprise: Enterprise) -> list[scoring.CreditRecord]:
    """Return the enterprise's credit records as the scorecard grades them."""
    return [
        scoring.CreditRecord(
            kind=r.kind,
            occurred_on=r.occurred_on,
            severity=r.severity,
            count=r.count,
            description=r.description,
            repaired=r.repaired_at is not None,
            source_ref=str(r.pk),
        )
        for r in CreditRecord.objects.filter(enterprise=enterprise).order_by("occurred_on", "pk")
    ]


def grade_records(
    records: Iterable[scoring.CreditRecord], card: scoring.Scorecard, *, today: dt.date
) -> scoring.CreditGrade:
    return scoring.grade(records, card, today=today)


def credit_grade(enterprise: Enterprise, *, today: dt.date | None = None) -> scoring.CreditGrade:
    """Grade the enterprise now by the active scorecard, with the line-by-line explanation.

    Each line's ``source_refs`` are the ids of the ``CreditRecord`` rows it counts.
    """
    _version, card = active_scorecard()
    return scoring.grade(scorecard_records(enterprise), card, today=today or timezone.localdate())


def standing_of(enterprise: Enterprise) -> CreditStanding | None:
    """Return the enterprise's kept grade, or None if it has never been graded."""
    return CreditStanding.objects.filter(enterprise=enterprise).first()


def credit_class_of(enterprise_ids: Iterable[int]) -> dict[int, str]:
    """Map enterprise ids to their kept grade; an enterprise never graded has a clean file."""
    _version, card = active_scorecard()
    clean = card.grade_for_score(card.base_score)
    grades = dict(
        CreditStanding.objects.filter(enterprise_id__in=list(enterprise_ids)).values_list(
            "enterprise_id", "grade"
        )
    )
    return {pk: grades.get(pk, clean) for pk in enterprise_ids}


def listing_search(query: str) -> Q:
    """Match a listing or standing's enterprise by part of its name or of its credit code."""
    # A name is matched as typed, since names keep their full-width brackets
    # (（分店）); a code as stored, so that one typed in full width (ＭＡ４Ｌ)
    # is found.
    return Q(enterprise__name__icontains=query) | Q(
        enterprise__credit_code__icontains=normalise(query)
    )
