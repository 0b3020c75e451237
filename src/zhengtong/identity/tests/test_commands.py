import pytest
from django.core.management import CommandError, call_command

from zhengtong.core.testing import make_department, make_region_tree
from zhengtong.identity.models import User
from zhengtong.identity.permissions import has_permission
from zhengtong.identity.tests.cast import PASSWORD
from zhengtong.ledger.models import LedgerEntry


@pytest.mark.django_db
def test_it_creates_the_first_administrator_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = make_region_tree()
    make_department("长沙市数据资源管理局", code="changsha-data", region=tree.city)
    monkeypatch.setenv("ZHENGTONG_NEW_PASSWORD", PASSWORD)
    call_command(
        "create_staff",
        "admin",
        "--name",
        "管理员",
        "--department",
        "changsha-data",
        "--role",
        "administrator",
        "--scope",
        "region",
    )
    user = User.objects.get(username="admin")
    assert user.check_password(PASSWORD)
    assert user.is_staff
    assert has_permission(user, "identity.manage_users")
    entry = LedgerEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.actor_ref) == ("identity.create_staff", "system:create_staff")


@pytest.mark.django_db
def test_it_reports_a_refusal_as_a_command_error(monkeypatch: pytest.MonkeyPatch) -> None:
    make_department("长沙市数据资源管理局", code="changsha-data")
    monkeypatch.setenv("ZHENGTONG_NEW_PASSWORD", "short")
    with pytest.raises(CommandError, match="invalid_password"):
        call_command(
            "create_staff",
            "admin",
            "--name",
            "管理员",
            "--department",
            "changsha-data",
            "--role",
            "administrator",
        )


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["Admin", "ＡＤＭＩＮ", "ａｄｍｉｎ"])
def test_it_refuses_a_username_that_differs_from_a_taken_one_in_case_or_width(
    monkeypatch: pytest.MonkeyPatch, variant: str
) -> None:
    make_department("长沙市数据资源管理局", code="changsha-data")
    monkeypatch.setenv("ZHENGTONG_NEW_PASSWORD", PASSWORD)
    arguments = ["--name", "管理员", "--department", "changsha-data", "--role", "clerk"]
    call_command("create_staff", "admin", *arguments)
    with pytest.raises(CommandError, match="username_taken"):
        call_command("create_staff", variant, *arguments)
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]


@pytest.mark.django_db
def test_a_username_typed_in_full_width_is_stored_in_ascii(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_department("长沙市数据资源管理局", code="changsha-data")
    monkeypatch.setenv("ZHENGTONG_NEW_PASSWORD", PASSWORD)
    arguments = ["--name", "李四", "--department", "changsha-data", "--role", "clerk"]
    call_command("create_staff", "ｌｉｓｉ", *arguments)
    assert User.objects.filter(username="lisi").exists()
