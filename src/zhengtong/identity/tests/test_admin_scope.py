"""Role and account administration reaches no further than the administrator's region.

周八 administers the accounts of the 芙蓉区 market bureau; 郑九 administers
every department of 芙蓉区 from its government office; 冯十 administers the
whole city. 王五 works in 天心区 and 赵六 in the city office: neither is a
county administrator's to change.
"""

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from zhengtong.core.errors import NotFound
from zhengtong.core.testing import TEST_ACTOR, make_department, make_person
from zhengtong.identity.access import access_user_by_id
from zhengtong.identity.actions import do_create_citizen, do_create_staff
from zhengtong.identity.models import LoginFailure, Role, StaffPost, User
from zhengtong.identity.tests.cast import PASSWORD, Cast
from zhengtong.identity.tests.test_admin import city_administrator
from zhengtong.ledger.models import LedgerEntry


@dataclass(frozen=True)
class Administrators:
    county: User
    city: User
    furong_citizen: User
    tianxin_citizen: User


@pytest.fixture
def admins(cast: Cast) -> Administrators:
    furong_office = make_department(
        "长沙市芙蓉区人民政府办公室", code="furong-office", region=cast.tree.furong
    )
    return Administrators(
        county=do_create_staff(
            "zhengjiu",
            PASSWORD,
            "郑九",
            furong_office,
            ["administrator"],
            actor=TEST_ACTOR,
            scope="region",
        ),
        city=city_administrator(cast),
        furong_citizen=do_create_citizen(
            "furong_citizen",
            PASSWORD,
            make_person("陈一", region=cast.tree.wenyilu),
            actor=TEST_ACTOR,
        ),
        tianxin_citizen=do_create_citizen(
            "tianxin_citizen",
            PASSWORD,
            make_person("林二", region=cast.tree.tianxin),
            actor=TEST_ACTOR,
        ),
    )


def admin_browser(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def entries() -> int:
    return LedgerEntry.objects.count()


def deactivation_form() -> dict[str, str]:
    form = {"is_active": ""}
    for prefix in ("posts", "enterprise_memberships"):
        form |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return form


@pytest.mark.parametrize("who", ["county", "department"])
def test_a_county_administrator_cannot_change_a_role_every_county_holds(
    cast: Cast, admins: Administrators, who: str
) -> None:
    administrator = admins.county if who == "county" else cast.admin
    browser = admin_browser(administrator)
    role = Role.objects.get(code="reviewer")
    url = reverse("admin:identity_role_change", args=[role.pk])
    # The role can be read, to know what a post gives ...
    page = browser.get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    # ... but not changed: it is the city's reviewers' role too.
    before = entries()
    response = browser.post(url, {"permissions": ["core.view_person"]})
    assert response.status_code == 403
    assert "core.view_person" in Role.objects.get(code="reviewer").permissions
    assert len(Role.objects.get(code="reviewer").permissions) > 1
    assert entries() == before


def test_the_city_administrator_changes_roles(cast: Cast, admins: Administrators) -> None:
    browser = admin_browser(admins.city)
    role = Role.objects.get(code="reviewer")
    response = browser.post(
        reverse("admin:identity_role_change", args=[role.pk]),
        {"permissions": ["core.view_person", "portal.use_workbench"]},
    )
    assert response.status_code == 302
    assert Role.objects.get(code="reviewer").permissions == [
        "core.view_person",
        "portal.use_workbench",
    ]


def _post_form(
    cast: Cast, user: User, role: str = "reviewer", scope: str = "department"
) -> dict[str, object]:
    return {
        "user": user.pk,
        "department": cast.county_bureau.pk,
        "role": Role.objects.get(code=role).pk,
        "scope": scope,
        "scope_region": "",
    }


@pytest.mark.parametrize("who", ["county", "department"])
@pytest.mark.parametrize("target", ["wangwu", "leader"])
def test_a_county_administrator_cannot_give_a_post_to_staff_outside_the_county(
    cast: Cast, admins: Administrators, who: str, target: str
) -> None:
    administrator = admins.county if who == "county" else cast.admin
    staff = getattr(cast, target)
    before = entries()
    response = admin_browser(administrator).post(
        reverse("admin:identity_staffpost_add"), _post_form(cast, staff)
    )
    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    assert not StaffPost.objects.filter(user=staff, role__code="reviewer").exists()
    assert entries() == before


def test_the_county_administrator_gives_posts_to_the_county_staff(
    cast: Cast, admins: Administrators
) -> None:
    response = admin_browser(admins.county).post(
        reverse("admin:identity_staffpost_add"), _post_form(cast, cast.lisi)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert StaffPost.objects.filter(user=cast.lisi, role__code="reviewer").exists()


def test_a_department_administrator_cannot_give_a_post_over_the_whole_county(
    cast: Cast, admins: Administrators
) -> None:
    # 周八 administers his bureau only; a county-wide post would reach every
    # department of 芙蓉区. 郑九, who administers the county, may give one.
    form = _post_form(cast, cast.lisi, role="leader", scope="region")
    refused = admin_browser(cast.admin).post(reverse("admin:identity_staffpost_add"), form)
    assert refused.status_code == 200
    assert "超出您所管理的行政区域" in refused.content.decode()
    assert not StaffPost.objects.filter(user=cast.lisi, role__code="leader").exists()
    allowed = admin_browser(admins.county).post(reverse("admin:identity_staffpost_add"), form)
    assert allowed.status_code == 302, allowed.context["adminform"].form.errors
    assert StaffPost.objects.get(user=cast.lisi, role__code="leader").scope_region == (
        cast.tree.furong
    )


def test_a_county_administrator_manages_the_citizen_accounts_of_the_county_only(
    cast: Cast, admins: Administrators
) -> None:
    browser = admin_browser(admins.county)
    listed = {
        user.username
        for user in browser.get(reverse("admin:identity_user_changelist")).context["cl"].result_list
    }
    assert "furong_citizen" in listed
    assert "tianxin_citizen" not in listed
    # Another county's citizen is not found, as if there were none.
    url = reverse("admin:identity_user_change", args=[admins.tianxin_citizen.pk])
    response = browser.post(url, deactivation_form())
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert User.objects.get(pk=admins.tianxin_citizen.pk).is_active
    # The county's own citizen it may deactivate.
    url = reverse("admin:identity_user_change", args=[admins.furong_citizen.pk])
    assert browser.post(url, deactivation_form()).status_code == 302
    assert not User.objects.get(pk=admins.furong_citizen.pk).is_active


def test_a_department_administrator_manages_no_citizen_accounts(
    cast: Cast, admins: Administrators
) -> None:
    browser = admin_browser(cast.admin)
    url = reverse("admin:identity_user_change", args=[admins.furong_citizen.pk])
    assert browser.post(url, deactivation_form()).status_code == 302
    assert User.objects.get(pk=admins.furong_citizen.pk).is_active
    for citizen in (cast.zhangsan, admins.furong_citizen, admins.tianxin_citizen):
        with pytest.raises(NotFound):
            access_user_by_id(cast.admin, citizen.pk)


def test_the_city_administrator_manages_every_account(cast: Cast, admins: Administrators) -> None:
    for account in (cast.wangwu, cast.lisi, cast.zhangsan, cast.owner, admins.tianxin_citizen):
        assert access_user_by_id(admins.city, account.pk) == account
    browser = admin_browser(admins.city)
    url = reverse("admin:identity_user_change", args=[admins.tianxin_citizen.pk])
    assert browser.post(url, deactivation_form()).status_code == 302
    assert not User.objects.get(pk=admins.tianxin_citizen.pk).is_active


def test_out_of_scope_and_missing_accounts_look_the_same(
    cast: Cast, admins: Administrators
) -> None:
    with pytest.raises(NotFound) as forbidden:
        access_user_by_id(admins.county, admins.tianxin_citizen.pk)
    with pytest.raises(NotFound) as missing:
        access_user_by_id(admins.county, 999999)
    assert forbidden.value.as_dict() == missing.value.as_dict()


def test_only_the_city_administrator_reads_the_failed_log_ins(
    cast: Cast, admins: Administrators
) -> None:
    LoginFailure.objects.create(username="wangwu", ip_address="192.0.2.1")
    url = reverse("admin:identity_loginfailure_changelist")
    assert admin_browser(admins.county).get(url).status_code == 403
    assert admin_browser(cast.admin).get(url).status_code == 403
    assert admin_browser(admins.city).get(url).status_code == 200
