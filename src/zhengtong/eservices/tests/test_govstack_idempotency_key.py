"""A GovStack client that retries an application after a timeout files one application.

The apply request carries an ``Idempotency-Key`` header, as the hotline's
intake takes it: sent again with the same key and body it is answered with
the application the first sending started; the same key with another body is
refused, and another account's same key is another application.
"""

from typing import Any

from django.test import Client

from zhengtong.eservices.models import Application
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    ApplicationsCast,
    cast,
    material,
    pdf,
    promise_day,
)
from zhengtong.eservices.tests.test_govstack_registration import (
    NATIVE,
    URL,
    _json,
    _ledger,
    _ok,
    _refused,
    applicant_id,
    logged_in,
)
from zhengtong.identity.models import User

__all__ = ["cast"]

KEY = "5f1c0a9e-2b7d-4c1e-9a43-7d2f6b1e8c30"


def _body(user: User, cast: ApplicationsCast, **changes: Any) -> dict[str, Any]:
    return {
        "applicantId": applicant_id(user),
        "applicationName": "好味道餐饮",
        "formData": {"data": MANUAL_FORM, "eFormId": cast.food.code},
        **changes,
    }


def _apply(
    http: Client, cast: ApplicationsCast, body: dict[str, Any], *, draft: bool, key: str = KEY
) -> Any:
    query = "?draft=true" if draft else ""
    return _json(
        http,
        "post",
        f"{URL}/services/{cast.food.code}/applications{query}",
        body,
        headers={"Idempotency-Key": key},
    )


def test_an_application_sent_again_after_a_timeout_is_the_first_one(
    cast: ApplicationsCast,
) -> None:
    http = logged_in(cast.applicant)
    first = _ok(_apply(http, cast, _body(cast.applicant, cast), draft=True))
    again = _ok(_apply(http, cast, _body(cast.applicant, cast), draft=True))
    assert again == first
    assert Application.objects.count() == 1
    assert _ledger(first["fileId"]) == ["eservices.create_application"]


def test_a_retry_after_the_missing_documents_are_provided_submits_the_first_draft(
    cast: ApplicationsCast,
) -> None:
    http = logged_in(cast.applicant)
    body = _body(cast.applicant, cast)
    refused = _refused(_apply(http, cast, body, draft=False), 400, "missing_materials")
    number = refused["detail"]["fileId"]
    layout, rules = material(cast.food, "设备设施"), material(cast.food, "规章制度")
    _ok(http.post(f"{URL}/documents?fileId={number}&materialId={layout.pk}", {"file": pdf()}))
    _ok(
        _json(
            http,
            "post",
            f"{NATIVE}/{number}/materials/{rules.pk}/promise",
            {"promised_on": promise_day().isoformat()},
        )
    )

    submitted = _ok(_apply(http, cast, body, draft=False))
    assert submitted["fileId"] == number
    assert submitted["status"]["code"] == "PENDING" and "registered" in submitted
    assert _ok(_apply(http, cast, body, draft=False)) == submitted
    assert Application.objects.count() == 1
    ledger = _ledger(number)
    assert ledger.count("eservices.create_application") == 1
    assert ledger.count("eservices.submit_application") == 1


def test_the_same_key_with_another_request_is_refused(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    first = _ok(_apply(http, cast, _body(cast.applicant, cast), draft=True))
    other_form = {"data": {**MANUAL_FORM, "area": 80}, "eFormId": cast.food.code}
    for body, draft in (
        (_body(cast.applicant, cast, formData=other_form), True),
        (_body(cast.applicant, cast, applicationName="另一家店"), True),
        # Asking to submit is another request than asking to save a draft.
        (_body(cast.applicant, cast), False),
    ):
        refused = _refused(_apply(http, cast, body, draft=draft), 409, "idempotency_key_reused")
        assert refused["detail"] == {"fileId": first["fileId"]}
    assert Application.objects.count() == 1


def test_another_accounts_same_key_is_another_application(cast: ApplicationsCast) -> None:
    first = _ok(_apply(logged_in(cast.applicant), cast, _body(cast.applicant, cast), draft=True))
    other = cast.flagged_applicant
    second = _ok(_apply(logged_in(other), cast, _body(other, cast), draft=True))
    assert second["fileId"] != first["fileId"]
    assert Application.objects.count() == 2


def test_a_key_that_is_no_key_is_refused(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    for bad in ("", "x" * 256, "键"):
        response = _apply(http, cast, _body(cast.applicant, cast), draft=True, key=bad)
        _refused(response, 400, "invalid_idempotency_key")
    assert not Application.objects.exists()


def test_the_header_is_documented_on_the_apply_operation() -> None:
    from zhengtong.api import api

    schema = api.get_openapi_schema()
    operation = schema["paths"][f"{URL}/services/{{serviceId}}/applications"]["post"]
    [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and header["required"] is False
    assert "idempotency_key_reused" in header["description"]
