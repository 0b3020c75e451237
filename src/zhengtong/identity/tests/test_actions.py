import datetime as dt
import json

import pytest

from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.testing import TEST_ACTOR, make_department, make_person
from zhengtong.identity.actions import (
    do_assign_post,
    do_change_password,
    do_create_citizen,
    do_create_enterprise_user,
    do_create_staff,
    do_end_post,
    do_issue_client,
    do_purge_login_failures,
    do_revoke_client,
    do_rotate_client_secret,
    do_set_role_permissions,
    do_set_user_active,
)
from zhengtong.identity.models import (
    Audience,
    EnterpriseMembership,
    LoginFailure,
    Role,
    StaffPost,
    User,
)
from zhengtong.identity.tests.cast import PASSWORD, Cast
from zhengtong.identity.tests.ledger_spy import spy_on_ledger

NEW_PASSWORD = "Another-strong-passphrase-7"


def test_it_creates_a_citizen_tied_to_the_real_name_record(cast: Cast) -> None:
    person = make_person("李雷")
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        user = do_create_citizen("lilei", PASSWORD, person, actor=TEST_ACTOR)
    assert user.audience == Audience.CITIZEN
    assert user.person == person
    # The name in actor labels is masked: the audit log holds no clear names.
    assert user.display_name == "李*"
    assert user.check_password(PASSWORD)
    assert spy.actions() == ["identity.create_citizen"]
    assert spy.new_entries()[0].subject_id == str(user.pk)


def test_it_refuses_a_weak_password_with_the_validators_reasons(cast: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_create_citizen("lilei", "12345", make_person("李雷"), actor=TEST_ACTOR)
    assert refused.value.code == "invalid_password"
    assert refused.value.detail["field"] == "password"
    assert len(refused.value.detail["errors"]) >= 2
    assert not User.objects.filter(username="lilei").exists()


def test_it_refuses_a_username_that_is_taken(cast: Cast) -> None:
    with pytest.raises(Conflict) as refused:
        do_create_citizen("zhangsan", PASSWORD, make_person("张三丰"), actor=TEST_ACTOR)
    assert refused.value.code == "username_taken"


def test_it_refuses_a_username_with_spaces_inside(cast: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_create_citizen("li lei", PASSWORD, make_person("李雷"), actor=TEST_ACTOR)
    assert refused.value.code == "invalid_username"


def test_it_refuses_a_second_account_for_the_same_person(cast: Cast) -> None:
    with pytest.raises(Conflict) as refused:
        do_create_citizen("zhangsan2", PASSWORD, cast.zhangsan_person, actor=TEST_ACTOR)
    assert refused.value.code == "person_has_account"


def test_it_refuses_a_legal_representative_who_is_not_the_registered_one(cast: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_create_enterprise_user(
            "impostor",
            PASSWORD,
            make_person("冒名者"),
            cast.shop,
            "legal_representative",
            actor=TEST_ACTOR,
        )
    assert refused.value.code == "not_legal_representative"
    assert not User.objects.filter(username="impostor").exists()


def test_it_creates_an_agent_with_a_time_limited_authorisation(cast: Cast) -> None:
    until = dt.date.today() + dt.timedelta(days=90)
    person = make_person("韩梅梅")
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        user = do_create_enterprise_user(
            "agent2",
            PASSWORD,
            person,
            cast.shop,
            "agent",
            actor=TEST_ACTOR,
            valid_until=until,
        )
    membership = EnterpriseMembership.objects.get(user=user)
    assert (membership.enterprise, membership.relation, membership.valid_until) == (
        cast.shop,
        "agent",
        until,
    )
    assert user.audience == Audience.ENTERPRISE
    assert spy.actions() == ["identity.create_enterprise_user"]


def test_it_refuses_an_unknown_relation_and_an_expired_authorisation(cast: Cast) -> None:
    person = make_person("韩梅梅")
    with pytest.raises(InvalidInput) as refused:
        do_create_enterprise_user("agent2", PASSWORD, person, cast.shop, "owner", actor=TEST_ACTOR)
    assert refused.value.code == "invalid_relation"
    with pytest.raises(InvalidInput) as refused:
        do_create_enterprise_user(
            "agent2",
            PASSWORD,
            person,
            cast.shop,
            "agent",
            actor=TEST_ACTOR,
            valid_until=dt.date(2000, 1, 1),
        )
    assert refused.value.code == "invalid_valid_until"


def test_it_creates_staff_with_one_post_per_role(cast: Cast) -> None:
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        user = do_create_staff(
            "wuji", PASSWORD, "吴吉", cast.county_bureau, ["clerk", "reviewer"], actor=TEST_ACTOR
        )
    posts = StaffPost.objects.filter(user=user).order_by("role__code")
    assert [(p.department, p.role.code, p.scope) for p in posts] == [
        (cast.county_bureau, "clerk", "department"),
        (cast.county_bureau, "reviewer", "department"),
    ]
    assert user.display_name == "吴吉"
    assert not user.is_staff
    assert spy.actions() == ["identity.create_staff"]


def test_an_administrator_may_open_the_admin_site(cast: Cast) -> None:
    assert cast.admin.is_staff
    assert not cast.lisi.is_staff


@pytest.mark.parametrize(
    ("roles", "code"),
    [([], "no_roles"), (["janitor"], "unknown_role"), (["citizen"], "role_not_for_staff")],
)
def test_it_refuses_staff_without_proper_roles(cast: Cast, roles: list[str], code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_create_staff("wuji", PASSWORD, "吴吉", cast.county_bureau, roles, actor=TEST_ACTOR)
    assert refused.value.code == code
    assert not User.objects.filter(username="wuji").exists()


def test_a_region_post_may_not_reach_above_its_department(cast: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_create_staff(
            "wuji",
            PASSWORD,
            "吴吉",
            cast.county_bureau,
            ["leader"],
            actor=TEST_ACTOR,
            scope="region",
            scope_region=cast.tree.city,
        )
    assert refused.value.code == "scope_outside_department"


def test_a_department_post_takes_no_region(cast: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_create_staff(
            "wuji",
            PASSWORD,
            "吴吉",
            cast.county_bureau,
            ["clerk"],
            actor=TEST_ACTOR,
            scope_region=cast.tree.furong,
        )
    assert refused.value.code == "invalid_scope_region"


def test_a_region_post_defaults_to_the_department_region(cast: Cast) -> None:
    post = cast.leader.posts.get()
    assert post.scope == "region"
    assert post.scope_region == cast.tree.city


def test_it_refuses_a_post_in_an_inactive_department(cast: Cast) -> None:
    closed = make_department("已撤销的局", code="closed", region=cast.tree.furong)
    type(closed).objects.filter(pk=closed.pk).update(is_active=False)
    closed.refresh_from_db()
    with pytest.raises(InvalidInput) as refused:
        do_assign_post(cast.lisi, closed, "clerk", actor=TEST_ACTOR)
    assert refused.value.code == "department_inactive"


def test_it_assigns_ends_and_reassigns_a_post(cast: Cast) -> None:
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        post = do_assign_post(cast.lisi, cast.tianxin_bureau, "reviewer", actor=TEST_ACTOR)
        do_end_post(post, actor=TEST_ACTOR)
        again = do_assign_post(cast.lisi, cast.tianxin_bureau, "reviewer", actor=TEST_ACTOR)
    assert again.pk == post.pk
    assert again.is_active
    assert spy.actions() == ["identity.assign_post", "identity.end_post", "identity.assign_post"]
    with pytest.raises(Conflict):
        do_assign_post(cast.lisi, cast.tianxin_bureau, "reviewer", actor=TEST_ACTOR)


def test_of_two_officers_ending_one_post_only_the_first_ends_it(cast: Cast) -> None:
    post = do_assign_post(cast.lisi, cast.tianxin_bureau, "reviewer", actor=TEST_ACTOR)
    # Both read the post while it was active, as two list pages open at once would.
    first, second = StaffPost.objects.get(pk=post.pk), StaffPost.objects.get(pk=post.pk)
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        do_end_post(first, actor=TEST_ACTOR)
        with pytest.raises(Conflict) as refused:
            do_end_post(second, actor=TEST_ACTOR)
    assert refused.value.code == "post_ended"
    assert str(refused.value.message) == "该岗位已经结束。"
    assert spy.actions() == ["identity.end_post"]
    assert not StaffPost.objects.get(pk=post.pk).is_active


def test_giving_the_administrator_role_opens_the_admin_site(cast: Cast) -> None:
    post = do_assign_post(cast.lisi, cast.county_bureau, "administrator", actor=TEST_ACTOR)
    assert User.objects.get(pk=cast.lisi.pk).is_staff
    do_end_post(post, actor=TEST_ACTOR)
    assert not User.objects.get(pk=cast.lisi.pk).is_staff


def test_it_refuses_a_post_for_a_citizen(cast: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_assign_post(cast.zhangsan, cast.county_bureau, "clerk", actor=TEST_ACTOR)
    assert refused.value.code == "not_staff"


def test_it_replaces_a_role_permissions_with_defined_codes_only(cast: Cast) -> None:
    role = Role.objects.get(code="clerk")
    with pytest.raises(InvalidInput) as refused:
        do_set_role_permissions(role, ["core.view_person", "core.fly"], actor=TEST_ACTOR)
    assert refused.value.detail["unknown"] == ["core.fly"]
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        do_set_role_permissions(
            role, ["core.view_person", "portal.use_workbench"], actor=TEST_ACTOR
        )
    assert Role.objects.get(code="clerk").permissions == [
        "core.view_person",
        "portal.use_workbench",
    ]
    assert spy.actions() == ["identity.set_role_permissions"]
    assert spy.calls[0]["data"] == {"added": [], "removed": ["core.view_enterprise"]}


def test_it_deactivates_and_reactivates_an_account(cast: Cast) -> None:
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        do_set_user_active(cast.lisi, False, actor=TEST_ACTOR)
        with pytest.raises(Conflict):
            do_set_user_active(cast.lisi, False, actor=TEST_ACTOR)
        do_set_user_active(cast.lisi, True, actor=TEST_ACTOR)
    assert spy.actions() == ["identity.deactivate_user", "identity.activate_user"]


def test_it_changes_a_password_without_recording_it(cast: Cast) -> None:
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        do_change_password(cast.zhangsan, NEW_PASSWORD, actor=TEST_ACTOR)
    assert User.objects.get(pk=cast.zhangsan.pk).check_password(NEW_PASSWORD)
    assert spy.actions() == ["identity.change_password"]
    assert NEW_PASSWORD not in json.dumps(spy.calls[0]["data"], ensure_ascii=False)


def test_it_issues_a_client_with_a_strong_secret_kept_only_as_a_hash(cast: Cast) -> None:
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        client, secret = do_issue_client(
            cast.county_bureau, "监管执法系统", ["ledger.read_proofs"], actor=TEST_ACTOR
        )
    assert len(secret) >= 43  # 32 random bytes, URL-safe base64
    assert secret not in client.secret_hash
    assert client.secret_hash.startswith("hmac-sha256$")
    assert client.key_id and "." not in client.key_id
    assert client.scopes == ["ledger.read_proofs"]
    assert spy.actions() == ["identity.issue_client"]
    assert secret not in json.dumps(spy.calls[0]["data"], ensure_ascii=False)
    assert client.secret_hash not in json.dumps(spy.calls[0]["data"], ensure_ascii=False)


def test_two_clients_never_share_a_key_or_a_secret(cast: Cast) -> None:
    one, first = do_issue_client(cast.county_bureau, "系统甲", [], actor=TEST_ACTOR)
    two, second = do_issue_client(cast.county_bureau, "系统乙", [], actor=TEST_ACTOR)
    assert one.key_id != two.key_id
    assert first != second


def test_it_refuses_an_unknown_scope_and_an_empty_name(cast: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_issue_client(cast.county_bureau, "系统", ["everything"], actor=TEST_ACTOR)
    assert refused.value.code == "unknown_scope"
    with pytest.raises(InvalidInput) as refused:
        do_issue_client(cast.county_bureau, "  ", [], actor=TEST_ACTOR)
    assert refused.value.code == "invalid_name"


def test_it_rotates_and_revokes_a_client_with_one_entry_each(cast: Cast) -> None:
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        new_secret = do_rotate_client_secret(cast.client, actor=TEST_ACTOR)
        do_revoke_client(cast.client, actor=TEST_ACTOR)
    assert new_secret != cast.client_secret
    assert spy.actions() == ["identity.rotate_client_secret", "identity.revoke_client"]
    for call in spy.calls:
        assert new_secret not in json.dumps(call["data"], ensure_ascii=False)
    with pytest.raises(Conflict) as refused:
        do_rotate_client_secret(cast.client, actor=TEST_ACTOR)
    assert refused.value.code == "client_revoked"
    with pytest.raises(Conflict):
        do_revoke_client(cast.client, actor=TEST_ACTOR)


def test_it_purges_failures_older_than_the_window(cast: Cast) -> None:
    old = LoginFailure.objects.create(username="x", ip_address="10.0.0.1")
    LoginFailure.objects.filter(pk=old.pk).update(at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    LoginFailure.objects.create(username="y", ip_address="10.0.0.1")
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        assert do_purge_login_failures(actor=TEST_ACTOR) == 1
        assert do_purge_login_failures(actor=TEST_ACTOR) == 0
    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["y"]
    assert spy.actions() == ["identity.purge_login_failures"]
