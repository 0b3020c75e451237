"""The eservices API, mounted at /api/services/.

Searching and reading the published items is public; staff holding
eservices.manage_items for the implementing department write with their session.
"""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from zhengtong.core.schemas import ERROR_RESPONSES, ErrorOut
from zhengtong.eservices import actions
from zhengtong.eservices.access import (
    access_department_for_items,
    access_item_by_code,
    require_manage,
)
from zhengtong.eservices.actions import (
    FaqInput,
    FeeInput,
    MaterialInput,
    ServiceItemInput,
    SpecialProcedureInput,
    StepInput,
)
from zhengtong.eservices.models import ServiceItem
from zhengtong.eservices.schemas import (
    FaqIn,
    FeeIn,
    ItemReasonIn,
    MaterialOut,
    ServiceItemIn,
    ServiceItemOut,
    ServiceItemSummaryOut,
    SpecialProcedureOut,
    StepIn,
)
from zhengtong.eservices.selectors import MAX_QUERY_LENGTH, ItemFilters, search_items
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import session_auth

router = Router(tags=["eservices"])
ERRORS = ERROR_RESPONSES


class ItemSearchIn(Schema):
    q: str = Field("", max_length=MAX_QUERY_LENGTH, description="what the person wants to do")
    target: str = ""
    department: str = ""
    item_type: str = ""


def summary_out(item: ServiceItem, score: float = 0) -> ServiceItemSummaryOut:
    return ServiceItemSummaryOut(
        code=item.code,
        name=item.name,
        item_type=item.item_type,
        department_code=item.department.code,
        department_name=item.department.name,
        target=item.target,
        handling_kind=item.handling_kind,
        committed_limit_days=item.committed_limit_days,
        onsite_visits=item.onsite_visits,
        online_depth=item.online_depth,
        state=item.state,
        score=round(score, 2),
    )


def item_out(item: ServiceItem) -> ServiceItemOut:
    return ServiceItemOut(
        **summary_out(item).dict(),
        summary=item.summary,
        setting_basis=item.setting_basis,
        implementing_basis=item.implementing_basis,
        statutory_limit_days=item.statutory_limit_days,
        acceptance_conditions=item.acceptance_conditions,
        place=item.place,
        hours=item.hours,
        enquiry_phone=item.enquiry_phone,
        complaint_phone=item.complaint_phone,
        result_name=item.result_name,
        keywords=item.keywords,
        phrasings=[str(p) for p in item.phrasings],
        materials=[
            MaterialOut(
                name=m.name,
                form=m.form,
                medium=m.medium,
                copies=m.copies,
                requirement=m.requirement,
                source=m.source,
                resource_code=m.resource_code,
                item_codes=list(m.item_codes),
                licence_type=m.licence_type,
                notes=m.notes,
            )
            for m in item.materials.all()
        ],
        special_procedures=[
            SpecialProcedureOut(
                name=p.name, max_days=p.max_days, counted_in_limit=p.counted_in_limit, notes=p.notes
            )
            for p in item.special_procedures.all()
        ],
        steps=[StepIn(**step) for step in item.steps],
        fees=[FeeIn(**fee) for fee in item.fees],
        faqs=[FaqIn(**faq) for faq in item.faqs],
        process_id=item.process_id,
        form_schema=item.form_schema,
        co_department_codes=sorted(d.code for d in item.co_departments.all()),
        published_at=item.published_at,
    )


def item_input(payload: ServiceItemIn) -> ServiceItemInput:
    data = payload.dict()
    data.pop("department_code")
    return ServiceItemInput(
        **{
            **data,
            "materials": [MaterialInput(**m) for m in data["materials"]],
            "special_procedures": [SpecialProcedureInput(**p) for p in data["special_procedures"]],
            "steps": [StepInput(**s) for s in data["steps"]],
            "fees": [FeeInput(**f) for f in data["fees"]],
            "faqs": [FaqInput(**f) for f in data["faqs"]],
        }
    )


@router.get("/items", response={200: list[ServiceItemSummaryOut], 422: ErrorOut})
def list_items(request: HttpRequest, filters: Query[ItemSearchIn]) -> list[ServiceItemSummaryOut]:
    """Search the published items the way people ask ("开饭店", "退休"), best match first."""
    hits = search_items(
        ItemFilters(filters.q, filters.target, filters.department, filters.item_type)
    )
    return [summary_out(hit.item, hit.score) for hit in hits]


@router.get("/items/{code}", response={200: ServiceItemOut, 404: ErrorOut})
def get_item(request: HttpRequest, code: str) -> ServiceItemOut:
    """One item with its whole guide, materials, form and process name."""
    return item_out(access_item_by_code(request.user, code))


@router.post("/items", response={201: ServiceItemOut, **ERRORS}, auth=session_auth)
def create_item(request: HttpRequest, payload: ServiceItemIn) -> Status[ServiceItemOut]:
    """Create a draft item for a department whose items you manage."""
    department = access_department_for_items(request.user, payload.department_code)
    item = actions.do_create_service_item(
        department, item_input(payload), actor=actor_of(request.user)
    )
    return Status(201, item_out(access_item_by_code(request.user, item.code)))


@router.put("/items/{code}", response={200: ServiceItemOut, **ERRORS}, auth=session_auth)
def update_item(request: HttpRequest, code: str, payload: ServiceItemIn) -> ServiceItemOut:
    """Replace an item's content (the implementing department stays)."""
    item = access_item_by_code(request.user, code)
    require_manage(request.user, item)
    changed = actions.do_update_service_item(
        item, item_input(payload), actor=actor_of(request.user)
    )
    return item_out(access_item_by_code(request.user, changed.code))


@router.post("/items/{code}/publish", response={200: ServiceItemOut, **ERRORS}, auth=session_auth)
def publish_item(request: HttpRequest, code: str) -> ServiceItemOut:
    """Publish a draft or suspended item."""
    item = access_item_by_code(request.user, code)
    require_manage(request.user, item)
    actions.do_publish_service_item(item, actor=actor_of(request.user))
    return item_out(access_item_by_code(request.user, code))


@router.post("/items/{code}/suspend", response={200: ServiceItemOut, **ERRORS}, auth=session_auth)
def suspend_item(request: HttpRequest, code: str, payload: ItemReasonIn) -> ServiceItemOut:
    """Stop taking applications for a published item, with a reason."""
    item = access_item_by_code(request.user, code)
    require_manage(request.user, item)
    actions.do_suspend_service_item(item, payload.reason, actor=actor_of(request.user))
    return item_out(access_item_by_code(request.user, code))
