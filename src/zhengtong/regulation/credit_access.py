"""Who may see and change which enterprises' credit files; missing and forbidden answer the same.

A credit regulator (``regulation.manage_credit``) works on the enterprises
registered inside the region of their post: a post scoped to a region covers
the enterprises in it, a post scoped to its department covers those in the
department's own region (a district branch keeps its district's files). The
published list of seriously dishonest enterprises is public (信用公示).
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.core.errors import NotFound
from zhengtong.core.models import Enterprise
from zhengtong.core.validators import normalise
from zhengtong.identity.permissions import grants_of
from zhengtong.regulation.models import DishonestyListing
from zhengtong.regulation.permissions import MANAGE_CREDIT

Principal = AbstractBaseUser | AnonymousUser | None


def _inside(field: str, path: str) -> Q:
    area = path.rstrip("/")
    return Q(**{field: area}) | Q(**{f"{field}__startswith": area + "/"})


def credit_enterprises(user: Principal) -> QuerySet[Enterprise]:
    """Return the enterprises whose credit files the user keeps."""
    condition = Q()
    matched = False
    for grant in grants_of(user):
        if MANAGE_CREDIT not in grant.permissions:
            continue
        path = grant.area_path or grant.department_region_path
        if path is None:
            continue
        matched = True
        condition |= _inside("region__path", path)
    if not matched:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(condition)


def access_enterprise_by_credit_code(user: Principal, credit_code: str) -> Enterprise:
    """Return an enterprise whose credit file the user keeps, by its 统一社会信用代码."""
    enterprise = (
        credit_enterprises(user)
        .select_related("region")
        .filter(credit_code=normalise(credit_code))
        .first()
    )
    if enterprise is None:
        raise NotFound(_("找不到该企业，或不在您的管辖范围内。"), code="enterprise_not_found")
    return enterprise


def access_listing_by_id(user: Principal, listing_id: int) -> DishonestyListing:
    """Return a listing of an enterprise whose credit file the user keeps."""
    listing = (
        DishonestyListing.objects.select_related("enterprise")
        .filter(pk=listing_id, enterprise__in=credit_enterprises(user))
        .first()
    )
    if listing is None:
        raise NotFound(_("找不到该名单记录。"), code="listing_not_found")
    return listing


def current_listings() -> QuerySet[DishonestyListing]:
    """Return the listings now on the public list, newest first (anyone may read them).

    A listing whose term ended yesterday is left out at once, before the
    hourly task removes it.
    """
    return DishonestyListing.objects.filter(
        removed_at=None, expires_on__gte=timezone.localdate()
    ).select_related("enterprise")
