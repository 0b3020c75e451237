"""Requests carrying NUL characters get a clear 400, never a database error.

PostgreSQL refuses NUL in text, so before this check a NUL in an address,
a query or a JSON string failed the statement and the caller got a 500.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

pytestmark = pytest.mark.django_db


def api_refusal(response: object) -> str:
    assert getattr(response, "status_code", None) == 400
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == "invalid_input" and "NUL" in body["message"]
    return str(body["detail"]["where"])


def test_the_api_refuses_a_nul_in_the_address_query_or_json_body(client: Client) -> None:
    assert api_refusal(client.get("/api/core/regions/43%0001")) == "path"
    assert api_refusal(client.get("/api/catalog/resources/", {"q": "营业\x00执照"})) == "query"
    body = json.dumps({"title": "噪音\x00扰民", "content": "夜间施工"})
    assert "\\u0000" in body
    response = client.post("/api/hotline/cases", body, content_type="application/json")
    assert api_refusal(response) == "body"


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(client: Client) -> None:
    # The JSON text "\\u0000" is a backslash followed by "u0000": allowed through.
    body = json.dumps({"note": "\\u0000"})
    response = client.post("/api/no-such-operation", body, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_endpoint"


def test_a_page_answers_with_the_400_page_in_the_users_language(client: Client) -> None:
    response = client.get("/catalog/", {"q": "\x00"})
    assert response.status_code == 400
    assert "请求有误" in response.content.decode()
    english = client.get("/catalog/", {"q": "\x00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400
    assert "Bad request" in english.content.decode()


def test_form_fields_with_nul_are_refused_but_uploaded_files_may_hold_any_bytes(
    client: Client,
) -> None:
    encoded = client.post(
        "/login/", "username=a%00b&password=x", content_type="application/x-www-form-urlencoded"
    )
    assert encoded.status_code == 400
    multipart = client.post("/login/", {"username": "a\x00b", "password": "x"})
    assert multipart.status_code == 400
    photo = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with_file = client.post("/login/", {"username": "nobody", "password": "x", "photo": photo})
    # The log-in page answers (a wrong password), not the 400 page.
    assert with_file.status_code == 200
