import datetime as dt

import pytest
from django.utils import timezone, translation

from zhengtong.core.testing import TEST_ACTOR, make_department
from zhengtong.identity.actions import (
    do_assign_post,
    do_create_staff,
    do_end_post,
    do_set_user_active,
)
from zhengtong.identity.models import EnterpriseMembership, Role, User
from zhengtong.identity.permissions import (
    BUILT_IN_ROLE_NAMES,
    PERMISSIONS,
    UnknownPermission,
    departments_in_scope,
    has_permission,
    permissions_of,
    role_label,
)
from zhengtong.identity.tests.cast import PASSWORD, Cast


def fresh(user: User) -> User:
    """Reload the user, as the next request would, so no cached grants are reused."""
    return User.objects.get(pk=user.pk)


@pytest.mark.django_db
def test_the_built_in_roles_are_seeded_with_defined_permissions_only() -> None:
    roles = {role.code: role for role in Role.objects.all()}
    assert set(BUILT_IN_ROLE_NAMES) <= set(roles)
    for code in BUILT_IN_ROLE_NAMES:
        assert roles[code].permissions, code
        assert set(roles[code].permissions) <= set(PERMISSIONS), code


@pytest.mark.django_db
def test_built_in_role_names_follow_the_language() -> None:
    clerk = Role.objects.get(code="clerk")
    assert role_label(clerk) == "窗口受理人员"
    with translation.override("en"):
        assert role_label(clerk) == "Service window clerk"


def test_every_permission_has_a_description() -> None:
    for permission in PERMISSIONS.values():
        assert str(permission.description).strip(), permission.code


def test_it_refuses_to_check_a_permission_that_no_app_defines() -> None:
    with pytest.raises(UnknownPermission):
        has_permission(None, "core.view_persons")


def test_nobody_holds_anything() -> None:
    assert not has_permission(None, "core.view_person")


def test_a_clerk_holds_the_permission_in_the_own_department_only(cast: Cast) -> None:
    assert has_permission(cast.lisi, "core.view_person", department=cast.county_bureau)
    assert not has_permission(cast.lisi, "core.view_person", department=cast.tianxin_bureau)
    assert not has_permission(cast.lisi, "core.view_person", department=cast.city_office)


def test_a_department_post_does_not_cover_a_whole_region(cast: Cast) -> None:
    assert not has_permission(cast.lisi, "core.view_person", region=cast.tree.furong)
    # With its own department named, the post covers that department's region.
    assert has_permission(
        cast.lisi, "core.view_person", department=cast.county_bureau, region=cast.tree.wenyilu
    )
    assert not has_permission(
        cast.lisi, "core.view_person", department=cast.county_bureau, region=cast.tree.tianxin
    )


def test_the_inspector_of_another_district_has_no_access_to_the_county_bureau(
    cast: Cast,
) -> None:
    assert has_permission(cast.wangwu, "core.view_person", department=cast.tianxin_bureau)
    assert not has_permission(cast.wangwu, "core.view_person", department=cast.county_bureau)
    assert list(departments_in_scope(cast.wangwu, "core.view_person")) == [cast.tianxin_bureau]


def test_a_city_leader_sees_every_department_in_the_city(cast: Cast) -> None:
    for department in (cast.county_bureau, cast.tianxin_bureau, cast.city_office):
        assert has_permission(cast.leader, "core.view_enterprise", department=department)
    assert has_permission(cast.leader, "core.view_enterprise", region=cast.tree.wenyilu)
    assert set(departments_in_scope(cast.leader, "core.view_enterprise")) == {
        cast.county_bureau,
        cast.tianxin_bureau,
        cast.city_office,
    }


def test_a_city_leader_does_not_see_beyond_the_city(cast: Cast) -> None:
    province_office = make_department(
        "湖南省人民政府办公厅", code="hunan-office", region=cast.tree.province
    )
    assert not has_permission(cast.leader, "core.view_enterprise", department=province_office)
    assert not has_permission(cast.leader, "core.view_enterprise", region=cast.tree.province)
    assert province_office not in departments_in_scope(cast.leader, "core.view_enterprise")


def test_a_role_gives_only_its_own_permissions(cast: Cast) -> None:
    # The leader has no clerk's permission to read people's records.
    assert not has_permission(cast.leader, "core.view_person", department=cast.county_bureau)
    assert not departments_in_scope(cast.leader, "core.view_person").exists()
    assert not has_permission(cast.lisi, "ledger.view_entries")
    assert has_permission(cast.auditor, "ledger.view_entries", department=cast.county_bureau)


def test_a_clerk_of_the_county_bureau_sees_only_that_bureau(cast: Cast) -> None:
    assert list(departments_in_scope(cast.lisi, "core.view_person")) == [cast.county_bureau]
    assert not departments_in_scope(cast.lisi, "ledger.view_entries").exists()


def test_a_region_post_can_be_narrowed_to_a_district(cast: Cast) -> None:
    district_leader = do_create_staff(
        "zhouliu",
        PASSWORD,
        "周六",
        cast.city_office,
        ["leader"],
        actor=TEST_ACTOR,
        scope="region",
        scope_region=cast.tree.furong,
    )
    assert list(departments_in_scope(district_leader, "core.view_enterprise")) == [
        cast.county_bureau
    ]


def test_a_superuser_holds_no_domain_permission(db: None) -> None:
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    assert not has_permission(root, "identity.manage_users")
    assert not has_permission(root, "ledger.view_entries")
    assert not departments_in_scope(root, "identity.manage_clients").exists()


def test_an_administrator_holds_the_administration_permissions(cast: Cast) -> None:
    assert has_permission(cast.admin, "identity.manage_clients", department=cast.county_bureau)
    assert not has_permission(cast.admin, "identity.manage_clients", department=cast.tianxin_bureau)
    # Administering the system is kept apart from auditing it.
    assert not has_permission(cast.admin, "ledger.view_entries")


def test_a_citizen_holds_the_citizen_role_for_own_affairs_only(cast: Cast) -> None:
    assert has_permission(cast.zhangsan, "portal.use_citizen_services")
    assert not has_permission(
        cast.zhangsan, "portal.use_citizen_services", department=cast.county_bureau
    )
    assert not has_permission(cast.zhangsan, "portal.use_workbench")
    assert not departments_in_scope(cast.zhangsan, "portal.use_citizen_services").exists()


def test_the_legal_representative_may_authorise_agents_and_the_agent_may_not(
    cast: Cast,
) -> None:
    assert has_permission(cast.owner, "identity.authorise_agents")
    assert has_permission(cast.owner, "portal.use_enterprise_services")
    assert has_permission(cast.agent, "portal.use_enterprise_services")
    assert not has_permission(cast.agent, "identity.authorise_agents")
    assert not has_permission(cast.owner, "portal.use_citizen_services")


def test_an_agent_whose_authorisation_expired_holds_nothing(cast: Cast) -> None:
    EnterpriseMembership.objects.filter(user=cast.agent).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    assert not has_permission(fresh(cast.agent), "portal.use_enterprise_services")


def test_an_ended_post_gives_nothing(cast: Cast) -> None:
    post = cast.lisi.posts.get()
    do_end_post(post, actor=TEST_ACTOR)
    assert not has_permission(fresh(cast.lisi), "core.view_person")


def test_a_new_post_extends_the_scope(cast: Cast) -> None:
    do_assign_post(cast.lisi, cast.tianxin_bureau, "clerk", actor=TEST_ACTOR)
    lisi = fresh(cast.lisi)
    assert has_permission(lisi, "core.view_person", department=cast.tianxin_bureau)
    assert set(departments_in_scope(lisi, "core.view_person")) == {
        cast.county_bureau,
        cast.tianxin_bureau,
    }


def test_a_deactivated_user_holds_nothing(cast: Cast) -> None:
    do_set_user_active(cast.lisi, False, actor=TEST_ACTOR)
    assert not has_permission(fresh(cast.lisi), "core.view_person")
    assert permissions_of(fresh(cast.lisi)) == frozenset()


def test_the_roles_are_read_from_data(cast: Cast) -> None:
    clerk = Role.objects.get(code="clerk")
    clerk.permissions = [*clerk.permissions, "ledger.view_entries"]
    clerk.save()
    assert has_permission(fresh(cast.lisi), "ledger.view_entries", department=cast.county_bureau)


def test_the_menu_permissions_of_a_clerk(cast: Cast) -> None:
    assert permissions_of(cast.lisi) == {
        "core.view_enterprise",
        "core.view_person",
        "portal.use_workbench",
    }
