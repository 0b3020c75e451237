"""Authentication for the APIs: G2G client tokens and logged-in users' sessions.

Use ``auth=any_principal`` for operations open to both; the operation then
finds the principal (a ``User`` or a ``SystemClient``) in ``request.auth``.
"""

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, SessionAuth

from zhengtong.core.errors import NotAuthenticated, PermissionDenied
from zhengtong.core.refusals import tell_refused_request
from zhengtong.identity import credentials
from zhengtong.identity.models import SystemClient, User
from zhengtong.identity.permissions import has_permission, require_known_scope
from zhengtong.identity.selectors import active_client

# ``last_used_at`` is written at most this often per client, so that a busy
# client does not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# Hashed when the key id is unknown, so that unknown and known key ids take
# the same time to refuse.
_DUMMY_HASH = credentials.HASH_PREFIX + "0" * 64


def _bad_credentials() -> NotAuthenticated:
    return NotAuthenticated(
        _("接口凭证无效、已更换或已吊销。"), code="bad_credentials", detail={"scheme": "Bearer"}
    )


class ClientTokenAuth(HttpBearer):
    """``Authorization: Bearer <key_id>.<secret>`` for department systems (G2G).

    A token that is presented but wrong is refused with ``bad_credentials``
    rather than passed on to the next method, so that a caller with a revoked
    or rotated secret learns why at once.
    """

    def authenticate(self, request: HttpRequest, token: str) -> SystemClient:
        parts = credentials.split_token(token)
        if parts is None:
            raise _bad_credentials()
        key_id, secret = parts
        client = active_client(key_id)
        result = credentials.verify_secret(secret, client.secret_hash if client else _DUMMY_HASH)
        if client is None or not result.ok:
            raise _bad_credentials()
        now = timezone.now()
        changes: dict[str, Any] = {}
        if client.last_used_at is None or now - client.last_used_at >= LAST_USED_RESOLUTION:
            changes["last_used_at"] = now
        if result.rehashed is not None:
            changes["secret_hash"] = result.rehashed
        if changes:
            # A bookkeeping stamp, not a change anyone acts on: one UPDATE
            # without a ledger entry. Conditional on the hash, so a rotation
            # that commits meanwhile is never overwritten.
            SystemClient.objects.filter(pk=client.pk, secret_hash=client.secret_hash).update(
                **changes
            )
            for field, value in changes.items():
                setattr(client, field, value)
        return client


class SessionUserAuth(SessionAuth):
    """A logged-in, active user, with Django's CSRF check on unsafe methods."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if isinstance(user, User) and user.is_authenticated and user.is_active:
            return user
        return None


session_auth = SessionUserAuth()
any_principal = [ClientTokenAuth(), session_auth]


def session_user(request: HttpRequest) -> User:
    """Return the user of an operation behind ``session_auth`` (which lets only users in)."""
    user = request.user
    assert isinstance(user, User)
    return user


def page_user(request: HttpRequest, audience: str, *permissions: str) -> User | None:
    """Return the logged-in user of a page for ``audience``, holding one of ``permissions``.

    None when nobody is logged in (the page sends them to log in); a user of
    another audience, or without any of the permissions, is refused (403).
    """
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    if user.audience != audience or (
        permissions and not any(has_permission(user, p) for p in permissions)
    ):
        raise DjangoPermissionDenied
    return user


def principal_of(request: HttpRequest) -> User | SystemClient | None:
    """Return whoever the API authenticated for this request."""
    principal = getattr(request, "auth", None)
    return principal if isinstance(principal, User | SystemClient) else None


def require_scope(request: HttpRequest, scope: str) -> None:
    """Refuse a G2G client that was not granted ``scope``.

    Scopes limit what a department's system may call. Users are governed by
    their roles instead, which the operation checks through its access
    functions, so a user passes this check.

    The refusal is told to ``core.refusals`` as one made before the
    operation's own work: an app that accounts for every call of a system
    (the exchange's governed reads) logs this one too.
    """
    require_known_scope(scope)
    principal = principal_of(request)
    if principal is None:
        raise NotAuthenticated()
    if isinstance(principal, SystemClient) and scope not in principal.scopes:
        refusal = PermissionDenied(
            _("该接入系统未获授权使用此接口（缺少权限范围 %(scope)s）。") % {"scope": scope},
            code="scope_missing",
            detail={"scope": scope},
        )
        tell_refused_request(request, refusal)
        raise refusal
