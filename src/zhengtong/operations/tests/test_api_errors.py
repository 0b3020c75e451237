"""Every failure under /api/ answers in the one error shape with a stable code."""

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from zhengtong.core import api as core_api
from zhengtong.core import middleware
from zhengtong.core.testing import TEST_ACTOR, documented_statuses, make_person
from zhengtong.hotline.models import Case
from zhengtong.identity.actions import do_create_citizen


def _shape(body: dict[str, object]) -> set[str]:
    return set(body)


@pytest.mark.django_db
def test_an_unknown_api_address_answers_in_the_error_shape() -> None:
    response = Client().get("/api/no/such/operation")
    assert response.status_code == 404
    body = response.json()
    assert _shape(body) == {"code", "message", "detail"}
    assert body["code"] == "unknown_endpoint"


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_refused_with_a_stable_code() -> None:
    response = Client().post(
        "/api/core/checks/id-number", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["message"] == "请求内容无法解析。"


@pytest.mark.django_db
def test_the_message_follows_the_request_language() -> None:
    response = Client().post(
        "/api/core/checks/id-number",
        "{not json",
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert response.json()["code"] == "invalid_input"
    assert response.json()["message"] != "请求内容无法解析。"


def _boom(*args: object) -> str:
    raise RuntimeError("internal detail that must not leak")


def assert_internal_error_revealing_nothing(response: Any) -> None:
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "internal detail" not in response.content.decode()


@pytest.mark.django_db
def test_an_unexpected_failure_reveals_nothing_of_the_internals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An operation whose code fails unexpectedly.
    monkeypatch.setattr(core_api, "validate_id_number", _boom)
    response = Client(raise_request_exception=False).post(
        "/api/core/checks/id-number", {"id_number": "x"}, content_type="application/json"
    )
    assert_internal_error_revealing_nothing(response)


@pytest.mark.django_db
def test_a_wrong_method_is_refused_in_the_error_shape_naming_the_allowed_ones() -> None:
    response = Client().get("/api/core/checks/id-number")
    assert response.status_code == 405
    body = response.json()
    assert _shape(body) == {"code", "message", "detail"}
    assert body["code"] == "method_not_allowed"
    assert body["detail"] == {"allowed": ["POST"]}
    assert response["Allow"] == "POST"


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_as_too_large(settings: Any) -> None:
    body = json.dumps({"id_number": "1" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = Client().post("/api/core/checks/id-number", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert 413 in documented_statuses("POST", "/api/core/checks/id-number")


@pytest.mark.django_db
def test_half_a_surrogate_pair_is_refused_as_input_and_nothing_is_kept() -> None:
    citizen = do_create_citizen(
        "zhengtong", "Zhengtong-errors-2026", make_person("郑通"), actor=TEST_ACTOR
    )
    client = Client(raise_request_exception=False)
    client.force_login(citizen)
    # The JSON escape of a lone high surrogate, as a caller's JSON library writes it.
    body = '{"content": "小区门口路灯坏了\\ud800", "location_text": "芙蓉区"}'
    assert "\\ud800" in body
    response = client.post("/api/hotline/cases", body, content_type="application/json")
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["detail"]) == (
        "invalid_input",
        {"reason": "unpaired_surrogate"},
    )
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_number_beyond_what_the_database_stores_is_refused_as_input() -> None:
    person = make_person("郑通")
    citizen = do_create_citizen("zhengtong", "Zhengtong-errors-2026", person, actor=TEST_ACTOR)
    client = Client(raise_request_exception=False)
    client.force_login(citizen)
    response = client.post(
        "/api/services/applications/notifications/read",
        json.dumps({"ids": [10**20]}),
        content_type="application/json",
    )
    body = response.json()
    if connection.vendor == "sqlite":
        # SQLite cannot take the number as a parameter at all.
        assert response.status_code == 422
        assert (body["code"], body["detail"]) == ("invalid_input", {"reason": "out_of_range"})
    else:
        # PostgreSQL compares it as a numeric: it names no message.
        assert (response.status_code, body) == (200, {"count": 0})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("/api/core/departments?offset={}", 422),
        # GovStack's Registration API answers input that does not fit with 400.
        ("/api/govstack/registration/applications?firstResult={}", 400),
        ("/api/govstack/registration/tasks?firstResult={}", 400),
    ],
)
def test_a_list_offset_beyond_any_table_is_refused_as_input(address: str, status: int) -> None:
    person = make_person("郑通")
    citizen = do_create_citizen("zhengtong", "Zhengtong-errors-2026", person, actor=TEST_ACTOR)
    client = Client(
        raise_request_exception=False,
        headers={"Information-Mediator-Client": "ZHENGTONG/GOV/cs-market/portal"},
    )
    client.force_login(citizen)
    # A page past the end is an empty page; an offset no database takes is input out of range.
    assert client.get(address.format(10_000)).status_code == 200
    response = client.get(address.format(10**30))
    assert response.status_code == status
    assert response.json()["code"] == "invalid_input"


@pytest.mark.django_db
def test_a_form_body_sent_to_an_operation_taking_json_cannot_be_parsed() -> None:
    client = Client(raise_request_exception=False)
    # A well-formed form: the operation takes JSON.
    response = client.post("/api/core/checks/id-number", {"id_number": "430102199001010016"})
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["message"]) == (
        "invalid_input",
        "请求内容无法解析。",
    )
    # A form body with no boundary to split it by.
    response = client.post(
        "/api/core/checks/id-number", b"--x\r\n", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    # A page answers the same body with its 400 page.
    page = client.post("/login/", b"--x\r\n", content_type="multipart/form-data")
    assert page.status_code == 400
    assert "请求有误" in page.content.decode()


@pytest.mark.django_db
def test_a_host_the_site_does_not_serve_is_refused_in_the_error_shape() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/api/core/regions", HTTP_HOST="elsewhere.example")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    page = client.get("/catalog/", HTTP_HOST="elsewhere.example")
    assert page.status_code == 400
    assert "请求有误" in page.content.decode()


@pytest.mark.django_db
def test_a_failure_before_any_operation_runs_answers_in_the_error_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(middleware, "_nul_in", _boom)
    client = Client(raise_request_exception=False)
    assert_internal_error_revealing_nothing(client.get("/api/core/regions"))
    page = client.get("/catalog/")
    assert page.status_code == 500
    assert "text/html" in page["Content-Type"]
