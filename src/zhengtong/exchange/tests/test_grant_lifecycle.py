"""Where an application and its grant can end: a grant that ran out, a system that was stopped."""

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions as catalog
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessApplication, ApplicationState, Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    ENTERPRISES,
    Sharing,
    apply_for_phone,
    grant_address,
    logged_in,
    make_sharing,
)
from zhengtong.identity.actions import do_revoke_client
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

SLUG = ENTERPRISES.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _post(http: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return http.post(f"/api/exchange{path}", body or {}, "application/json")


def _look_up_phone(sharing: Sharing) -> Any:
    return sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": sharing.uscc, "purpose": "联系企业", "fields": ["phone"]},
        "application/json",
    )


def _expired_grant(sharing: Sharing) -> Grant:
    application = apply_for_phone(sharing)
    grant = actions.do_grant_application(application, actor=actor_of(sharing.officer))
    now = timezone.now()
    Grant.objects.filter(pk=grant.pk).update(
        starts_at=now - dt.timedelta(days=400), expires_at=now - dt.timedelta(days=35)
    )
    return Grant.objects.get(pk=grant.pk)


def test_an_expired_grant_reads_as_expired_on_its_application_and_offers_no_revocation(
    sharing: Sharing,
) -> None:
    grant = _expired_grant(sharing)
    page = logged_in(sharing.officer).get(f"/exchange/applications/{grant.application_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "已到期" in html
    assert f"/exchange/grants/{grant.pk}/revoke/" not in html
    # A grant in force still offers it.
    other = grant_address(sharing)
    live = logged_in(sharing.officer).get(f"/exchange/applications/{other.application_id}/")
    assert f"/exchange/grants/{other.pk}/revoke/" in live.content.decode()


def test_an_expired_grant_cannot_be_revoked_so_its_calls_stay_refused_as_expired(
    sharing: Sharing,
) -> None:
    grant = _expired_grant(sharing)
    assert _look_up_phone(sharing).json()["code"] == "grant_expired"
    before = LedgerEntry.objects.filter(action="exchange.revoke_grant").count()
    provider = logged_in(sharing.officer)
    refused = _post(provider, f"/grants/{grant.pk}/revoke", {"reason": "审批事项已办结"})
    assert refused.status_code == 409 and refused.json()["code"] == "grant_expired"
    # Nor through the page.
    provider.post(f"/exchange/grants/{grant.pk}/revoke/", {"reason": "审批事项已办结"})
    grant.refresh_from_db()
    assert grant.revoked_at is None and grant.revoke_reason == ""
    assert LedgerEntry.objects.filter(action="exchange.revoke_grant").count() == before
    assert _look_up_phone(sharing).json()["code"] == "grant_expired"


def test_an_application_of_a_stopped_system_cannot_be_granted(sharing: Sharing) -> None:
    application = apply_for_phone(sharing)
    do_revoke_client(sharing.reader, actor=TEST_ACTOR)
    provider = logged_in(sharing.officer)
    refused = _post(provider, f"/applications/{application.pk}/grant")
    assert refused.status_code == 409 and refused.json()["code"] == "client_revoked"
    provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name", "phone"], "rate_per_minute": 60, "reason": ""},
    )
    assert not Grant.objects.exists()
    assert not LedgerEntry.objects.filter(action="exchange.grant_access").exists()
    # The provider answers it by refusing instead.
    assert AccessApplication.objects.get(pk=application.pk).state == ApplicationState.PENDING
    answered = _post(provider, f"/applications/{application.pk}/refuse", {"reason": "该系统已停用"})
    assert answered.status_code == 200 and answered.json()["state"] == "refused"


def test_a_grant_whose_system_was_stopped_reads_as_stopped_and_not_in_force(
    sharing: Sharing,
) -> None:
    grant = actions.do_grant_application(apply_for_phone(sharing), actor=actor_of(sharing.officer))
    do_revoke_client(sharing.reader, actor=TEST_ACTOR)
    provider = logged_in(sharing.officer)
    page = provider.get(f"/exchange/applications/{grant.application_id}/").content.decode()
    assert "系统已停用" in page
    assert '<span class="tag tag-ok">有效</span>' not in page
    # Nothing is left to revoke: the system can make no call under it.
    assert f"/exchange/grants/{grant.pk}/revoke/" not in page
    # On both 本部门 lists, the provider's and the holder's.
    listed = provider.get("/exchange/requests/").content.decode()
    assert "系统已停用" in listed and f"/exchange/grants/{grant.pk}/revoke/" not in listed
    assert '<span class="tag tag-ok">有效</span>' not in listed
    held = logged_in(sharing.county_officer).get("/exchange/requests/").content.decode()
    assert "系统已停用" in held
    for box, http in (("given", provider), ("held", logged_in(sharing.county_officer))):
        (listed_grant,) = http.get(f"/api/exchange/grants?box={box}").json()
        assert listed_grant["active"] is False
        assert listed_grant["status"] == "client_revoked"
    one = provider.get(f"/api/exchange/grants/{grant.pk}").json()
    assert one["active"] is False and one["status"] == "client_revoked"


def test_a_grant_that_ran_out_before_its_system_was_stopped_reads_as_expired(
    sharing: Sharing,
) -> None:
    grant = _expired_grant(sharing)
    do_revoke_client(sharing.reader, actor=TEST_ACTOR)
    provider = logged_in(sharing.officer)
    page = provider.get(f"/exchange/applications/{grant.application_id}/").content.decode()
    assert "已到期" in page and "系统已停用" not in page
    assert provider.get(f"/api/exchange/grants/{grant.pk}").json()["status"] == "expired"


def test_a_grant_in_force_reads_as_active(sharing: Sharing) -> None:
    grant = actions.do_grant_application(apply_for_phone(sharing), actor=actor_of(sharing.officer))
    provider = logged_in(sharing.officer)
    one = provider.get(f"/api/exchange/grants/{grant.pk}").json()
    assert one["active"] is True and one["status"] == "active"
    page = provider.get(f"/exchange/applications/{grant.application_id}/").content.decode()
    assert '<span class="tag tag-ok">有效</span>' in page and "系统已停用" not in page


def test_an_application_for_a_resource_retired_since_cannot_be_granted(sharing: Sharing) -> None:
    application = apply_for_phone(sharing)
    catalog.do_retire_resource(sharing.enterprises, "该目录已由新版目录替代。", actor=TEST_ACTOR)
    provider = logged_in(sharing.officer)
    refused = _post(provider, f"/applications/{application.pk}/grant")
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_published"
    assert refused.json()["message"] == "该目录资源已下架，不能同意申请。"
    # The page says the same, not that the items are on the negative list.
    page = provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name", "phone"], "rate_per_minute": 60, "reason": ""},
        follow=True,
    ).content.decode()
    assert "该目录资源已下架，不能同意申请。" in page
    assert "负面清单" not in page
    assert not Grant.objects.exists()
    assert not LedgerEntry.objects.filter(action="exchange.grant_access").exists()
    assert AccessApplication.objects.get(pk=application.pk).state == ApplicationState.PENDING


def test_a_grant_whose_system_was_stopped_cannot_be_revoked_after_the_fact(
    sharing: Sharing,
) -> None:
    grant = actions.do_grant_application(apply_for_phone(sharing), actor=actor_of(sharing.officer))
    do_revoke_client(sharing.reader, actor=TEST_ACTOR)
    provider = logged_in(sharing.officer)
    refused = _post(provider, f"/grants/{grant.pk}/revoke", {"reason": "审批事项已办结"})
    assert refused.status_code == 409 and refused.json()["code"] == "client_revoked"
    grant.refresh_from_db()
    assert grant.revoked_at is None and grant.revoke_reason == ""
    assert not LedgerEntry.objects.filter(action="exchange.revoke_grant").exists()
    assert provider.get(f"/api/exchange/grants/{grant.pk}").json()["status"] == "client_revoked"


def test_a_grant_on_a_resource_retired_since_reads_as_ended_and_offers_no_revocation(
    sharing: Sharing,
) -> None:
    grant = actions.do_grant_application(apply_for_phone(sharing), actor=actor_of(sharing.officer))
    catalog.do_retire_resource(sharing.enterprises, "该目录已由新版目录替代。", actor=TEST_ACTOR)
    # Every call under it is refused now, so nothing may call it 有效.
    assert _look_up_phone(sharing).json()["code"] == "resource_not_found"
    provider = logged_in(sharing.officer)
    page = provider.get(f"/exchange/applications/{grant.application_id}/").content.decode()
    assert "资源已下架" in page and '<span class="tag tag-ok">有效</span>' not in page
    assert f"/exchange/grants/{grant.pk}/revoke/" not in page
    listed = provider.get("/exchange/requests/").content.decode()
    assert "资源已下架" in listed and '<span class="tag tag-ok">有效</span>' not in listed
    one = provider.get(f"/api/exchange/grants/{grant.pk}").json()
    assert one["active"] is False and one["status"] == "resource_retired"
    refused = _post(provider, f"/grants/{grant.pk}/revoke", {"reason": "审批事项已办结"})
    assert refused.status_code == 409 and refused.json()["code"] == "not_published"
    assert not LedgerEntry.objects.filter(action="exchange.revoke_grant").exists()


def _read_all(sharing: Sharing, operation: str = "look-up") -> Any:
    body: dict[str, Any] = {"purpose": "联系企业"}
    body |= {"keys": [sharing.uscc]} if operation == "batch-look-up" else {"key": sharing.uscc}
    return sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{SLUG}/{operation}", body, "application/json"
    )


def test_a_read_of_every_item_names_only_the_never_shared_one_while_the_grant_is_in_force(
    sharing: Sharing,
) -> None:
    application = apply_for_phone(sharing)
    actions.do_grant_application(application, actor=actor_of(sharing.officer))
    answer = _read_all(sharing)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["values"]["phone"] == "138****5678"
    assert answer.json()["withheld"] == [{"item": "legal_rep_id", "code": "negative_list"}]


@pytest.mark.parametrize("operation", ["look-up", "batch-look-up"])
@pytest.mark.parametrize("lapse", ["revoked", "expired"])
def test_a_read_of_every_item_after_the_grant_lapsed_says_the_granted_item_was_withheld(
    sharing: Sharing, operation: str, lapse: str
) -> None:
    # The system reads on, without fields, after its grant ended: the
    # 无条件共享 items alone must not pass for the whole record.
    if lapse == "revoked":
        application = apply_for_phone(sharing)
        grant = actions.do_grant_application(application, actor=actor_of(sharing.officer))
        actions.do_revoke_grant(grant, actor=actor_of(sharing.officer), reason="用途已结束")
    else:
        _expired_grant(sharing)
    entries = LedgerEntry.objects.count()
    answer = _read_all(sharing, operation)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    record = body["records"][0] if operation == "batch-look-up" else body
    assert "phone" not in record["values"] and record["values"]["name"]
    assert body["withheld"] == [
        {"item": "legal_rep_id", "code": "negative_list"},
        {"item": "phone", "code": f"grant_{lapse}"},
    ]
    assert LedgerEntry.objects.count() == entries + 1


def test_a_read_of_every_item_without_any_grant_says_the_item_is_not_granted(
    sharing: Sharing,
) -> None:
    answer = _read_all(sharing)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["withheld"] == [
        {"item": "legal_rep_id", "code": "negative_list"},
        {"item": "phone", "code": "not_granted"},
    ]


def test_the_change_feed_after_the_grant_was_revoked_says_the_granted_item_was_withheld(
    sharing: Sharing,
) -> None:
    application = apply_for_phone(sharing)
    grant = actions.do_grant_application(application, actor=actor_of(sharing.officer))
    actions.do_revoke_grant(grant, actor=actor_of(sharing.officer), reason="用途已结束")
    entries = LedgerEntry.objects.count()
    feed = sharing.api(sharing.reader_token).get(
        f"/api/exchange/shared/{SLUG}/changes", {"purpose": "同步企业信息"}
    )
    assert feed.status_code == 200, feed.json()
    assert "phone" not in feed.json()["changes"][0]["values"]
    assert feed.json()["withheld"] == [
        {"item": "legal_rep_id", "code": "negative_list"},
        {"item": "phone", "code": "grant_revoked"},
    ]
    assert LedgerEntry.objects.count() == entries + 1
