"""Security headers that Django's own settings do not cover, and the token API's short path.

Department systems call the G2G API under ``TOKEN_API_PATHS`` with bearer
tokens only: no session, no CSRF cookie, no messages. The session, CSRF,
authentication and messages middleware below are Django's own, except that
they let those requests through untouched instead of doing work the API never
uses on every call (loading a session store, reading the CSRF cookie, setting
up message storage). Every other path goes through them unchanged.
"""

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessages
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessions
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrf
from django.utils.translation import gettext as _

from zhengtong.core.errors import error_response

# Everything is served from the project itself: no CDN, no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
# The API docs page runs its bundled Swagger UI with an inline initialiser.
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


def is_token_api(request: HttpRequest) -> bool:
    """Whether the request is under a path that only bearer tokens may call."""
    return request.path_info.startswith(settings.TOKEN_API_PATHS)


# A JSON string's escaped NUL: the escape u0000 after an odd number of
# backslashes (after an even number the backslashes are text themselves).
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _nul_in(request: HttpRequest) -> str:
    """Where the request carries a NUL character ("" if nowhere)."""
    if "\x00" in request.path:
        return "path"
    if "%00" in request.META.get("QUERY_STRING", ""):
        return "query"
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return ""
    content_type = request.content_type or ""
    try:
        if content_type == "multipart/form-data":
            # Files may hold any bytes; the form's text fields may not.
            texts = (value for _name, values in request.POST.lists() for value in values)
            return "body" if any("\x00" in value for value in texts) else ""
        if content_type == "application/x-www-form-urlencoded":
            body = request.body
            return "body" if b"%00" in body or b"\x00" in body else ""
        if content_type == "application/json" or content_type.endswith("+json"):
            body = request.body
            if b"\x00" in body or (b"\\u0000" in body and _ESCAPED_NUL.search(body)):
                return "body"
    except RequestDataTooBig:
        # The view refuses it as it always has.
        return ""
    return ""


class RejectNulMiddleware:
    """Refuse requests carrying NUL characters before any view sees them.

    No text the platform takes may contain NUL: PostgreSQL cannot store it in a
    text column and would fail the statement (a 500 instead of a clear answer),
    and in logs and exports it hides what follows it. Uploaded files are not
    text and are left alone. The API answers in its error shape with the code
    ``invalid_input``; pages get the 400 page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _nul_in(request)
        if not where:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return error_response(
                400, "invalid_input", _("请求中含有不允许的控制字符（NUL）。"), {"where": where}
            )
        raise SuspiciousOperation(f"NUL character in the request's {where}")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = (
            API_DOCS_POLICY if request.path.startswith("/api/docs") else CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class SessionMiddleware(DjangoSessions):
    """Django's sessions, skipped on the token API: it never reads or sets a session."""

    def __call__(self, request: HttpRequest) -> Any:
        if is_token_api(request):
            return self.get_response(request)
        return super().__call__(request)


class CsrfViewMiddleware(DjangoCsrf):
    """Django's CSRF check, skipped on the token API: a bearer token is not sent by browsers."""

    def __call__(self, request: HttpRequest) -> Any:
        if is_token_api(request):
            return self.get_response(request)
        return super().__call__(request)

    def process_view(
        self,
        request: HttpRequest,
        callback: Callable[..., Any],
        callback_args: tuple[Any, ...],
        callback_kwargs: dict[str, Any],
    ) -> HttpResponseForbidden | None:
        if is_token_api(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class AuthenticationMiddleware(DjangoAuthentication):
    """Django's session user; on the token API, where no session is read, always anonymous."""

    def __call__(self, request: HttpRequest) -> Any:
        if is_token_api(request):
            request.user = AnonymousUser()
            return self.get_response(request)
        return super().__call__(request)


class MessageMiddleware(DjangoMessages):
    """Django's messages, skipped on the token API: it renders no pages to show them on."""

    def __call__(self, request: HttpRequest) -> Any:
        if is_token_api(request):
            return self.get_response(request)
        return super().__call__(request)
