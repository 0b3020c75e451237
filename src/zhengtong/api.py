"""The one NinjaAPI of the platform; each app mounts its router here."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from zhengtong.core.errors import ZhengtongError

api = NinjaAPI(
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
    return _error(request, exc.status, exc.code, str(exc.message), exc.detail)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(
        request, 422, "invalid_input", _("请求内容不符合接口要求。"), {"errors": exc.errors}
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "not_authenticated", _("请先登录或提供有效的接口凭证。"), {})


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, f"http_{exc.status_code}", str(exc), {})


def _mount_routers() -> None:
    from zhengtong.core.api import router as core_router
    from zhengtong.identity.api import router as identity_router
    from zhengtong.ledger.api import router as ledger_router
    from zhengtong.portal.api import router as portal_router

    api.add_router("/core/", core_router)
    api.add_router("/identity/", identity_router)
    api.add_router("/ledger/", ledger_router)
    api.add_router("/portal/", portal_router)


_mount_routers()
