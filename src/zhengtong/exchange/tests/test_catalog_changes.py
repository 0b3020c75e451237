"""A change (目录变更) of a published resource reaches the exchange as soon as the
data bureau applies it, and not before: the exchange reads the catalog at
request time, and its per-process copy of a resource's items goes with the
resource's change."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.tests.cast import REVIEW_DATE, resource_input
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.exchange import actions
from zhengtong.exchange.models import Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, apply_for_phone, logged_in, make_sharing
from zhengtong.identity.actors import actor_of

SLUG = ENTERPRISES.replace("/", "-")


def test_an_item_refused_by_an_applied_change_no_longer_leaves(cast: ExchangeCast) -> None:
    sharing = make_sharing(cast)
    http = sharing.api(sharing.reader_token)

    def look_up() -> tuple[int, str]:
        answer = http.post(
            f"/api/exchange/shared/{SLUG}/look-up",
            {"key": sharing.uscc, "purpose": "核对企业名称", "fields": ["name"]},
            "application/json",
        )
        return answer.status_code, answer.json().get("code", "")

    assert look_up() == (200, "")
    officer = actor_of(sharing.officer)
    change = catalog.do_open_revision(sharing.enterprises, actor=officer)
    data = resource_input(ENTERPRISES)
    items = [
        replace(
            item,
            share_attribute="none",
            legal_basis="《企业信息公示暂行条例》第十条",
            negative_scope="不向登记机关以外的部门提供",
            review_date=REVIEW_DATE,
        )
        if item.code == "name"
        else item
        for item in data.items
    ]
    change = catalog.do_update_revision(change, replace(data, items=items), actor=officer)
    change = catalog.do_submit_revision(change, actor=officer)
    # Submitted but not applied: the published entry still answers.
    assert look_up() == (200, "")
    catalog.do_apply_revision(change, actor=TEST_ACTOR)
    assert look_up() == (403, "negative_list")


def test_a_change_may_not_drop_the_item_a_dataset_finds_records_by(cast: ExchangeCast) -> None:
    sharing = make_sharing(cast)
    officer = logged_in(sharing.officer)
    url = f"/api/catalog/resources/{SLUG}/revision"
    assert officer.post(url).status_code == 201
    content = officer.get(url).json()["content"]
    payload = {**content, "department_code": cast.catalog.market.code}

    without_key = {**payload, "items": [i for i in content["items"] if i["code"] != "uscc"]}
    refused = officer.put(url, without_key, content_type="application/json")
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "item_in_use"
    assert list(refused.json()["detail"]["fields"]) == ["items.uscc"]

    # Another item may go.
    without_licence = {**payload, "items": [i for i in content["items"] if i["code"] != "licence"]}
    assert officer.put(url, without_licence, content_type="application/json").status_code == 200


def _without(officer: Client, url: str, department: str, code: str) -> Any:
    content = officer.get(url).json()["content"]
    payload = {
        **content,
        "department_code": department,
        "items": [i for i in content["items"] if i["code"] != code],
    }
    return officer.put(url, payload, content_type="application/json")


def test_a_change_may_not_drop_an_item_a_grant_in_force_names(cast: ExchangeCast) -> None:
    sharing = make_sharing(cast)
    grant = actions.do_grant_application(apply_for_phone(sharing), actor=actor_of(sharing.officer))
    officer = logged_in(sharing.officer)
    url = f"/api/catalog/resources/{SLUG}/revision"
    assert officer.post(url).status_code == 201

    refused = _without(officer, url, cast.catalog.market.code, "phone")
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "item_in_use"
    reason = refused.json()["detail"]["fields"]["items.phone"]
    assert sharing.reader.name in reason and cast.catalog.county.name in reason

    # Once the grant is revoked, the item may go, and the grant no longer names it in force.
    actions.do_revoke_grant(grant, actor=actor_of(sharing.officer), reason="审批事项已办结")
    assert _without(officer, url, cast.catalog.market.code, "phone").status_code == 200


def test_a_grant_given_after_a_change_was_saved_stops_it_being_applied(
    cast: ExchangeCast,
) -> None:
    sharing = make_sharing(cast)
    application = apply_for_phone(sharing)
    officer, bureau = logged_in(sharing.officer), logged_in(sharing.bureau)
    url = f"/api/catalog/resources/{SLUG}/revision"
    officer.post(url)
    assert _without(officer, url, cast.catalog.market.code, "phone").status_code == 200
    assert officer.post(f"{url}/submit").status_code == 200
    actions.do_grant_application(application, actor=actor_of(sharing.officer))
    refused = bureau.post(f"{url}/apply")
    assert refused.status_code == 409 and refused.json()["code"] == "item_in_use"
    assert "phone" in [i.code for i in sharing.enterprises.items.all()]


def test_a_grant_that_ran_out_does_not_hold_an_item(cast: ExchangeCast) -> None:
    sharing = make_sharing(cast)
    grant = actions.do_grant_application(apply_for_phone(sharing), actor=actor_of(sharing.officer))
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(days=1))
    officer = logged_in(sharing.officer)
    url = f"/api/catalog/resources/{SLUG}/revision"
    officer.post(url)
    assert _without(officer, url, cast.catalog.market.code, "phone").status_code == 200


def test_a_pending_application_for_a_dropped_item_is_granted_only_for_the_items_left(
    cast: ExchangeCast,
) -> None:
    sharing = make_sharing(cast)
    application = apply_for_phone(sharing)
    officer, bureau = logged_in(sharing.officer), logged_in(sharing.bureau)
    url = f"/api/catalog/resources/{SLUG}/revision"
    officer.post(url)
    assert _without(officer, url, cast.catalog.market.code, "phone").status_code == 200
    officer.post(f"{url}/submit")
    assert bureau.post(f"{url}/apply").status_code == 200

    grant_url = f"/api/exchange/applications/{application.pk}/grant"
    in_full = officer.post(grant_url, {}, content_type="application/json")
    assert in_full.status_code == 400 and in_full.json()["code"] == "unknown_item"
    assert in_full.json()["detail"]["items"] == ["phone"]
    # The page offers only the items the entry still has.
    page = officer.get(f"/exchange/applications/{application.pk}/")
    assert page.status_code == 200
    offered = [code for code, _name in page.context["grant_form"].fields["item_codes"].choices]
    assert offered == ["name"]
    assert "已从目录中删去" in page.content.decode()
    granted = officer.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name"], "rate_per_minute": "60", "reason": ""},
    )
    assert granted.status_code == 302
    assert Grant.objects.get(application=application).fields == ["name"]
