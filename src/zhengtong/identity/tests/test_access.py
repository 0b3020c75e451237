import pytest

from zhengtong.core.errors import NotFound
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.access import access_client_by_id, access_user_by_id
from zhengtong.identity.actions import do_assign_post
from zhengtong.identity.models import User
from zhengtong.identity.tests.cast import Cast


def test_everyone_sees_their_own_account(cast: Cast) -> None:
    assert access_user_by_id(cast.zhangsan, cast.zhangsan.pk) == cast.zhangsan
    assert access_user_by_id(cast.lisi, cast.lisi.pk) == cast.lisi


def test_a_citizen_cannot_see_another_account(cast: Cast) -> None:
    with pytest.raises(NotFound):
        access_user_by_id(cast.zhangsan, cast.lisi.pk)


def test_an_administrator_sees_staff_of_the_own_department_only(cast: Cast) -> None:
    assert access_user_by_id(cast.admin, cast.lisi.pk) == cast.lisi
    with pytest.raises(NotFound):
        access_user_by_id(cast.admin, cast.wangwu.pk)


def test_a_city_administrator_sees_citizen_and_enterprise_accounts(cast: Cast) -> None:
    do_assign_post(cast.leader, cast.city_office, "administrator", actor=TEST_ACTOR, scope="region")
    leader = User.objects.get(pk=cast.leader.pk)
    assert access_user_by_id(leader, cast.zhangsan.pk) == cast.zhangsan
    assert access_user_by_id(leader, cast.owner.pk) == cast.owner


def test_a_department_administrator_sees_no_citizen_or_enterprise_accounts(cast: Cast) -> None:
    for account in (cast.zhangsan, cast.owner):
        with pytest.raises(NotFound):
            access_user_by_id(cast.admin, account.pk)


def test_a_city_leader_sees_the_staff_of_the_city(cast: Cast) -> None:
    assert access_user_by_id(cast.leader, cast.lisi.pk) == cast.lisi
    assert access_user_by_id(cast.leader, cast.wangwu.pk) == cast.wangwu
    with pytest.raises(NotFound):
        access_user_by_id(cast.leader, cast.zhangsan.pk)


def test_forbidden_and_missing_accounts_look_the_same(cast: Cast) -> None:
    with pytest.raises(NotFound) as forbidden:
        access_user_by_id(cast.wangwu, cast.lisi.pk)
    with pytest.raises(NotFound) as missing:
        access_user_by_id(cast.wangwu, 999999)
    assert forbidden.value.as_dict() == missing.value.as_dict()


def test_clients_and_nobody_see_no_accounts(cast: Cast) -> None:
    for principal in (cast.client, None):
        with pytest.raises(NotFound):
            access_user_by_id(principal, cast.zhangsan.pk)


def test_the_department_administrator_may_manage_its_client(cast: Cast) -> None:
    assert access_client_by_id(cast.admin, cast.client.pk) == cast.client


@pytest.mark.parametrize("who", ["lisi", "wangwu", "leader", "auditor", "zhangsan", "owner"])
def test_nobody_else_finds_the_client(cast: Cast, who: str) -> None:
    with pytest.raises(NotFound) as forbidden:
        access_client_by_id(getattr(cast, who), cast.client.pk)
    with pytest.raises(NotFound) as missing:
        access_client_by_id(getattr(cast, who), 999999)
    assert forbidden.value.as_dict() == missing.value.as_dict()


def test_a_client_does_not_find_even_itself(cast: Cast) -> None:
    with pytest.raises(NotFound):
        access_client_by_id(cast.client, cast.client.pk)
