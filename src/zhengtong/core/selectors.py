"""Reading the shared registers: regions, departments, people, enterprises."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from zhengtong.core.errors import NotFound
from zhengtong.core.models import Department, Enterprise, Person, Region
from zhengtong.core.validators import normalise

PATH_SEPARATOR = "/"


def get_region(code: str) -> Region:
    """Return the region with this GB/T 2260 code; raise NotFound if there is none."""
    try:
        return Region.objects.get(code=code.strip())
    except Region.DoesNotExist:
        raise NotFound(
            _("没有代码为%(code)s的行政区划。") % {"code": code},
            code="region_not_found",
            detail={"code": code},
        ) from None


def regions_within(region: Region) -> QuerySet[Region]:
    """Return the region itself and every region inside it."""
    return Region.objects.filter(Q(pk=region.pk) | Q(path__startswith=region.path + PATH_SEPARATOR))


def is_within(region_code: str, ancestor_code: str) -> bool:
    """Return whether the region is the ancestor or lies inside it (False for unknown codes)."""
    if region_code == ancestor_code:
        return Region.objects.filter(pk=region_code).exists()
    path = Region.objects.filter(pk=region_code).values_list("path", flat=True).first()
    return path is not None and ancestor_code in path.split(PATH_SEPARATOR)


def region_ancestors(region: Region) -> list[Region]:
    """Return the regions above this one, from the province down."""
    codes = region.path.split(PATH_SEPARATOR)[:-1]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[code] for code in codes if code in found]


def child_regions(parent: Region | None) -> QuerySet[Region]:
    """Return the regions directly below the parent, or the provinces when it is None."""
    if parent is None:
        return Region.objects.filter(parent__isnull=True)
    return Region.objects.filter(parent=parent)


def search_regions(query: str, *, within: Region | None = None) -> QuerySet[Region]:
    """Return regions whose name or code contains the query, optionally inside a region."""
    regions = regions_within(within) if within is not None else Region.objects.all()
    query = query.strip()
    if query.isdigit():
        return regions.filter(code__startswith=query)
    return regions.filter(name__contains=query)


def departments_in(region: Region | None = None) -> QuerySet[Department]:
    """Return the active departments of the region and the regions inside it."""
    departments = Department.objects.filter(is_active=True).select_related("region", "parent")
    if region is None:
        return departments
    return departments.filter(
        Q(region=region) | Q(region__path__startswith=region.path + PATH_SEPARATOR)
    )


def get_department(code: str) -> Department:
    """Return the department with this code; raise NotFound if there is none."""
    try:
        return Department.objects.select_related("region").get(code=code)
    except Department.DoesNotExist:
        raise NotFound(detail={"code": code}) from None


def find_person_by_id_number(id_number: str) -> Person | None:
    """Return the person with this 身份证号, or None."""
    return Person.objects.filter(id_number=normalise(id_number)).first()


def find_enterprise_by_credit_code(credit_code: str) -> Enterprise | None:
    """Return the enterprise with this 统一社会信用代码, or None."""
    return (
        Enterprise.objects.select_related("region", "legal_representative")
        .filter(credit_code=normalise(credit_code))
        .first()
    )


def find_department_by_credit_code(credit_code: str) -> Department | None:
    """Return the department with this 统一社会信用代码, or None."""
    return Department.objects.filter(credit_code=normalise(credit_code)).first()
