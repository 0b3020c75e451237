"""The GovStack Registration profile through HTTP, its answers checked against the specification."""

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices.models import Application, ApplicationEvent, ApplicationMaterial
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    MANUAL_FORM,
    PASSWORD,
    PDF,
    PNG,
    ApplicationsCast,
    cast,
    material,
    pdf,
    promise_day,
)
from zhengtong.exchange.govstack import client_identifier
from zhengtong.identity.actions import do_create_staff, do_end_post, do_issue_client
from zhengtong.identity.models import StaffPost, User
from zhengtong.ledger.models import LedgerEntry

__all__ = ["cast"]

URL = "/api/govstack/registration"
NATIVE = "/api/services/applications"
REFERENCE = Path(__file__).resolve().parents[5] / "shared" / "reference" / "govstack"
HEADER = {"Information-Mediator-Client": "ZHENGTONG/GOV/cs-market/portal"}


def logged_in(user: User) -> Client:
    """A session of ``user`` that sends the client header, as GovStack clients do."""
    http = Client(headers=HEADER)
    http.force_login(user)
    return http


def _relaxed(node: Any) -> Any:
    """The specification with Java's ``Map<String, Object>`` read as "any value".

    It says ``additionalProperties: {type: object}`` for form data, meaning
    any JSON value (its own examples hold strings); taken literally no form
    with a text field would validate.
    """
    if isinstance(node, dict):
        return {
            key: {}
            if key == "additionalProperties" and value == {"type": "object"}
            else _relaxed(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_relaxed(value) for value in node]
    return node


def _spec(name: str) -> dict[str, Any]:
    path = REFERENCE / name
    if not path.exists():  # pragma: no cover - the reference lives beside the repository
        pytest.skip(f"{path} is not available")
    spec: dict[str, Any] = _relaxed(json.loads(path.read_text(encoding="utf-8")))
    return spec


JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}
# Formats checked; "uuid" is not (services are named by their item codes).
FORMATS = {"date-time": dt.datetime.fromisoformat, "date": dt.date.fromisoformat}


def _problems(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    """What in ``value`` breaks ``schema``, for the keywords the specification uses."""
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        return _problems(value, node, root, at)
    kind = schema.get("type")
    if kind is not None:
        wrong_bool = isinstance(value, bool) and kind in ("integer", "number")
        if not isinstance(value, JSON_TYPES[kind]) or wrong_bool:
            return [f"{at}: {value!r} is not of type {kind}"]
    problems = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{at}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str) and schema.get("format") in FORMATS:
        try:
            FORMATS[schema["format"]](value)
        except ValueError:
            problems.append(f"{at}: {value!r} is not a {schema['format']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        problems += [
            f"{at}: {name} is required" for name in schema.get("required", []) if name not in value
        ]
        for name, item in value.items():
            if name in properties:
                problems += _problems(item, properties[name], root, f"{at}.{name}")
            elif extra is False:
                problems.append(f"{at}: {name} is not in the specification")
            elif isinstance(extra, dict):
                problems += _problems(item, extra, root, f"{at}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += _problems(item, schema["items"], root, f"{at}[{index}]")
    return problems


def conforms(body: Any, component: str, *, many: bool = False, statistics: bool = False) -> None:
    """Check an answer against a component schema of the specification ($ref resolved in it)."""
    spec = _spec(
        "registration_GovStack_Registration_BB_API_statistics.json"
        if statistics
        else "registration_GovStack_Registration_BB_API.json"
    )
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{component}"}
    if many:
        schema = {"type": "array", "items": schema}
    assert _problems(body, schema, spec, "$") == []


def test_the_schema_check_finds_what_breaks_the_specification() -> None:
    assert _problems(
        {"id": 1},
        {"$ref": "#/components/schemas/service"},
        _spec("registration_GovStack_Registration_BB_API.json"),
        "$",
    ) == [
        "$: name is required",
        "$: type is required",
        "$: version is required",
        "$.id: 1 is not of type string",
    ]
    status = {"$ref": "#/components/schemas/statusModel"}
    spec = _spec("registration_GovStack_Registration_BB_API.json")
    assert _problems({"code": "DONE"}, status, spec, "$") == [
        "$.code: 'DONE' is not one of ['PENDING', 'APPROVED', 'SENDBACK', 'REJECTED']"
    ]
    created = {"properties": {"created": {"type": "string", "format": "date-time"}}}
    assert _problems({"created": "yesterday"}, created, spec, "$") == [
        "$.created: 'yesterday' is not a date-time"
    ]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "detail"}
    return body


def _json(http: Client, method: str, path: str, body: Any, **extra: Any) -> Any:
    return getattr(http, method)(path, json.dumps(body), content_type="application/json", **extra)


def applicant_id(user: User) -> str:
    return str(user.pk)


def _ledger(number: str) -> list[str]:
    application = Application.objects.get(number=number)
    return list(
        LedgerEntry.objects.filter(
            subject_type="eservices.Application", subject_id=str(application.pk)
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )


def draft(http: Client, cast: ApplicationsCast, form: dict[str, Any]) -> Any:
    body = {
        "applicantId": applicant_id(cast.applicant),
        "applicationName": "好味道餐饮",
        "formData": {"data": form, "eFormId": cast.food.code},
    }
    return _ok(
        _json(http, "post", f"{URL}/services/{cast.food.code}/applications?draft=true", body)
    )


def complete(http: Client, cast: ApplicationsCast, form: dict[str, Any]) -> Any:
    """A draft with its layout uploaded through /documents and the rules promised; submitted."""
    number = draft(http, cast, form)["fileId"]
    layout = material(cast.food, "设备设施")
    uploaded = _ok(
        http.post(f"{URL}/documents?fileId={number}&materialId={layout.pk}", {"file": pdf()})
    )
    conforms(uploaded, "uploadResponse")
    rules = material(cast.food, "规章制度")
    if form is AUTOMATIC_FORM:  # a 秒批 case hands in everything
        _ok(http.post(f"{URL}/documents?fileId={number}&materialId={rules.pk}", {"file": pdf()}))
    else:
        _ok(
            _json(
                http,
                "post",
                f"{NATIVE}/{number}/materials/{rules.pk}/promise",
                {"promised_on": promise_day().isoformat()},
            )
        )
    return _ok(
        _json(
            http,
            "put",
            f"{URL}/applications/{number}",
            {"applicantId": applicant_id(cast.applicant)},
        )
    )


# --- services and eForms -----------------------------------------------------------------


def test_it_lists_the_published_services_in_the_specification_shape(cast: ApplicationsCast) -> None:
    body = _ok(Client().get(f"{URL}/services", headers=HEADER))
    conforms(body, "service", many=True)
    [food] = body
    assert food["id"] == cast.food.code
    assert food["name"] == cast.food.name
    assert food["type"] == "Public"
    assert food["isExecutable"] is True
    facts = {p["code"]: p["value"] for p in food["serviceBody"]}
    assert facts["department"] == cast.market.name
    assert facts["committedLimitDays"] == str(cast.food.committed_limit_days)


def test_it_searches_services_the_way_people_ask(cast: ApplicationsCast) -> None:
    assert [s["id"] for s in _ok(Client().get(f"{URL}/services?name=食品经营"))] == [cast.food.code]
    assert _ok(Client().get(f"{URL}/services?name=退休养老金")) == []


def test_it_gives_one_service_and_its_form(cast: ApplicationsCast) -> None:
    http = Client()
    conforms(_ok(http.get(f"{URL}/services/{cast.food.code}")), "service")
    forms = _ok(http.get(f"{URL}/services/{cast.food.code}/eForms"))
    conforms(forms, "EFormListItem", many=True)
    assert [f["eFormId"] for f in forms] == [cast.food.code]
    form = _ok(http.get(f"{URL}/eForms/{cast.food.code}"))
    conforms(form, "EForm")
    assert form["schema"] == cast.food.form_schema
    assert form["latest"] is True


def test_it_answers_not_found_for_an_unknown_service_or_form(cast: ApplicationsCast) -> None:
    http = Client()
    _refused(
        http.get(f"{URL}/services/f7d33db0-2809-484e-a780-76b7ccd4ecbf"), 404, "unknown_service"
    )
    # The specification answers the list of a service's eForms with a list only.
    assert _ok(http.get(f"{URL}/services/000000000000/eForms")) == []
    _refused(http.get(f"{URL}/eForms/d98a205a-679b-485b-823d-7a32a391e744"), 404, "unknown_eform")


def test_it_refuses_a_malformed_information_mediator_header(cast: ApplicationsCast) -> None:
    response = Client().get(f"{URL}/services", headers={"Information-Mediator-Client": "just-me"})
    _refused(response, 400, "bad_client_header")


# --- applications ------------------------------------------------------------------------


def test_a_create_makes_exactly_one_application_with_its_ledger_entry(
    cast: ApplicationsCast,
) -> None:
    before = Application.objects.count()
    body = draft(logged_in(cast.applicant), cast, MANUAL_FORM)
    conforms(body, "applicationFileResponse")
    assert Application.objects.count() == before + 1
    assert body["serviceId"] == cast.food.code
    assert body["status"] == {"code": "PENDING", "title": "草稿"}
    assert body["ended"] is False
    assert "registered" not in body
    data = body["applicationData"]
    assert data["applicantId"] == applicant_id(cast.applicant)
    # Prefilled from the exchange, as on the native API.
    assert data["formData"]["data"]["legal_rep"] == "赵六"
    assert _ledger(body["fileId"]) == ["eservices.create_application"]


def test_a_refused_submission_keeps_the_draft_and_names_it(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    body = {"applicantId": applicant_id(cast.applicant), "formData": {"data": MANUAL_FORM}}
    refused = _refused(
        _json(http, "post", f"{URL}/services/{cast.food.code}/applications", body),
        400,
        "missing_materials",
    )
    number = refused["detail"]["fileId"]
    assert Application.objects.filter(applicant=cast.applicant).count() == 1
    assert Application.objects.get(number=number).state == "draft"
    assert _ledger(number) == ["eservices.create_application"]


def test_it_refuses_an_application_in_someone_elses_name(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    response = _json(
        http,
        "post",
        f"{URL}/services/{cast.food.code}/applications",
        {"applicantId": "42962de0-bdb2-11ed-9397-0242ac120004"},
    )
    _refused(response, 403, "not_own_applicant")
    response = _json(http, "post", f"{URL}/services/{cast.food.code}/applications", {})
    _refused(response, 400, "invalid_input")
    response = _json(
        http,
        "post",
        f"{URL}/services/{cast.food.code}/applications",
        {"applicantId": applicant_id(cast.applicant), "formData": {"data": {}, "eFormId": "x"}},
    )
    _refused(response, 400, "unknown_eform")
    assert not Application.objects.exists()


def test_it_refuses_applying_for_an_unknown_service_or_without_a_session(
    cast: ApplicationsCast,
) -> None:
    body = {"applicantId": applicant_id(cast.applicant)}
    unknown = f"{URL}/services/n0t-ex1st1ng-serv1ce-1d/applications"
    _refused(_json(logged_in(cast.applicant), "post", unknown, body), 404, "unknown_service")
    known = f"{URL}/services/{cast.food.code}/applications"
    _refused(_json(Client(), "post", known, body), 401, "not_authenticated")
    assert not Application.objects.exists()


def test_a_small_shop_is_approved_at_once_with_its_documents(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    body = complete(http, cast, AUTOMATIC_FORM)
    conforms(body, "applicationFileResponse")
    assert body["status"]["code"] == "APPROVED"
    assert body["ended"] is True
    assert body["registered"]
    url, _rules = body["applicationData"]["documentUrls"]
    assert _ledger(body["fileId"]) == [
        "eservices.create_application",
        "eservices.upload_material",
        "eservices.upload_material",
        "eservices.submit_application",
    ]
    document = http.get(url)
    assert document.status_code == 200
    assert b"".join(document.streaming_content) == PDF  # type: ignore[attr-defined]
    # Staff without a say over the application do not get its documents.
    _refused(logged_in(cast.outsider).get(url), 404, "not_found")


def test_documents_are_checked_like_the_native_uploads(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = draft(http, cast, MANUAL_FORM)["fileId"]
    layout = material(cast.food, "设备设施")
    address = f"{URL}/documents?fileId={number}&materialId={layout.pk}"
    fake = SimpleUploadedFile("布局图.pdf", PNG, content_type="application/pdf")
    body = _refused(http.post(address, {"file": fake}), 400, "file_type")
    conforms(body, "systemError")
    _refused(http.post(address, {}), 400, "one_file_required")
    _refused(http.post(f"{URL}/documents", {"file": pdf()}), 400, "document_target_required")
    response = http.post(address, {"file": [pdf(), pdf("第二份.pdf")]})
    _refused(response, 400, "one_file_required")
    clerk = logged_in(cast.clerk)
    _refused(clerk.post(address, {"file": pdf()}), 404, "not_found")
    _refused(logged_in(cast.citizen).post(address, {"file": pdf()}), 404, "not_found")
    _refused(Client().post(address, {"file": pdf()}), 401, "not_authenticated")
    assert _ledger(number) == ["eservices.create_application"]


def test_a_document_may_come_as_base64_text(cast: ApplicationsCast) -> None:
    """The specification types the file as ``string, format: base64``: a text part is read so."""
    http = logged_in(cast.applicant)
    number = draft(http, cast, MANUAL_FORM)["fileId"]
    layout = material(cast.food, "设备设施")
    address = f"{URL}/documents?fileId={number}&materialId={layout.pk}"
    body = _ok(http.post(address, {"file": base64.b64encode(PDF).decode()}))
    assert body["type"] == "application/pdf"
    stored = ApplicationMaterial.objects.get(
        application__number=number, material=layout, kind="upload"
    )
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest() and stored.size == len(PDF)
    # Text that is not base64, or whose content is no accepted file, is refused.
    _refused(http.post(address, {"file": "not base64 at all!"}), 400, "bad_base64")
    # A data URL without its data.
    _refused(http.post(address, {"file": "data:abc"}), 400, "bad_base64")
    text = base64.b64encode("营业执照".encode()).decode()
    _refused(http.post(address, {"file": text}), 400, "file_type")
    _refused(http.post(address, {"file": [text, text]}), 400, "one_file_required")


def test_applicants_and_staff_see_the_applications_they_may(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = complete(applicant, cast, MANUAL_FORM)["fileId"]

    mine = _ok(applicant.get(f"{URL}/applications", headers=HEADER))
    conforms(mine, "applicantApplicationFileListResponse", many=True)
    assert [a["fileId"] for a in mine] == [number]
    assert mine[0]["status"]["code"] == "PENDING"

    queue = _ok(logged_in(cast.clerk).get(f"{URL}/applications?serviceId={cast.food.code}"))
    conforms(queue, "applicantApplicationFileListResponse", many=True)
    assert [a["fileId"] for a in queue] == [number]
    assert queue[0]["taskTitle"] and queue[0]["mainTaskId"] and queue[0]["roleId"]
    assert _ok(logged_in(cast.clerk).get(f"{URL}/applications?serviceId=000000000000")) == []
    assert _ok(logged_in(cast.outsider).get(f"{URL}/applications")) == []
    assert _ok(logged_in(cast.citizen).get(f"{URL}/applications")) == []

    clerk = logged_in(cast.clerk)
    conforms(_ok(clerk.get(f"{URL}/applications/{number}")), "applicationFileResponse")
    _refused(logged_in(cast.outsider).get(f"{URL}/applications/{number}"), 404, "not_found")
    _refused(applicant.get(f"{URL}/applications/SQ20000101000001"), 404, "not_found")
    _refused(applicant.get(f"{URL}/applications?sortBy=colour"), 400, "bad_sort")
    # Staff complete tasks; they do not rewrite an applicant's form.
    response = _json(clerk, "put", f"{URL}/applications/{number}", {"applicantId": "1"})
    _refused(response, 403, "not_applicant")
    # A submitted application is no longer edited.
    response = _json(
        applicant,
        "put",
        f"{URL}/applications/{number}",
        {"applicantId": applicant_id(cast.applicant)},
    )
    _refused(response, 409, "not_editable")


# --- tasks -------------------------------------------------------------------------------


def test_staff_complete_the_tasks_of_their_lanes(cast: ApplicationsCast) -> None:
    number = complete(logged_in(cast.applicant), cast, MANUAL_FORM)["fileId"]
    clerk = logged_in(cast.clerk)
    tasks = _ok(clerk.get(f"{URL}/tasks?fileId={number}"))
    conforms(tasks, "userTaskResponse", many=True)
    [task] = tasks
    assert task["fileId"] == number
    assert task["serviceId"] == cast.food.code
    assert _ok(logged_in(cast.outsider).get(f"{URL}/tasks")) == []
    assert _ok(logged_in(cast.applicant).get(f"{URL}/tasks")) == []

    one = _ok(clerk.get(f"{URL}/tasks/{task['taskId']}"))
    conforms(one, "dataUserTaskResponse")
    assert one["formVariables"]["business_type"] == "餐饮服务"
    _refused(logged_in(cast.outsider).get(f"{URL}/tasks/{task['taskId']}"), 404, "not_found")
    _refused(clerk.get(f"{URL}/tasks/42962de0-bdb2-11ed-9397-0242ac120033"), 404, "not_found")

    complete_url = f"{URL}/tasks/{task['taskId']}/complete"
    _refused(_json(clerk, "post", complete_url, {"data": {"passed": "yes"}}), 400, "invalid_input")
    _refused(_json(clerk, "post", complete_url, {"data": {"passed": False}}), 400, "invalid_form")
    _refused(_json(logged_in(cast.outsider), "post", complete_url, {"data": {}}), 404, "not_found")
    done = _ok(
        _json(clerk, "post", complete_url, {"data": {"passed": True, "opinion": "予以受理"}})
    )
    conforms(done, "completedTaskResponse")
    assert done["fileId"] == number
    assert done["status"]["code"] == "PENDING"
    assert done["variables"]["result"]["data"]["opinion"] == "予以受理"
    assert _ledger(number)[-1] == "eservices.complete_task"
    assert Application.objects.get(number=number).state == "accepted"
    _refused(_json(clerk, "post", complete_url, {"data": {}}), 409, "task_completed")


def test_a_body_that_is_not_an_object_completes_no_task(cast: ApplicationsCast) -> None:
    number = complete(logged_in(cast.applicant), cast, MANUAL_FORM)["fileId"]
    clerk = logged_in(cast.clerk)
    [task] = _ok(clerk.get(f"{URL}/tasks?fileId={number}"))
    complete_url = f"{URL}/tasks/{task['taskId']}/complete"
    bodies: list[Any] = ["x", None, [], 42]
    for body in bodies:
        _refused(_json(clerk, "post", complete_url, body), 400, "invalid_input")
    empty = clerk.post(complete_url, b"", content_type="application/json")
    assert empty.status_code == 400, empty.content.decode()
    # Nothing was accepted: the task is still open and the application waits.
    assert Application.objects.get(number=number).state == "submitted"
    assert [t["taskId"] for t in _ok(clerk.get(f"{URL}/tasks?fileId={number}"))] == [task["taskId"]]


def test_the_applications_operations_require_the_client_header(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = complete(applicant, cast, MANUAL_FORM)["fileId"]
    bare = Client()
    bare.force_login(cast.applicant)
    body = {"applicantId": applicant_id(cast.applicant)}
    for response in (
        bare.get(f"{URL}/applications"),
        bare.get(f"{URL}/applications/{number}"),
        _json(bare, "put", f"{URL}/applications/{number}", body),
        _json(bare, "post", f"{URL}/services/{cast.food.code}/applications", body),
    ):
        _refused(response, 400, "bad_client_header")
    # An empty part is no member or subsystem.
    empty_part = {"Information-Mediator-Client": "eGovStack/GOV/90000009/"}
    _refused(bare.get(f"{URL}/applications", headers=empty_part), 400, "bad_client_header")
    # Nothing was saved by the refused submission.
    assert Application.objects.filter(applicant=cast.applicant).count() == 1
    # Services and their forms may be read without it.
    assert _ok(Client().get(f"{URL}/services/{cast.food.code}"))["id"] == cast.food.code


def test_lists_take_every_sort_the_specification_lists(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    first = complete(applicant, cast, MANUAL_FORM)["fileId"]
    second = complete(applicant, cast, MANUAL_FORM)["fileId"]
    clerk = logged_in(cast.clerk)
    sorts = [
        "instanceId",
        "caseInstanceId",
        "dueDate",
        "executionId",
        "caseExecutionId",
        "assignee",
        "created",
        "description",
        "id",
        "name",
        "nameCaseInsensitive",
        "priority",
    ]
    for sort in sorts:
        for order in ("asc", "desc"):
            query = f"sortBy={sort}&sortOrder={order}"
            listed = _ok(clerk.get(f"{URL}/applications?{query}"))
            assert sorted(a["fileId"] for a in listed) == [first, second], sort
            assert len(_ok(clerk.get(f"{URL}/tasks?{query}"))) == 2, sort
    by_id = _ok(clerk.get(f"{URL}/applications?sortBy=instanceId&sortOrder=desc"))
    assert [a["fileId"] for a in by_id] == [second, first]
    # The application whose main task the clerk claimed comes first by assignee, descending.
    [task] = _ok(clerk.get(f"{URL}/tasks?fileId={first}"))
    _ok(_json(clerk, "post", f"{NATIVE}/tasks/{task['taskId']}/claim", {}))
    by_assignee = _ok(clerk.get(f"{URL}/applications?sortBy=assignee&sortOrder=desc"))
    assert [a["fileId"] for a in by_assignee] == [first, second]
    assert by_assignee[0]["assigneeId"] == str(cast.clerk.pk)
    # More than a page is a page; filters longer than any id match nothing.
    assert len(_ok(clerk.get(f"{URL}/applications?maxResult=1000"))) == 2
    assert len(_ok(clerk.get(f"{URL}/tasks?maxResult=1000"))) == 2
    assert _ok(clerk.get(f"{URL}/applications?serviceId={'9' * 41}")) == []
    assert _ok(clerk.get(f"{URL}/tasks?fileId={'9' * 41}")) == []


def test_an_application_sent_back_is_corrected_with_put(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = complete(applicant, cast, MANUAL_FORM)["fileId"]
    clerk = logged_in(cast.clerk)
    _ok(_json(clerk, "post", f"{NATIVE}/{number}/request-correction", {"note": "请补充联系电话"}))
    sent_back = _ok(applicant.get(f"{URL}/applications/{number}"))
    conforms(sent_back, "applicationFileResponse")
    assert sent_back["status"]["code"] == "SENDBACK"
    first_read = sent_back["additionalMeta"]["data"]
    assert first_read["correctionRequest"] == "请补充联系电话"
    [listed] = _ok(applicant.get(f"{URL}/applications"))
    assert (
        listed["additionalMeta"]["data"]["correctionRequestVersion"]
        == (first_read["correctionRequestVersion"])
    )
    # The clerk adds to the request: an answer to the request as first read is refused.
    _ok(
        _json(
            clerk, "post", f"{NATIVE}/{number}/request-correction", {"note": "请补充身份证复印件"}
        )
    )
    added = _ok(applicant.get(f"{URL}/applications/{number}"))["additionalMeta"]["data"]
    assert added["correctionRequest"].endswith("请补充身份证复印件")
    assert added["correctionRequestVersion"] != first_read["correctionRequestVersion"]
    correction = {
        "applicantId": applicant_id(cast.applicant),
        "formData": {"data": {**MANUAL_FORM, "phone": "13987654321"}},
    }
    url = f"{URL}/applications/{number}"
    stale = f"{url}?requestVersion={first_read['correctionRequestVersion']}"
    _refused(_json(applicant, "put", stale, correction), 409, "correction_request_changed")
    assert _ok(applicant.get(url))["status"]["code"] == "SENDBACK"
    body = _ok(
        _json(
            applicant,
            "put",
            f"{url}?requestVersion={added['correctionRequestVersion']}",
            correction,
        )
    )
    conforms(body, "applicationFileResponse")
    assert body["status"]["code"] == "PENDING"
    assert "additionalMeta" not in body
    assert body["applicationData"]["formData"]["data"]["phone"] == "13987654321"
    assert _ledger(number)[-1] == "eservices.submit_correction"


def test_a_rejected_application_says_why_and_on_what_legal_basis(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = complete(applicant, cast, MANUAL_FORM)["fileId"]
    for staff in (cast.clerk, cast.reviewer):
        _native_step(logged_in(staff), number, passed=True)
    _native_step(
        logged_in(cast.leader),
        number,
        passed=False,
        reasons="经营场所与有毒、有害场所距离不符合规定",
        legal_basis="《食品经营许可和备案管理办法》第十二条",
    )

    body = _ok(applicant.get(f"{URL}/applications/{number}"))

    conforms(body, "applicationFileResponse")
    assert body["ended"] is True
    assert body["additionalMeta"]["data"] == {
        "rejectionReasons": "经营场所与有毒、有害场所距离不符合规定",
        "rejectionBasis": "《食品经营许可和备案管理办法》第十二条",
    }


# --- statistics --------------------------------------------------------------------------


def test_statistics_count_decisions_and_corrections(cast: ApplicationsCast) -> None:
    complete(logged_in(cast.applicant), cast, AUTOMATIC_FORM)
    number = complete(logged_in(cast.applicant), cast, MANUAL_FORM)["fileId"]
    clerk = logged_in(cast.clerk)
    _ok(_json(clerk, "post", f"{NATIVE}/{number}/request-correction", {"note": "请补充联系电话"}))

    body = _ok(clerk.get(f"{URL}/data/statistics", headers=HEADER))
    conforms(body, "inline_response_200", many=True, statistics=True)
    assert [(r["processed"], r["approved"], r["sentBack"], r["rejected"]) for r in body] == [
        (2, 1, 1, 0)
    ]
    daily = _ok(clerk.get(f"{URL}/data/statistics/1.0?timeframe=day"))
    conforms(daily, "inline_response_200", many=True, statistics=True)
    assert len(daily) == 1
    assert daily[0]["references"]["timeframeDay"] is True
    assert daily[0]["references"]["startDate"] == daily[0]["references"]["endDate"]
    by_clerk = _ok(clerk.get(f"{URL}/data/statistics?operator=李四"))
    assert (by_clerk[0]["approved"], by_clerk[0]["sentBack"]) == (0, 1)
    # The 秒批 is the table's, not the applicant's, decision.
    by_applicant = _ok(clerk.get(f"{URL}/data/statistics?operator={cast.applicant.display_name}"))
    assert by_applicant[0]["processed"] == 0
    by_item = _ok(clerk.get(f"{URL}/data/statistics?registrationName={cast.food.name}"))
    assert by_item[0]["processed"] == 2
    # The specification's 404 "Requests not found": a registration that does not exist.
    response = clerk.get(f"{URL}/data/statistics?registrationName=n0tex1st")
    _refused(response, 404, "unknown_registration")
    old = _ok(clerk.get(f"{URL}/data/statistics?startDate=2000-01-01&endDate=2000-12-31"))
    assert old[0]["processed"] == 0


def _native_step(http: Client, number: str, **result: Any) -> None:
    tasks = [t for t in _ok(http.get(f"{NATIVE}/tasks")) if t["application_number"] == number]
    assert len(tasks) == 1, tasks
    _ok(http.post(f"{NATIVE}/tasks/{tasks[0]['id']}/claim"))
    _ok(_json(http, "post", f"{NATIVE}/tasks/{tasks[0]['id']}/complete", result))


def _counts(http: Client, query: str) -> tuple[int, int, int, int]:
    (row,) = _ok(http.get(f"{URL}/data/statistics?{query}", headers=HEADER))
    return (row["processed"], row["approved"], row["sentBack"], row["rejected"])


def test_statistics_count_the_decisions_made_at_the_tasks_of_a_role(
    cast: ApplicationsCast,
) -> None:
    applicant, clerk = logged_in(cast.applicant), logged_in(cast.clerk)
    reviewer, leader = logged_in(cast.reviewer), logged_in(cast.leader)
    complete(applicant, cast, AUTOMATIC_FORM)  # 秒批: made at no task
    granted = complete(applicant, cast, MANUAL_FORM)["fileId"]
    _native_step(clerk, granted, passed=True)
    _native_step(reviewer, granted, passed=True)
    _native_step(leader, granted, passed=True)
    refused = complete(applicant, cast, MANUAL_FORM)["fileId"]
    _native_step(
        clerk, refused, passed=False, reasons="不属于本机关职权范围", legal_basis="第三十二条"
    )
    at_window = complete(applicant, cast, MANUAL_FORM)["fileId"]
    _ok(_json(clerk, "post", f"{NATIVE}/{at_window}/request-correction", {"note": "请补充电话"}))
    in_review = complete(applicant, cast, MANUAL_FORM)["fileId"]
    _native_step(clerk, in_review, passed=True)
    _ok(_json(reviewer, "post", f"{NATIVE}/{in_review}/request-correction", {"note": "请补图"}))

    assert _counts(clerk, "") == (5, 2, 2, 1)
    # The window's: the refusal to accept and its 补正 request; by code or
    # by the name of the staff role, in any case.
    for role in ("acceptor", "ACCEPTOR", "受理人员"):
        assert _counts(clerk, f"role={role}") == (2, 0, 1, 1), role
    assert _counts(clerk, "role=reviewer") == (1, 0, 1, 0)
    assert _counts(clerk, "role=审核人员") == (1, 0, 1, 0)
    assert _counts(clerk, "role=Decider") == (1, 1, 0, 0)
    assert _counts(clerk, "role=deliverer") == (0, 0, 0, 0)
    assert _counts(clerk, "role=decider&operator=钱决") == (1, 1, 0, 0)
    assert _counts(clerk, "role=decider&operator=李四") == (0, 0, 0, 0)
    body = _ok(clerk.get(f"{URL}/data/statistics?role=acceptor&timeframe=day", headers=HEADER))
    conforms(body, "inline_response_200", many=True, statistics=True)
    assert body[0]["references"]["role"] == "acceptor"


def test_statistics_take_the_specifications_generic_operator_role(
    cast: ApplicationsCast,
) -> None:
    applicant, clerk = logged_in(cast.applicant), logged_in(cast.clerk)
    complete(applicant, cast, AUTOMATIC_FORM)  # 秒批: made at no task
    refused = complete(applicant, cast, MANUAL_FORM)["fileId"]
    _native_step(
        clerk, refused, passed=False, reasons="不属于本机关职权范围", legal_basis="第三十二条"
    )
    in_review = complete(applicant, cast, MANUAL_FORM)["fileId"]
    _native_step(clerk, in_review, passed=True)
    _ok(
        _json(
            logged_in(cast.reviewer),
            "post",
            f"{NATIVE}/{in_review}/request-correction",
            {"note": "请补图"},
        )
    )

    assert _counts(clerk, "") == (3, 1, 1, 1)
    # What GovStack's suite sends: the staff of every lane, not the platform's tables.
    for role in ("Handler", "handler", "Operator"):
        assert _counts(clerk, f"role={role}") == (2, 0, 1, 1), role
    assert _counts(clerk, "role=Handler&operator=赵审") == (1, 0, 1, 0)
    body = _ok(clerk.get(f"{URL}/data/statistics?role=Handler", headers=HEADER))
    conforms(body, "inline_response_200", many=True, statistics=True)
    assert body[0]["references"]["role"] == "Handler"


def _take_over_after_a_correction(cast: ApplicationsCast) -> None:
    """李四 asks for a 补正 and leaves the post; 周七 takes the task over."""
    number = complete(logged_in(cast.applicant), cast, MANUAL_FORM)["fileId"]
    _ok(
        _json(
            logged_in(cast.clerk),
            "post",
            f"{NATIVE}/{number}/request-correction",
            {"note": "请补充电话"},
        )
    )
    colleague = do_create_staff(
        "zhouqi", PASSWORD, "周七", cast.market, ["acceptor"], actor=TEST_ACTOR
    )
    do_end_post(StaffPost.objects.get(user=cast.clerk, is_active=True), actor=TEST_ACTOR)
    http = logged_in(colleague)
    [task] = [t for t in _ok(http.get(f"{NATIVE}/tasks")) if t["application_number"] == number]
    assert _ok(http.post(f"{NATIVE}/tasks/{task['id']}/claim"))["claimed_by"] == "周七"


def test_a_correction_counts_for_who_asked_it_after_a_takeover(cast: ApplicationsCast) -> None:
    _take_over_after_a_correction(cast)
    http = Client()
    assert _counts(http, "role=acceptor") == (1, 0, 1, 0)
    assert _counts(http, "role=acceptor&operator=李四") == (1, 0, 1, 0)
    assert _counts(http, "role=acceptor&operator=周七") == (0, 0, 0, 0)
    assert _counts(http, "role=reviewer") == (0, 0, 0, 0)


def test_a_correction_recorded_before_it_named_its_task_counts_for_the_task_its_asker_holds(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = complete(applicant, cast, MANUAL_FORM)["fileId"]
    _ok(
        _json(
            logged_in(cast.clerk),
            "post",
            f"{NATIVE}/{number}/request-correction",
            {"note": "请补充电话"},
        )
    )
    # As the timeline recorded it before: no task named.
    ApplicationEvent.objects.filter(application__number=number).update(task=None)
    assert _counts(Client(), "role=acceptor") == (1, 0, 1, 0)
    assert _counts(Client(), "role=reviewer") == (0, 0, 0, 0)


def test_statistics_refuse_what_they_cannot_answer(cast: ApplicationsCast) -> None:
    http = logged_in(cast.clerk)
    # As for a registration that does not exist: a role no task has.
    for role in ("market.handler", "leader", "Applicant"):
        body = _refused(http.get(f"{URL}/data/statistics?role={role}"), 404, "unknown_role")
        assert body["detail"] == {"field": "role"}
    period = "startDate=2024-02-01&endDate=2024-01-01"
    _refused(http.get(f"{URL}/data/statistics?{period}"), 400, "bad_period")
    # The specification's 400 "Invalid input supplied", not the platform's 422.
    _refused(http.get(f"{URL}/data/statistics?timeframe=hour"), 400, "invalid_input")
    _refused(http.get(f"{URL}/data/statistics?startDate=2021-13-01"), 400, "invalid_input")
    # The header is required; a malformed one is refused whoever calls.
    _refused(Client().get(f"{URL}/data/statistics"), 400, "bad_client_header")
    for header in ("eGovStack/GOV/90000009/", "///", "invalid_header"):
        response = Client().get(
            f"{URL}/data/statistics", headers={"Information-Mediator-Client": header}
        )
        _refused(response, 400, "bad_client_header")
    bad_token = Client(HTTP_AUTHORIZATION="Bearer nobody.wrong")
    _refused(bad_token.get(f"{URL}/data/statistics", headers=HEADER), 401, "bad_credentials")


def test_statistics_are_open_to_anyone(cast: ApplicationsCast) -> None:
    complete(logged_in(cast.applicant), cast, AUTOMATIC_FORM)
    for address in (f"{URL}/data/statistics", f"{URL}/data/statistics/1.0"):
        body = _ok(Client().get(address, headers=HEADER))
        conforms(body, "inline_response_200", many=True, statistics=True)
        assert body[0]["approved"] == 1


def test_department_systems_read_services_and_statistics_but_not_applications(
    cast: ApplicationsCast,
) -> None:
    client, secret = do_issue_client(cast.health, "卫健统计系统", [], actor=TEST_ACTOR)
    system = Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")
    own = {"Information-Mediator-Client": client_identifier(client)}
    assert _ok(system.get(f"{URL}/data/statistics", headers=own))[0]["processed"] == 0
    assert [s["id"] for s in _ok(system.get(f"{URL}/services", headers=own))] == [cast.food.code]
    _refused(system.get(f"{URL}/data/statistics", headers=HEADER), 403, "client_mismatch")
    _refused(system.get(f"{URL}/applications", headers=own), 401, "not_authenticated")
    _refused(system.get(f"{URL}/tasks", headers=own), 401, "not_authenticated")
