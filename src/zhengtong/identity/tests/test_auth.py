import pytest
from django.http import HttpRequest

from zhengtong.core.errors import NotAuthenticated, PermissionDenied
from zhengtong.identity.auth import require_scope
from zhengtong.identity.models import SystemClient, User
from zhengtong.identity.permissions import UnknownPermission
from zhengtong.identity.tests.cast import Cast


def request_by(principal: User | SystemClient | None) -> HttpRequest:
    request = HttpRequest()
    request.auth = principal  # type: ignore[attr-defined]
    return request


def test_a_client_with_the_scope_passes(cast: Cast) -> None:
    require_scope(request_by(cast.client), "core.read_registers")


def test_a_client_without_the_scope_is_refused(cast: Cast) -> None:
    with pytest.raises(PermissionDenied) as refused:
        require_scope(request_by(cast.client), "ledger.read_proofs")
    assert refused.value.code == "scope_missing"
    assert refused.value.status == 403
    assert refused.value.detail == {"scope": "ledger.read_proofs"}


def test_users_are_governed_by_roles_not_scopes(cast: Cast) -> None:
    require_scope(request_by(cast.lisi), "ledger.read_proofs")


def test_nobody_is_asked_to_authenticate(db: None) -> None:
    with pytest.raises(NotAuthenticated):
        require_scope(request_by(None), "core.read_registers")


def test_a_misspelt_scope_is_a_programming_error(cast: Cast) -> None:
    with pytest.raises(UnknownPermission):
        require_scope(request_by(cast.client), "core.read_register")
