import pytest
from django.test import Client
from django.urls import reverse

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity import actions as identity_actions
from zhengtong.identity.actions import do_assign_post, do_create_staff
from zhengtong.identity.models import Role, StaffPost, SystemClient, User
from zhengtong.identity.tests.cast import PASSWORD, Cast
from zhengtong.ledger.models import LedgerEntry


def admin_browser(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def last_action() -> str:
    return LedgerEntry.objects.order_by("-seq").values_list("action", flat=True)[0]


def city_administrator(cast: Cast) -> User:
    """冯十 administers every department of the city."""
    return do_create_staff(
        "fengshi",
        PASSWORD,
        "冯十",
        cast.city_office,
        ["administrator"],
        actor=TEST_ACTOR,
        scope="region",
    )


def test_the_administrator_lists_the_accounts_in_scope(cast: Cast) -> None:
    page = admin_browser(cast.admin).get(reverse("admin:identity_user_changelist"))
    assert page.status_code == 200
    listed = {user.username for user in page.context["cl"].result_list}
    assert {"lisi", "zhouba"} <= listed
    # 王五 works in another district's bureau; the bureau's administrator
    # reaches no region, so no citizen or enterprise account either.
    assert not {"wangwu", "zhangsan", "qianduoduo"} & listed


def test_a_superuser_without_the_administrator_role_sees_nothing_here(db: None) -> None:
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    browser = admin_browser(root)
    for name in ("user", "role", "staffpost", "systemclient", "loginfailure"):
        assert browser.get(reverse(f"admin:identity_{name}_changelist")).status_code == 403


def test_a_clerk_cannot_open_the_admin_site(cast: Cast) -> None:
    page = admin_browser(cast.lisi).get(reverse("admin:identity_user_changelist"))
    assert page.status_code == 302


def test_the_client_page_never_shows_the_secret_or_its_hash(cast: Cast) -> None:
    browser = admin_browser(cast.admin)
    url = reverse("admin:identity_systemclient_change", args=[cast.client.pk])
    page = browser.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert cast.client.key_id in body
    assert cast.client_secret not in body
    assert cast.client.secret_hash.split("$")[1] not in body


def test_deactivating_an_account_in_the_admin_goes_through_the_action(cast: Cast) -> None:
    browser = admin_browser(cast.admin)
    url = reverse("admin:identity_user_change", args=[cast.lisi.pk])
    response = browser.post(url, _deactivation_form())
    assert response.status_code == 302, response.content
    assert not User.objects.get(pk=cast.lisi.pk).is_active
    assert last_action() == "identity.deactivate_user"


def test_changing_a_role_in_the_admin_goes_through_the_action(cast: Cast) -> None:
    browser = admin_browser(city_administrator(cast))
    role = Role.objects.get(code="reviewer")
    url = reverse("admin:identity_role_change", args=[role.pk])
    response = browser.post(url, {"permissions": ["core.view_person", "portal.use_workbench"]})
    assert response.status_code == 302
    assert Role.objects.get(code="reviewer").permissions == [
        "core.view_person",
        "portal.use_workbench",
    ]
    assert last_action() == "identity.set_role_permissions"


def test_account_management_and_the_audit_log_are_never_held_together(cast: Cast) -> None:
    # 三员分立: no role, and nobody through several posts, both manages accounts
    # and reads or verifies the audit log.
    browser = admin_browser(city_administrator(cast))
    before = LedgerEntry.objects.count()
    administrator = Role.objects.get(code="administrator")
    wanted = [*administrator.permissions, "ledger.view_entries"]
    url = reverse("admin:identity_role_change", args=[administrator.pk])
    refused = browser.post(url, {"permissions": wanted})
    assert refused.status_code == 200
    assert "三员分立" in refused.content.decode()
    assert "ledger.view_entries" not in Role.objects.get(code="administrator").permissions
    # The auditor may not be given an administrator's post either ...
    post = browser.post(
        reverse("admin:identity_staffpost_add"),
        {
            "user": cast.auditor.pk,
            "department": cast.county_bureau.pk,
            "role": administrator.pk,
            "scope": "department",
            "scope_region": "",
        },
    )
    assert post.status_code == 200, post.status_code
    assert "三员分立" in str(post.context["adminform"].form.errors)
    # ... nor the clerk's role, which the auditor does not hold, account management
    # while a clerk is also an auditor.
    do_assign_post(cast.lisi, cast.county_bureau, "auditor", actor=TEST_ACTOR)
    clerk = Role.objects.get(code="clerk")
    refused = browser.post(
        reverse("admin:identity_role_change", args=[clerk.pk]),
        {"permissions": [*clerk.permissions, "identity.manage_users"]},
    )
    assert refused.status_code == 200 and "三员分立" in refused.content.decode()
    assert "identity.manage_users" not in Role.objects.get(code="clerk").permissions
    assert LedgerEntry.objects.count() == before + 1  # only the auditor's post of 李四


def test_assigning_a_post_in_the_admin_goes_through_the_action(cast: Cast) -> None:
    browser = admin_browser(cast.admin)
    response = browser.post(
        reverse("admin:identity_staffpost_add"),
        {
            "user": cast.lisi.pk,
            "department": cast.county_bureau.pk,
            "role": Role.objects.get(code="reviewer").pk,
            "scope": "department",
            "scope_region": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert StaffPost.objects.filter(user=cast.lisi, role__code="reviewer").exists()
    assert last_action() == "identity.assign_post"


@pytest.mark.parametrize(
    ("role_code", "scope", "message"),
    [
        ("clerk", "department", "本部门范围的岗位不能指定行政区域"),
        ("leader", "region", "岗位的数据范围不能超出所在部门的行政区域"),
    ],
)
def test_the_post_form_shows_the_action_refusal(
    cast: Cast, role_code: str, scope: str, message: str
) -> None:
    browser = admin_browser(cast.admin)
    before = LedgerEntry.objects.count()
    response = browser.post(
        reverse("admin:identity_staffpost_add"),
        {
            "user": cast.lisi.pk,
            "department": cast.county_bureau.pk,
            "role": Role.objects.get(code=role_code).pk,
            "scope": scope,
            "scope_region": cast.tree.city.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert message in response.content.decode()
    assert LedgerEntry.objects.count() == before


def test_ending_a_post_from_the_list_goes_through_the_action(cast: Cast) -> None:
    post = do_assign_post(cast.lisi, cast.county_bureau, "reviewer", actor=TEST_ACTOR)
    response = admin_browser(cast.admin).post(
        reverse("admin:identity_staffpost_changelist"),
        {"action": "end_posts", "_selected_action": [post.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "已结束1个岗位。" in response.content.decode()
    assert not StaffPost.objects.get(pk=post.pk).is_active
    assert last_action() == "identity.end_post"


def test_a_post_someone_else_ended_meanwhile_is_not_ended_twice_from_the_list(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = do_assign_post(cast.lisi, cast.county_bureau, "reviewer", actor=TEST_ACTOR)
    real_lock = identity_actions._lock_post

    def ended_just_before(locked: StaffPost) -> StaffPost:
        # Another officer's request commits between this one reading the list and locking the row.
        StaffPost.objects.filter(pk=locked.pk).update(is_active=False)
        return real_lock(locked)

    monkeypatch.setattr(identity_actions, "_lock_post", ended_just_before)
    before = LedgerEntry.objects.count()
    response = admin_browser(cast.admin).post(
        reverse("admin:identity_staffpost_changelist"),
        {"action": "end_posts", "_selected_action": [post.pk]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "1个岗位已由他人结束，本次未重复结束。" in page
    assert "已结束0个岗位。" in page
    assert LedgerEntry.objects.count() == before


def test_revoking_from_the_client_list_goes_through_the_action(cast: Cast) -> None:
    browser = admin_browser(cast.admin)
    response = browser.post(
        reverse("admin:identity_systemclient_changelist"),
        {"action": "revoke_clients", "_selected_action": [cast.client.pk]},
    )
    assert response.status_code == 302
    assert SystemClient.objects.get(pk=cast.client.pk).revoked_at is not None
    assert last_action() == "identity.revoke_client"


def test_the_client_list_holds_only_the_clients_in_scope(cast: Cast) -> None:
    page = admin_browser(cast.leader).get(reverse("admin:identity_systemclient_changelist"))
    # The leader neither manages clients nor may open the admin site.
    assert page.status_code == 302


def _deactivation_form() -> dict[str, str]:
    return {
        "is_active": "",
        "posts-TOTAL_FORMS": "1",
        "posts-INITIAL_FORMS": "1",
        "posts-MIN_NUM_FORMS": "0",
        "posts-MAX_NUM_FORMS": "1000",
        "enterprise_memberships-TOTAL_FORMS": "0",
        "enterprise_memberships-INITIAL_FORMS": "0",
        "enterprise_memberships-MIN_NUM_FORMS": "0",
        "enterprise_memberships-MAX_NUM_FORMS": "1000",
    }


def test_an_administrator_of_one_office_cannot_deactivate_staff_it_only_views(
    cast: Cast,
) -> None:
    # 赵六 sees the whole city's staff as its leader, but administers accounts
    # of the city office only: 李四 of the county bureau is not his to switch off.
    do_assign_post(cast.leader, cast.city_office, "administrator", actor=TEST_ACTOR)
    browser = admin_browser(User.objects.get(pk=cast.leader.pk))
    url = reverse("admin:identity_user_change", args=[cast.lisi.pk])
    assert browser.get(url).status_code == 200
    response = browser.post(url, _deactivation_form())
    assert response.status_code == 403
    assert User.objects.get(pk=cast.lisi.pk).is_active
    # His own office's staff he may deactivate.
    colleague = do_create_staff(
        "wujiu", PASSWORD, "吴九", cast.city_office, ["clerk"], actor=TEST_ACTOR
    )
    response = browser.post(
        reverse("admin:identity_user_change", args=[colleague.pk]), _deactivation_form()
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=colleague.pk).is_active


def test_the_admin_site_login_form_cannot_bypass_the_throttle(cast: Cast, settings: object) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3  # type: ignore[attr-defined]
    browser = Client()
    login_url = reverse("admin:login")
    for _attempt in range(5):
        browser.post(login_url, {"username": "zhouba", "password": "wrong-password-123"})
    browser.post(login_url, {"username": "zhouba", "password": PASSWORD, "next": "/admin/"})
    assert "_auth_user_id" not in browser.session
    # The admin site sends people to the portal's login, which throttles and records.
    response = browser.get(login_url, {"next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next=/admin/"
    response = browser.post(
        reverse("portal:login"), {"username": "zhouba", "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert last_action() == "identity.log_in"
    assert browser.get("/admin/").status_code == 200


def test_a_logged_in_user_without_the_admin_site_is_refused_not_sent_round(cast: Cast) -> None:
    response = admin_browser(cast.lisi).get(reverse("admin:login"), {"next": "/admin/"})
    assert response.status_code == 403
    response = admin_browser(cast.admin).get(reverse("admin:login"), {"next": "/admin/"})
    assert response["Location"] == reverse("admin:index")


def test_logging_out_of_the_admin_site_is_recorded(cast: Cast) -> None:
    browser = admin_browser(cast.admin)
    response = browser.post(reverse("admin:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in browser.session
    assert last_action() == "identity.log_out"
