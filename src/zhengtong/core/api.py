"""The core app's API operations, mounted by zhengtong.api at /api/core/.

Everything here is public: divisions and departments are public information,
and the number checks only compute over what the caller sends. No operation
returns data about a person held by the platform.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from zhengtong.core.models import Department, Region
from zhengtong.core.schemas import (
    CreditCodeCheckIn,
    CreditCodeCheckOut,
    DepartmentFilterIn,
    DepartmentOut,
    ErrorOut,
    IdNumberCheckIn,
    IdNumberCheckOut,
    RegionDetailOut,
    RegionFilterIn,
    RegionOut,
    RegionRefOut,
)
from zhengtong.core.selectors import (
    child_regions,
    departments_in,
    get_region,
    region_ancestors,
    search_regions,
)
from zhengtong.core.validators import (
    credit_code_authority,
    validate_credit_code,
    validate_id_number,
)

router = Router(tags=["core"])


def _region_out(region: Region) -> RegionOut:
    return RegionOut(
        code=region.code, name=region.name, level=region.level, parent_code=region.parent_id
    )


def _region_ref(region: Region) -> RegionRefOut:
    return RegionRefOut(code=region.code, name=region.name, level=region.level)


def _region_chain(code: str) -> list[RegionRefOut]:
    """Return the division with this code and those above it, or [] if it is not listed."""
    region = Region.objects.filter(code=code).first()
    if region is None:
        return []
    return [_region_ref(r) for r in [*region_ancestors(region), region]]


@router.get(
    "/regions/{code}",
    response={200: RegionDetailOut, 404: ErrorOut},
    auth=None,
    summary="A region with its ancestors and children",
)
def region_detail(request: HttpRequest, code: str) -> RegionDetailOut:
    region = get_region(code)
    return RegionDetailOut(
        code=region.code,
        name=region.name,
        level=region.level,
        parent_code=region.parent_id,
        ancestors=[_region_ref(r) for r in region_ancestors(region)],
        children=[_region_out(r) for r in child_regions(region)],
    )


@router.get(
    "/regions",
    response={200: list[RegionOut], 404: ErrorOut},
    auth=None,
    summary="Regions below a parent, or matching a name",
)
def region_list(request: HttpRequest, filters: Query[RegionFilterIn]) -> list[RegionOut]:
    parent = get_region(filters.parent) if filters.parent else None
    if filters.q and filters.q.strip():
        regions = search_regions(filters.q, within=parent)
    else:
        regions = child_regions(parent)
    return [_region_out(r) for r in regions.order_by("code")[: filters.limit]]


@router.post(
    "/checks/id-number",
    response={200: IdNumberCheckOut, 400: ErrorOut},
    auth=None,
    summary="Check a 公民身份号码 (GB 11643)",
)
def check_id_number(request: HttpRequest, payload: IdNumberCheckIn) -> IdNumberCheckOut:
    facts = validate_id_number(payload.id_number)
    return IdNumberCheckOut(
        id_number=facts.number,
        birth_date=facts.birth_date,
        sex=facts.sex,
        region_code=facts.region_code,
        region=_region_chain(facts.region_code),
    )


@router.post(
    "/checks/credit-code",
    response={200: CreditCodeCheckOut, 400: ErrorOut},
    auth=None,
    summary="Check a 统一社会信用代码 (GB 32100)",
)
def check_credit_code(request: HttpRequest, payload: CreditCodeCheckIn) -> CreditCodeCheckOut:
    code = validate_credit_code(payload.credit_code)
    return CreditCodeCheckOut(
        credit_code=code,
        authority_code=code[0],
        authority=credit_code_authority(code),
        entity_type_code=code[1],
        region_code=code[2:8],
        region=_region_chain(code[2:8]),
        organisation_code=code[8:17],
    )


def _department_out(department: Department) -> DepartmentOut:
    return DepartmentOut(
        code=department.code,
        name=department.name,
        short_name=department.short_name,
        kind=department.kind,
        kind_label=str(department.get_kind_display()),
        credit_code=department.credit_code,
        region=_region_ref(department.region),
        parent_code=department.parent.code if department.parent else None,
    )


@router.get(
    "/departments",
    response={200: list[DepartmentOut], 404: ErrorOut},
    auth=None,
    summary="The active departments of a region and the regions inside it",
)
def department_list(
    request: HttpRequest, filters: Query[DepartmentFilterIn]
) -> list[DepartmentOut]:
    region = get_region(filters.region) if filters.region else None
    departments = departments_in(region).order_by("region__path", "code")
    return [
        _department_out(d) for d in departments[filters.offset : filters.offset + filters.limit]
    ]
