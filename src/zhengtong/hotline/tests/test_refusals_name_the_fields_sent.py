"""Every refusal of the hotline API that names a field names it as the caller sent it.

The call-centre system puts a refusal's message beside its own input by
``detail.fields``; the actions name fields as the pages' forms do, so an
operation whose input names the same thing otherwise (``department_code``
for the form's ``department``) must answer under its own name. The input
names are read from the operation's OpenAPI schema, so that a field renamed
in a schema and not in the refusal fails here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.api import api
from zhengtong.core.models import Department
from zhengtong.core.testing import TEST_ACTOR, make_credit_code, make_enterprise
from zhengtong.hotline.actions import (
    MAX_CONTACT_NAME,
    MAX_CONTENT,
    MAX_LOCATION,
    MAX_NOTE,
    MAX_REPLY,
    MAX_REPLY_DRAFT,
    MAX_TITLE,
    CaseInput,
    do_dispatch_case,
    do_rate_case,
    do_reply_case,
    do_request_extension,
    do_sign_case,
    do_submit_case,
)
from zhengtong.hotline.models import Case, LabelledExample
from zhengtong.hotline.states import CaseState, Channel
from zhengtong.hotline.tests.api_calls import POLLUTION, URL
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast

REPLY = "经现场核查，该厂夜间超标排放属实，我局已立案查处，责令立即整改。联系电话 0731-12345678。"
PREFIX = "/api/hotline"
OTHER_PLANT = make_credit_code("430199", 98)


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


# --- the cases the refused requests are about ---------------------------------------------


def queued(cast: HotlineCast) -> Case:
    case = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone="13900003333"),
        actor=TEST_ACTOR,
    )
    assert case.state == CaseState.DISPATCHING
    return case


def assigned(cast: HotlineCast) -> Case:
    return do_dispatch_case(queued(cast), "环境保护", cast.furong_environment, actor=TEST_ACTOR)


def handled(cast: HotlineCast) -> Case:
    departments = [cast.furong_environment.pk]
    return do_sign_case(assigned(cast), actor=TEST_ACTOR, departments=departments)


def replied(cast: HotlineCast) -> Case:
    departments = [cast.furong_environment.pk]
    return do_reply_case(handled(cast), REPLY, actor=TEST_ACTOR, departments=departments)


def found_at_fault(cast: HotlineCast) -> Case:
    """Replied with a finding against one enterprise, then reopened by the callback."""
    departments = [cast.furong_environment.pk]
    plant = make_enterprise("长沙市某化工有限公司")
    make_enterprise("长沙市另一化工有限公司", credit_code=OTHER_PLANT)
    case = do_reply_case(
        handled(cast),
        REPLY,
        actor=TEST_ACTOR,
        departments=departments,
        upheld_against=plant.credit_code,
    )
    return do_rate_case(case, "unsatisfied", actor=TEST_ACTOR)


def with_retired_housing_bureau(cast: HotlineCast) -> Case:
    Department.objects.filter(pk=cast.city_housing.pk).update(is_active=False)
    return queued(cast)


def with_extension_requested(cast: HotlineCast) -> Case:
    case = assigned(cast)
    do_request_extension(
        case, 3, "需要现场核查。", actor=TEST_ACTOR, departments=[cast.furong_environment.pk]
    )
    return case


def with_few_decisions(cast: HotlineCast) -> None:
    for label in ("环境保护", "城乡建设"):
        LabelledExample.objects.create(
            body=POLLUTION, label=label, labelled_by="刘派", labelled_at=timezone.now()
        )


# --- the table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A request the operation at ``path`` refuses with ``code``, naming one field."""

    code: str
    method: str
    path: str
    who: str
    body: dict[str, Any] = field(default_factory=dict)
    given: Callable[[HotlineCast], Case | None] | None = None


def intake(code: str, **body: Any) -> Refused:
    return Refused(code, "post", "/cases", "call_centre", {"content": POLLUTION, **body})


def dispatch(
    code: str, given: Callable[[HotlineCast], Case | None] = queued, **body: Any
) -> Refused:
    sent = {"category": "环境保护", "department_code": "fr-env", **body}
    return Refused(code, "post", "/cases/{number}/dispatch", "dispatcher", sent, given)


def reply(code: str, given: Callable[[HotlineCast], Case | None] = handled, **body: Any) -> Refused:
    return Refused(
        code, "post", "/cases/{number}/reply", "chenhuan", {"reply": REPLY, **body}, given
    )


def _at(days: int) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


REFUSALS = [
    intake("content_required", content=" "),
    intake("content_too_short", content="有噪音"),
    intake("content_too_long", content="噪" * (MAX_CONTENT + 1)),
    intake("title_too_long", title="题" * (MAX_TITLE + 1)),
    intake("location_text_too_long", location_text="地" * (MAX_LOCATION + 1)),
    intake("invalid_channel", channel="fax"),
    intake("invalid_urgency", urgency="whenever"),
    intake("contact_name_too_long", contact_name="名" * (MAX_CONTACT_NAME + 1)),
    intake("invalid_phone", contact_phone="call me"),
    intake("received_in_future", received_at=_at(2)),
    intake("received_too_old", received_at=_at(-400)),
    Refused("content_required", "post", "/classify", "call_centre", {"content": ""}),
    Refused(
        "title_too_long",
        "post",
        "/classify",
        "call_centre",
        {"content": POLLUTION, "title": "题" * (MAX_TITLE + 1)},
    ),
    Refused(
        "location_text_too_long",
        "post",
        "/classify",
        "call_centre",
        {"content": POLLUTION, "location_text": "地" * (MAX_LOCATION + 1)},
    ),
    dispatch("department_code_required", department_code=" "),
    dispatch("unknown_department", department_code="no-such"),
    dispatch("unknown_district", district_code="999999"),
    dispatch("invalid_urgency", urgency="whenever"),
    dispatch("category_required", category=" "),
    dispatch("unknown_category", category="天气预报"),
    dispatch("inactive_department", with_retired_housing_bureau, department_code="cs-housing"),
    # The centre itself has nobody who signs for cases.
    dispatch("department_without_handler", department_code="cs-12345"),
    dispatch("note_too_long", note="说" * (MAX_NOTE + 1)),
    Refused(
        "reason_required", "post", "/cases/{number}/return", "chenhuan", {"reason": " "}, assigned
    ),
    Refused(
        "reason_without_words",
        "post",
        "/cases/{number}/return",
        "chenhuan",
        {"reason": "。。。"},
        assigned,
    ),
    Refused(
        "invalid_urgency",
        "post",
        "/cases/{number}/urgency",
        "dispatcher",
        {"urgency": "x"},
        assigned,
    ),
    Refused(
        "note_too_long",
        "post",
        "/cases/{number}/urgency",
        "dispatcher",
        {"urgency": "urgent", "note": "说" * (MAX_NOTE + 1)},
        assigned,
    ),
    Refused(
        "reason_required", "post", "/cases/{number}/recall", "dispatcher", {"reason": ""}, assigned
    ),
    Refused(
        "invalid_days",
        "post",
        "/cases/{number}/extensions",
        "chenhuan",
        {"days": 0, "reason": "需要现场核查。"},
        assigned,
    ),
    Refused(
        "reason_required",
        "post",
        "/cases/{number}/extensions",
        "chenhuan",
        {"days": 3, "reason": ""},
        assigned,
    ),
    Refused(
        "note_required",
        "post",
        "/extensions/{extension_id}/decision",
        "dispatcher",
        {"approve": False, "note": ""},
        with_extension_requested,
    ),
    Refused(
        "note_too_long",
        "post",
        "/cases/{number}/urge",
        "dispatcher",
        {"note": "说" * (MAX_NOTE + 1)},
        assigned,
    ),
    Refused(
        "reply_required", "post", "/cases/{number}/reply-score", "chenhuan", {"reply": ""}, handled
    ),
    Refused(
        "reply_too_long",
        "post",
        "/cases/{number}/reply-score",
        "chenhuan",
        {"reply": "答" * (MAX_REPLY_DRAFT + 1)},
        handled,
    ),
    reply("reply_required", reply="\u200b"),
    reply("reply_without_words", reply="……"),
    reply("reply_too_long", reply="答" * (MAX_REPLY + 1)),
    reply("invalid_credit_code", upheld_against="X" * 18),
    reply("unknown_enterprise", upheld_against=make_credit_code("430199", 99)),
    reply(
        "upheld_against_other_enterprise",
        found_at_fault,
        upheld_against=OTHER_PLANT,
    ),
    Refused(
        "invalid_rating", "post", "/cases/{number}/rating", "dispatcher", {"rating": "x"}, replied
    ),
    Refused(
        "comment_too_long",
        "post",
        "/cases/{number}/rating",
        "dispatcher",
        {"rating": "satisfied", "comment": "意" * (MAX_NOTE + 1)},
        replied,
    ),
    Refused("invalid_rating", "post", "/track/{code}/rating", "anyone", {"rating": "x"}, replied),
    Refused(
        "too_few_labels",
        "post",
        "/models",
        "admin",
        {"use_shared_data": False, "include_corrections": True},
    ),
    Refused(
        "too_few_examples",
        "post",
        "/models",
        "admin",
        {"use_shared_data": False, "include_corrections": True},
        with_few_decisions,
    ),
    Refused("invalid_days", "get", "/hot-issues", "leader", {"days": 5}),
]


@cache
def _schema() -> dict[str, Any]:
    return api.get_openapi_schema()


def input_names(method: str, path: str) -> set[str]:
    """The names of the operation's input: its parameters and its body's properties."""
    schema = _schema()
    operation = schema["paths"][PREFIX + path][method]
    names = {parameter["name"] for parameter in operation.get("parameters", [])}
    for content in operation.get("requestBody", {}).get("content", {}).values():
        body = content["schema"]
        if "$ref" in body:
            body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
        names |= set(body.get("properties", {}))
    return names


def _send(cast: HotlineCast, refused: Refused) -> Any:
    case = refused.given(cast) if refused.given is not None else None
    path = refused.path
    if case is not None:
        extension = case.extensions.first()
        path = path.format(
            number=case.number,
            code=case.tracking_code,
            extension_id=extension.pk if extension is not None else 0,
        )
    if refused.who == "call_centre":
        http = Client(HTTP_AUTHORIZATION=f"Bearer {cast.call_centre_token}")
    else:
        http = Client()
        if refused.who != "anyone":
            http.force_login(getattr(cast, refused.who))
    if refused.method == "get":
        return http.get(f"{URL}{path}", refused.body)
    return http.post(f"{URL}{path}", refused.body, content_type="application/json")


@pytest.mark.parametrize(
    "refused", REFUSALS, ids=[f"{r.method} {r.path} {r.code}" for r in REFUSALS]
)
def test_a_refusal_names_a_field_of_the_operation(cast: HotlineCast, refused: Refused) -> None:
    response = _send(cast, refused)
    body = response.json()
    assert response.status_code == 400 or body["code"] == "upheld_against_other_enterprise", body
    assert body["code"] == refused.code, body
    fields = body["detail"]["fields"]
    assert set(fields) <= input_names(refused.method, refused.path), fields
    assert list(fields.values()) == [body["message"]]


def test_every_hotline_operation_that_takes_a_body_or_query_is_in_the_table() -> None:
    # Operations whose refusals name no field: an upload refused as a whole
    # workbook, ids passed over, and switches and limits pydantic checks.
    without_fields = {
        ("post", "/imports"),
        ("post", "/notifications/read"),
        ("post", "/models/{number}/activate"),
        ("get", "/overview"),
        ("get", "/hot-issues/alerts"),
    }
    schema = _schema()
    taking_input = {
        (method, path.removeprefix(PREFIX))
        for path, operations in schema["paths"].items()
        if path.startswith(PREFIX + "/")
        for method, operation in operations.items()
        if "requestBody" in operation
        or any(p["in"] == "query" for p in operation.get("parameters", []))
    }
    tabled = {(r.method, r.path) for r in REFUSALS}
    assert taking_input - without_fields == tabled
