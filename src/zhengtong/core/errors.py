"""One error shape for every API: ``{"code": ..., "message": ..., "detail": ...}``.

Codes are stable identifiers that clients may branch on; messages are
translated into the request's language; ``detail`` carries structured facts
(which field, which digit) and is never needed to understand the error.

A refusal that is kept and read again later (a rejected row of an upload)
may also carry ``stored``: the same message as a stored text of
``core.i18n``, which a later reader reads in their own language.
"""

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ZhengtongError(Exception):
    """A refusal that every interface shows the same way.

    Subclasses fix ``code`` and ``status``; raising code passes the message
    (marked for translation) and optional structured detail.
    """

    code: str = "error"
    status: int = 400
    default_message: str | Promise = _("请求无法处理。")
    # Also here, so that a subclass with its own constructor still has it.
    stored: str | None = None

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        detail: Mapping[str, Any] | None = None,
        stored: str | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.stored = stored
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.detail: dict[str, Any] = dict(detail or {})
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "detail": self.detail}


class InvalidInput(ZhengtongError):
    code = "invalid_input"
    status = 400
    default_message = _("输入有误。")


class NotFound(ZhengtongError):
    """Missing and forbidden look the same, so that ids cannot be probed."""

    code = "not_found"
    status = 404
    default_message = _("未找到该对象，或您无权访问。")


class NotAuthenticated(ZhengtongError):
    code = "not_authenticated"
    status = 401
    default_message = _("请先登录或提供有效的接口凭证。")


class PermissionDenied(ZhengtongError):
    code = "permission_denied"
    status = 403
    default_message = _("您无权执行此操作。")


class Conflict(ZhengtongError):
    code = "conflict"
    status = 409
    default_message = _("该操作与当前状态冲突。")


class Throttled(ZhengtongError):
    code = "throttled"
    status = 429
    default_message = _("请求过于频繁，请稍后再试。")


def error_response(
    status: int, code: str, message: str, detail: Mapping[str, Any] | None = None
) -> HttpResponse:
    """The error shape, answered outside any API operation (a middleware, Django's handlers)."""
    return JsonResponse(
        {"code": code, "message": message, "detail": dict(detail or {})},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
