"""The one NinjaAPI of the platform; each app mounts its router here."""

import logging
import math
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, RawPostDataException
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema

from zhengtong.core.errors import InvalidInput, NotFound, ZhengtongError, error_response
from zhengtong.core.errors import PermissionDenied as ZhengtongPermissionDenied
from zhengtong.core.refusals import tell_refused_request

logger = logging.getLogger(__name__)

# Stable codes for the HTTP errors that django-ninja and Django raise themselves
# (an unparseable body, a wrong method ...): clients branch on these, never on
# the status alone. The library's own wording goes to detail["reason"].
_HTTP_ERRORS: dict[int, tuple[str, str | Promise]] = {
    400: ("invalid_input", gettext_lazy("请求内容无法解析。")),
    401: ("not_authenticated", gettext_lazy("请先登录或提供有效的接口凭证。")),
    403: ("permission_denied", gettext_lazy("您无权执行此操作。")),
    404: ("not_found", gettext_lazy("未找到该对象，或您无权访问。")),
    405: ("method_not_allowed", gettext_lazy("该接口不支持此请求方法。")),
    413: ("payload_too_large", gettext_lazy("请求内容过大。")),
    429: ("throttled", gettext_lazy("请求过于频繁，请稍后再试。")),
}
# A failure of the platform's own: the client learns nothing of the internals.
_INTERNAL_ERROR: tuple[str, str | Promise] = (
    "internal_error",
    gettext_lazy("服务器内部错误，请稍后再试。"),
)

# The error statuses the platform's own layers answer, whatever the
# operation: listed in each operation's OpenAPI entry, so that a client
# generated from the document expects them.
_EVERY_OPERATION = {400: "Bad Request: a NUL character or a body that cannot be parsed"}
_WITH_INPUT = {
    422: "Unprocessable Content: parameters or body not as the schema says, or a value out of"
    " the range the platform stores"
}
# GovStack's Registration API declares 400 "Invalid input supplied" for input
# that does not fit, and its test suite expects that status; the profile keeps
# to it rather than the platform's 422.
INVALID_INPUT_AS_400 = ("/api/govstack/registration/",)
_WITH_INPUT_AS_400 = {
    400: "Bad Request: a NUL character, a body that cannot be parsed, parameters or body not"
    " as the schema says, or a value out of the range the platform stores"
}
_WITH_BODY = {413: "Content Too Large: a body over the platform's limit (2.5 MB outside files)"}
_WITH_CREDENTIALS = {401: "Unauthorized: no valid session or client token"}
_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}


class ZhengtongAPI(NinjaAPI):
    """The NinjaAPI whose document lists, for each operation, every error it may answer.

    Operations list their own errors in ``response=``. The refusals that
    come before any operation runs are added here: a NUL character or an
    unparseable body (400, ``core.middleware.RejectNulMiddleware`` and the
    request parser), input that does not validate (422) and missing
    credentials (401). Each is in the one error shape, ``ErrorOut``.
    """

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                refusals = dict(_EVERY_OPERATION)
                if operation.get("parameters") or "requestBody" in operation:
                    refusals.update(
                        _WITH_INPUT_AS_400 if path.startswith(INVALID_INPUT_AS_400) else _WITH_INPUT
                    )
                if "requestBody" in operation:
                    refusals.update(_WITH_BODY)
                if operation.get("security"):
                    refusals.update(_WITH_CREDENTIALS)
                responses = operation.setdefault("responses", {})
                for status, description in refusals.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                        },
                    )
                operation["responses"] = dict(sorted(responses.items(), key=lambda s: int(s[0])))
        return schema


api = ZhengtongAPI(
    title="Zhengtong 政通 API",
    version="1",
    description=(
        "The platform's APIs for department systems (G2G), portals and auditors. "
        'Every error has the shape {"code", "message", "detail"}.'
    ),
    urls_namespace="api",
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, detail: object
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "detail": detail}, status=status
    )


@api.exception_handler(ZhengtongError)
def on_zhengtong_error(request: HttpRequest, exc: ZhengtongError) -> HttpResponse:
    response = _error(request, exc.status, exc.code, str(exc.message), exc.detail)
    retry_after = exc.detail.get("retry_after") if isinstance(exc.detail, dict) else None
    if exc.status in (429, 503) and isinstance(retry_after, int | float) and retry_after > 0:
        # The standard header (RFC 9110) beside ``detail.retry_after``: HTTP
        # clients and proxies back off by it without reading the body.
        response["Retry-After"] = str(math.ceil(retry_after))
    return response


def _invalid_input_status(request: HttpRequest) -> int:
    return 400 if request.path.startswith(INVALID_INPUT_AS_400) else 422


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    refusal = InvalidInput(
        _("请求内容不符合接口要求。"),
        status=_invalid_input_status(request),
        detail={"errors": exc.errors},
    )
    tell_refused_request(request, refusal)
    return on_zhengtong_error(request, refusal)


@api.exception_handler(RequestDataTooBig)
def on_request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    code, message = _HTTP_ERRORS[413]
    # A department system's oversized call is a call all the same: the
    # exchange logs it with its refusal, as every governed call is logged.
    tell_refused_request(request, ZhengtongError(message, code=code, status=413))
    return _error(request, 413, code, str(message), {})


# A form (multipart) body sent to an operation that takes JSON: the form was
# already parsed, to look for NUL characters, so its raw bytes are gone; it is
# not the JSON the operation takes either way.
@api.exception_handler(RawPostDataException)
def on_form_body_for_json(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    code, message = _HTTP_ERRORS[400]
    return _error(request, 400, code, str(message), {"reason": "Cannot parse request body"})


# A number beyond what the database stores (SQLite's 64 bits, PostgreSQL's
# integer columns), or a character it refuses, reaches the database only as a
# parameter of the caller's request: the caller's input is out of range. The
# statement failed, so nothing was written.
@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_value_out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.warning(
        "Value out of range in %s %s: %s", request.method, request.path, exc, exc_info=exc
    )
    return _error(
        request,
        _invalid_input_status(request),
        "invalid_input",
        _("请求中有超出允许范围的数值或不允许的字符。"),
        {"reason": "out_of_range"},
    )


# JSON may escape half of a UTF-16 pair (\ud800) on its own; Python decodes it
# into a string that no database, file or log can encode. An operation that
# does not check its text first fails where the text is written, and the
# statement that failed wrote nothing: the caller's input is what is wrong.
@api.exception_handler(UnicodeEncodeError)
def on_unpaired_surrogate(request: HttpRequest, exc: UnicodeEncodeError) -> HttpResponse:
    if "surrogate" not in exc.reason:
        return on_unexpected_error(request, exc)
    logger.warning("Unpaired surrogate in %s %s", request.method, request.path)
    return _error(
        request,
        _invalid_input_status(request),
        "invalid_input",
        _("请求中含有无效的Unicode字符（不成对的代理项）。"),
        {"reason": "unpaired_surrogate"},
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "not_authenticated", _("请先登录或提供有效的接口凭证。"), {})


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code, message = _HTTP_ERRORS.get(
        exc.status_code, (f"http_{exc.status_code}", gettext_lazy("请求无法处理。"))
    )
    refusal = ZhengtongError(
        message, code=code, status=exc.status_code, detail={"reason": str(exc)}
    )
    # A body that is not JSON, for one: refused before the operation ran.
    tell_refused_request(request, refusal)
    return on_zhengtong_error(request, refusal)


@api.exception_handler(Http404)
def on_http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return on_zhengtong_error(request, NotFound())


@api.exception_handler(DjangoPermissionDenied)
def on_permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return on_zhengtong_error(request, ZhengtongPermissionDenied())


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The client learns nothing of the internals; the log keeps the traceback.
    logger.exception("API operation failed: %s %s", request.method, request.path)
    code, message = _INTERNAL_ERROR
    return _error(request, 500, code, str(message), {})


def api_path_not_found(request: HttpRequest, unknown_path: str = "") -> HttpResponse:
    """Answer an address under /api/ that names no operation, in the one error shape."""
    return on_zhengtong_error(
        request,
        NotFound(_("没有这个接口地址。"), code="unknown_endpoint", detail={"path": request.path}),
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400, raised before any operation runs (a Host header the site does
    not serve, a form body that cannot be split, too many fields): the API's
    error shape under /api/, else the page."""
    if request.path_info.startswith("/api/"):
        return error_response(400, "invalid_input", _("请求有误，无法处理。"))
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A failure outside any operation (in a middleware): the API's shape under /api/."""
    if request.path_info.startswith("/api/"):
        code, message = _INTERNAL_ERROR
        return error_response(500, code, str(message))
    return defaults.server_error(request)


def method_not_allowed_as_json(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware: answer a wrong method on an API address in the one error shape.

    django-ninja answers it itself, before any handler here runs, with a
    plain-text "Method not allowed"; clients branch on ``code``.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip())
            code, message = _HTTP_ERRORS[405]
            answer = _error(request, 405, code, str(message), {"allowed": allowed})
            answer["Allow"] = ", ".join(allowed)
            return answer
        return response

    return middleware


def _mount_routers() -> None:
    from zhengtong.catalog.api import router as catalog_router
    from zhengtong.core.api import router as core_router
    from zhengtong.eservices.api import router as eservices_router
    from zhengtong.eservices.application_api import router as applications_router
    from zhengtong.eservices.govstack import router as registration_router
    from zhengtong.exchange.api import router as exchange_router
    from zhengtong.exchange.govstack import router as govstack_router
    from zhengtong.hotline.api import router as hotline_router
    from zhengtong.identity.api import router as identity_router
    from zhengtong.ledger.api import router as ledger_router
    from zhengtong.licences.api import router as licences_router
    from zhengtong.portal.api import router as portal_router
    from zhengtong.regulation.api import router as regulation_router

    api.add_router("/catalog/", catalog_router)
    api.add_router("/core/", core_router)
    api.add_router("/services/", eservices_router)
    api.add_router("/services/applications/", applications_router)
    api.add_router("/exchange/", exchange_router)
    api.add_router("/govstack/", govstack_router)
    api.add_router("/govstack/registration/", registration_router)
    api.add_router("/hotline/", hotline_router)
    api.add_router("/identity/", identity_router)
    api.add_router("/ledger/", ledger_router)
    api.add_router("/licences/", licences_router)
    api.add_router("/portal/", portal_router)
    api.add_router("/regulation/", regulation_router)


_mount_routers()
