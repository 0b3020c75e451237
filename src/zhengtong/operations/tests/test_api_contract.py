"""What every operation answers to a wrong request is listed in its OpenAPI entry.

A department system's client is generated from ``/api/openapi.json``: a status
the document does not list for an operation is one the client cannot handle.
Each operation of the document is called here the way a wrong caller would
call it (without credentials, with an empty body, with a NUL character, with
a path value that names nothing) and must answer a status its entry lists, in
the one error shape.
"""

import typing
from typing import Any

import pytest
from django.test import Client
from pydantic import BaseModel

from zhengtong.api import INVALID_INPUT_AS_400, api

_SCHEMA = api.get_openapi_schema()
_OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in _SCHEMA["paths"].items()
    for method, operation in operations.items()
]
_IDS = [f"{method} {path}" for method, path, _ in _OPERATIONS]


def _url(path: str, operation: dict[str, Any], *, query: str = "") -> str:
    """The path with each parameter filled with a value that names nothing."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            kind = parameter.get("schema", {}).get("type")
            value = "987654" if kind == "integer" else "no-such-thing"
            path = path.replace("{" + parameter["name"] + "}", value)
    return path + (f"?{query}" if query else "")


def _call(method: str, url: str, operation: dict[str, Any]) -> Any:
    client = Client(raise_request_exception=False)
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return client.generic(method, url, "{}", content_type="application/json")
    if "multipart/form-data" in content:
        return client.generic(method, url, b"", content_type="multipart/form-data; boundary=none")
    return client.generic(method, url)


def _responses(operation: dict[str, Any]) -> dict[str, Any]:
    """The operation's responses by status as the JSON document writes them (text)."""
    return {str(status): response for status, response in operation["responses"].items()}


def _assert_documented_error(response: Any, operation: dict[str, Any], what: str) -> None:
    documented = _responses(operation)
    assert str(response.status_code) in documented, (
        f"{what}: answered {response.status_code}, the document lists {sorted(documented)}"
    )
    if response.status_code >= 400:
        body = response.json()
        assert set(body) >= {"code", "message", "detail"}, body
        content = documented[str(response.status_code)]["content"]
        assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "operation"), _OPERATIONS, ids=_IDS)
def test_a_call_without_credentials_or_input_answers_a_documented_status(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    response = _call(method, _url(path, operation), operation)
    _assert_documented_error(response, operation, "no credentials, empty input")
    if operation.get("security"):
        assert response.status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "operation"), _OPERATIONS, ids=_IDS)
def test_a_nul_character_in_the_query_is_refused_as_documented(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    response = _call(method, _url(path, operation, query="q=%00"), operation)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    _assert_documented_error(response, operation, "NUL in the query")


def test_every_operation_that_takes_input_lists_the_refusal_of_malformed_input() -> None:
    for method, path, operation in _OPERATIONS:
        takes_input = bool(operation.get("parameters")) or "requestBody" in operation
        if takes_input:
            # GovStack's Registration profile answers it with 400, as its specification says.
            refusal = "400" if path.startswith(INVALID_INPUT_AS_400) else "422"
            assert refusal in _responses(operation), f"{method} {path}"
        if operation.get("security"):
            assert "401" in _responses(operation), f"{method} {path}"


def _schemas_within(annotation: Any, found: dict[type[BaseModel], None]) -> None:
    """Add the platform's schema classes ``annotation`` names, however deep."""
    for argument in typing.get_args(annotation):
        _schemas_within(argument, found)
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return
    if annotation in found:
        return
    if annotation.__module__.startswith("zhengtong."):
        found[annotation] = None
    for model_field in annotation.model_fields.values():
        _schemas_within(model_field.annotation, found)


def test_no_two_schemas_of_the_api_share_a_name() -> None:
    # The OpenAPI document names each schema by its class's name alone: of two
    # classes of one name, one describes the other's operations too, and a
    # client generated from the document reads the wrong fields.
    found: dict[type[BaseModel], None] = {}
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.response_models.values(), *operation.models]:
                    _schemas_within(model, found)
    by_name: dict[str, list[str]] = {}
    for model in found:
        by_name.setdefault(model.__name__, []).append(f"{model.__module__}.{model.__qualname__}")
    assert len(found) > 100
    shared = {name: places for name, places in by_name.items() if len(places) > 1}
    assert not shared, shared
