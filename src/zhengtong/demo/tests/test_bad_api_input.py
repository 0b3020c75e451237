"""Bad input to every API operation of the demo city gets a documented refusal, never an error.

The pages have their own sweep (``test_bad_input``) and the contract test calls
every operation without credentials. Here every operation of the OpenAPI
document is called as one account of each kind in the demo city and as the
demo's department system, with path values that exist and ones that do not,
and with JSON bodies built from the operation's own schema: wrong types in
every field; hostile values (very long strings with bidi controls,
integers beyond 64 bits, impossible dates, long lists); plausible values; and
a form instead of JSON. Query parameters get text no parameter takes and
integers beyond 64 bits, either side of zero.
Whatever the answer, it must be a status the operation's entry lists, in the
one error shape when it is a refusal, and never a server error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Model
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from zhengtong.api import api
from zhengtong.catalog.models import Resource
from zhengtong.core.errors import InvalidInput
from zhengtong.core.models import Enterprise, Region
from zhengtong.demo.tests.test_bad_input import WRONG_FILES, one_account_of_each_kind
from zhengtong.demo.tests.test_exchange_demo import token_of
from zhengtong.eservices.models import Application, ServiceItem
from zhengtong.exchange.govstack import client_identifier
from zhengtong.hotline.models import Case, ClassifierVersion
from zhengtong.identity.models import SystemClient
from zhengtong.licences.models import Licence
from zhengtong.regulation.models import InspectionTask, Inspector, MonitoringPoint

_SCHEMA = api.get_openapi_schema()
# The bare default of a refusal: every refusal says what was wrong.
VAGUE = str(InvalidInput.default_message)
_COMPONENTS: dict[str, Any] = _SCHEMA.get("components", {}).get("schemas", {})
# No NUL: the contract test sends that, and it is refused before anything else
# would see the rest of the body.
HOSTILE_TEXT = "字" * 3000 + "\u202e<script>\ufeff"
WRONG_BY_TYPE: dict[str, Any] = {
    "string": 12345,
    "integer": "abc",
    "number": "NaN",
    "boolean": "maybe",
    "array": {"not": "a list"},
    "object": "not an object",
}


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolved(s).get("type") != "null"]
            return _resolved(options[0]) if options else {"type": "null"}
    return schema


def _value(schema: dict[str, Any], mode: str, depth: int = 0) -> Any:
    """A value for ``schema``: "plausible", "wrong" (the wrong type) or "hostile"."""
    schema = _resolved(schema)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if depth > 3:
        return None
    if mode == "wrong" and depth > 0:
        return WRONG_BY_TYPE.get(kind)
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _value(p, mode, depth + 1) for name, p in properties.items()}
    if kind == "array":
        item = _value(schema.get("items", {}), mode, depth + 1)
        return [item] * (300 if mode == "hostile" else 1)
    if kind == "integer":
        return 10**20 if mode == "hostile" else 1
    if kind == "number":
        return 1e308 if mode == "hostile" else 1.5
    if kind == "boolean":
        return True
    if "enum" in schema:
        return "no-such-choice" if mode == "hostile" else schema["enum"][0]
    formats = {
        "date": ("2026-12-05", "2026-02-30"),
        "date-time": ("2026-12-05T10:00:00+08:00", "2026-13-01T25:00"),
    }
    if schema.get("format") in formats:
        plausible, impossible = formats[schema["format"]]
        return impossible if mode == "hostile" else plausible
    return HOSTILE_TEXT if mode == "hostile" else "测试"


# (path prefix, parameter) -> the model and field whose first value the demo city has.
REAL_VALUES: dict[tuple[str, str], tuple[type[Model], str]] = {
    ("/api/hotline/cases", "number"): (Case, "number"),
    ("/api/hotline/track", "code"): (Case, "tracking_code"),
    ("/api/hotline/models", "number"): (ClassifierVersion, "number"),
    ("/api/licences", "number"): (Licence, "number"),
    ("/api/services", "number"): (Application, "number"),
    ("/api/", "slug"): (Resource, "code"),
    ("/api/govstack/data", "registry"): (Resource, "code"),
    ("/api/govstack/registration", "serviceId"): (ServiceItem, "code"),
    ("/api/govstack/registration", "eFormId"): (ServiceItem, "code"),
    ("/api/govstack/registration", "fileId"): (Application, "number"),
    ("/api/core/regions", "code"): (Region, "code"),
    ("/api/regulation/inspections/inspectors", "code"): (Inspector, "code"),
    ("/api/regulation/inspections/tasks", "code"): (InspectionTask, "code"),
    ("/api/", "credit_code"): (Enterprise, "credit_code"),
    ("/api/", "mn"): (MonitoringPoint, "mn"),
}


def _real_values() -> dict[tuple[str, str], str]:
    """(path prefix, parameter) -> a value the demo city has ("" when it has none)."""
    real = {}
    for key, (model, name) in REAL_VALUES.items():
        value = model._default_manager.order_by("pk").values_list(name, flat=True).first()
        # A resource's address names it by its code with "-" for "/".
        real[key] = "" if value is None else str(value).replace("/", "-")
    # GovStack's registries have the one version.
    real[("/api/govstack/data", "version")] = "1.0"
    return real


def _urls(path: str, operation: dict[str, Any], real: dict[tuple[str, str], str]) -> Iterator[str]:
    """The path with values that exist (where the demo has them, else 1), then with none."""
    parameters = [p for p in operation.get("parameters", []) if p["in"] == "path"]
    existing, missing = path, path
    for parameter in parameters:
        name = parameter["name"]
        integer = _resolved(parameter.get("schema", {})).get("type") == "integer"
        value = next(
            (v for (prefix, n), v in real.items() if n == name and path.startswith(prefix) and v),
            "1",
        )
        existing = existing.replace("{" + name + "}", value)
        missing = missing.replace("{" + name + "}", "999999" if integer else "no-such-thing")
    yield existing
    if parameters:
        yield missing


def _bodies(operation: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(variant, content type, body) for the operation's request body."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = content["application/json"].get("schema", {})
        for mode in ("plausible", "wrong", "hostile"):
            yield mode, "application/json", _value(schema, mode)
        # A form where JSON is taken, as a client posting an HTML form would.
        yield "form for JSON", "multipart", {"x": "1"}
    elif "multipart/form-data" in content:
        schema = _resolved(content["multipart/form-data"].get("schema", {}))
        names = list(schema.get("properties", {}))
        yield "text for files", "multipart", dict.fromkeys(names, "x" * 3000)
        for filename, data in (*WRONG_FILES, ("../../etc/passwd.pdf", b"%PDF-1.4\n%%EOF")):
            files = {name: SimpleUploadedFile(filename, data) for name in names}
            yield f"file {filename}", "multipart", files
    else:
        yield "none", "", None


def _queries(operation: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(variant, query) for the operation's query parameters: wrong text, numbers too big."""
    parameters = [p for p in operation.get("parameters", []) if p["in"] == "query"]
    if not parameters:
        return
    yield "query", "&".join(f"{p['name']}=%FF{'查' * 300}" for p in parameters)
    integers = [
        p["name"] for p in parameters if _resolved(p.get("schema", {})).get("type") == "integer"
    ]
    for number in (10**30, -(10**30)) if integers else ():
        yield f"query {number:.0e}", "&".join(f"{name}={number}" for name in integers)


def _sweep(
    client: Client, who: str, real: dict[tuple[str, str], str], want: str
) -> tuple[int, list[str]]:
    """Call every operation open to ``want``'s credentials; (calls made, problems found)."""
    calls_made = 0
    problems: list[str] = []
    for path, operations in _SCHEMA["paths"].items():
        for method, operation in operations.items():
            schemes = {k for s in operation.get("security", []) for k in s}
            if want not in schemes and not (want == "SessionUserAuth" and not schemes):
                continue
            documented = {str(s) for s in operation["responses"]}
            for url in _urls(path, operation, real):
                calls = list(_bodies(operation))
                if method == "get":
                    calls += [(v, "query", query) for v, query in _queries(operation)]
                for variant, kind, body in calls:
                    if kind == "application/json":
                        response = client.generic(
                            method.upper(),
                            url,
                            json.dumps(body, ensure_ascii=False),
                            content_type="application/json",
                        )
                    elif kind == "multipart":
                        response = client.generic(
                            method.upper(),
                            url,
                            encode_multipart(BOUNDARY, body),
                            content_type=MULTIPART_CONTENT,
                        )
                    elif kind == "query":
                        response = client.generic(method.upper(), f"{url}?{body}")
                    else:
                        response = client.generic(method.upper(), url)
                    calls_made += 1
                    status = str(response.status_code)
                    what = f"{who}: {method.upper()} {url[:120]} ({variant}) -> {status}"
                    if status not in documented or response.status_code >= 500:
                        problems.append(f"{what}, documented {sorted(documented)}")
                    elif response.status_code >= 400:
                        body_out = response.json()
                        if not {"code", "message", "detail"} <= set(body_out):
                            problems.append(f"{what}: not the error shape {body_out}")
                        elif body_out["message"] == VAGUE:
                            problems.append(f"{what}: says only {VAGUE} ({body_out['code']})")
    return calls_made, problems


@pytest.mark.django_db
def test_no_api_operation_answers_bad_input_with_a_server_error_or_an_undocumented_status() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    real = _real_values()
    # The demo has a value for every kind of path but a model version: it
    # trains none without the shared data.
    assert all(v for (prefix, _), v in real.items() if prefix != "/api/hotline/models"), real
    problems: list[str] = []
    token = token_of(out.getvalue())
    demo_system = SystemClient.objects.get(key_id=token.split(".")[0])
    system = Client(
        raise_request_exception=False,
        HTTP_AUTHORIZATION=f"Bearer {token}",
        # The exchange's GovStack profile requires its client header before anything else.
        headers={"Information-Mediator-Client": client_identifier(demo_system)},
    )
    calls, problems = _sweep(system, "department system", real, "ClientTokenAuth")
    assert calls > 50  # every operation a department system may call
    # GovStack's header too, which its Registration profile requires before anything else.
    client = Client(
        raise_request_exception=False,
        headers={"Information-Mediator-Client": "ZHENGTONG/GOV/demo/portal"},
    )
    for user in [None, *one_account_of_each_kind()]:
        client.logout()
        if user is not None:
            client.force_login(user)
        made, found = _sweep(
            client, user.username if user else "(visitor)", real, "SessionUserAuth"
        )
        calls += made
        problems += found
    assert calls > 5000  # 7,836 when written
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])
