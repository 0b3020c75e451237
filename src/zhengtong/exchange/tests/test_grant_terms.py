"""A grant's terms as the provider sets them at the answer and changes them afterwards.

The provider may agree to a shorter period than the one applied for, which
makes the answer 部分同意; a grant in force can have its rate limit and its
expiry changed, with a reason, up to the period applied for, and calls under
it follow the new terms from the next one on.
"""

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone

from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessApplication, Grant, GrantTermsChange
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    ENTERPRISES,
    Sharing,
    apply_for_phone,
    grant_address,
    logged_in,
    make_sharing,
)
from zhengtong.exchange.tests.test_grant_lifecycle import _look_up_phone, _post
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

SLUG = ENTERPRISES.replace("/", "-")
CHANGE = "exchange.change_grant_terms"


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _granted(sharing: Sharing, **terms: Any) -> Grant:
    return actions.do_grant_application(
        apply_for_phone(sharing), actor=actor_of(sharing.officer), **terms
    )


def _changes() -> int:
    """Changes recorded: each one a ledger entry and the exchange's own record of it."""
    entries = LedgerEntry.objects.filter(action=CHANGE).count()
    assert GrantTermsChange.objects.count() == entries
    return entries


def _day(moment: dt.datetime) -> str:
    return timezone.localtime(moment).date().isoformat()


# --- A shorter period at the answer -------------------------------------------------------


def test_a_provider_agrees_through_the_api_to_a_shorter_period_which_reads_as_partial(
    sharing: Sharing,
) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    answered = _post(provider, f"/applications/{application.pk}/grant", {"days": 180})
    assert answered.status_code == 200
    grant = Grant.objects.get(pk=answered.json()["id"])
    assert grant.expires_at - grant.starts_at == dt.timedelta(days=180)
    got = provider.get(f"/api/exchange/applications/{application.pk}").json()
    assert got["state"] == "granted" and got["partial"] is True
    assert got["duration_days"] == 365
    held = logged_in(sharing.county_officer).get("/exchange/requests/").content.decode()
    assert "部分同意" in held and "共 180 天" in held


def test_the_full_period_is_agreed_when_no_days_are_given(sharing: Sharing) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    answered = _post(provider, f"/applications/{application.pk}/grant")
    grant = Grant.objects.get(pk=answered.json()["id"])
    assert grant.expires_at - grant.starts_at == dt.timedelta(days=365)
    got = provider.get(f"/api/exchange/applications/{application.pk}").json()
    assert got["partial"] is False


def test_a_provider_agrees_on_the_page_to_a_shorter_period_and_is_told_so(
    sharing: Sharing,
) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    form = provider.get(f"/exchange/applications/{application.pk}/").content.decode()
    assert 'name="days"' in form
    page = provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name", "phone"], "rate_per_minute": 60, "days": 180, "reason": ""},
        follow=True,
    )
    html = page.content.decode()
    assert "已部分同意该申请（同意使用180天，申请365天），授权即时生效。" in html
    grant = Grant.objects.get(application=application)
    assert grant.expires_at - grant.starts_at == dt.timedelta(days=180)
    assert '<span class="eyebrow">数据共享申请 · 部分同意</span>' in html


def test_a_period_longer_than_the_one_applied_for_is_refused(sharing: Sharing) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    refused = _post(provider, f"/applications/{application.pk}/grant", {"days": 366})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_duration"
    assert refused.json()["detail"] == {"max_days": 365}
    # The page says the same and keeps what was typed.
    page = provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name"], "rate_per_minute": 60, "days": 400, "reason": "仅限审批期间"},
    )
    html = page.content.decode()
    assert "同意的使用期限应在1天到所申请的365天之间。" in html
    assert 'value="400"' in html and "仅限审批期间" in html
    assert not Grant.objects.exists()
    assert AccessApplication.objects.get(pk=application.pk).state == "pending"


# --- Changing the terms of a grant in force ------------------------------------------------


def test_the_provider_changes_the_rate_and_the_expiry_through_the_api(sharing: Sharing) -> None:
    grant = _granted(sharing, days=90)
    provider = logged_in(sharing.officer)
    later = grant.starts_at + dt.timedelta(days=365)
    changed = _post(
        provider,
        f"/grants/{grant.pk}/terms",
        {"rate_per_minute": 120, "expires_at": later.isoformat(), "reason": "审批量增加"},
    )
    assert changed.status_code == 200
    body = changed.json()
    assert body["rate_per_minute"] == 120 and body["status"] == "active"
    grant.refresh_from_db()
    assert grant.expires_at == later and grant.rate_per_minute == 120
    # The answer stays as it was given (90 of 365 days): the change is the grant's.
    got = provider.get(f"/api/exchange/applications/{grant.application_id}").json()
    assert got["partial"] is True
    entry = LedgerEntry.objects.get(action=CHANGE)
    assert entry.subject_type == "exchange.Grant" and entry.subject_id == str(grant.pk)
    # A rate alone changes the rate alone.
    again = _post(
        provider, f"/grants/{grant.pk}/terms", {"rate_per_minute": 30, "reason": "系统升级期间"}
    )
    assert again.json()["rate_per_minute"] == 30
    grant.refresh_from_db()
    assert grant.expires_at == later
    assert _changes() == 2


def test_a_full_answer_stays_one_when_the_grant_is_shortened_later(sharing: Sharing) -> None:
    grant = _granted(sharing)
    provider = logged_in(sharing.officer)
    sooner = timezone.now() + dt.timedelta(days=30)
    changed = _post(
        provider,
        f"/grants/{grant.pk}/terms",
        {"expires_at": sooner.isoformat(), "reason": "业务系统将于下月停用"},
    )
    assert changed.status_code == 200, changed.json()
    got = provider.get(f"/api/exchange/applications/{grant.application_id}").json()
    assert got["partial"] is False
    page = provider.get(f"/exchange/applications/{grant.application_id}/").content.decode()
    assert "部分同意" not in page and "已同意" in page
    assert "业务系统将于下月停用" in page


def test_an_expiry_sent_back_as_the_api_wrote_it_is_the_same_instant(sharing: Sharing) -> None:
    grant = _granted(sharing)
    provider = logged_in(sharing.officer)
    shown = provider.get(f"/api/exchange/grants/{grant.pk}").json()["expires_at"]
    same = _post(provider, f"/grants/{grant.pk}/terms", {"expires_at": shown, "reason": "复核"})
    assert same.status_code == 409 and same.json()["code"] == "no_change"
    got = provider.get(f"/api/exchange/applications/{grant.application_id}").json()
    assert got["partial"] is False


def test_each_change_writes_one_ledger_entry_and_none_when_nothing_changes(
    sharing: Sharing,
) -> None:
    grant = _granted(sharing)
    provider = logged_in(sharing.officer)
    same = _post(
        provider,
        f"/grants/{grant.pk}/terms",
        {
            "rate_per_minute": grant.rate_per_minute,
            "expires_at": grant.expires_at.isoformat(),
            "reason": "复核",
        },
    )
    assert same.status_code == 409 and same.json()["code"] == "no_change"
    nothing = _post(provider, f"/grants/{grant.pk}/terms", {"reason": "复核"})
    assert nothing.status_code == 409 and nothing.json()["code"] == "no_change"
    assert _changes() == 0
    _post(provider, f"/grants/{grant.pk}/terms", {"rate_per_minute": 10, "reason": "限流"})
    assert _changes() == 1


def test_a_reason_is_required_and_the_rate_keeps_its_bounds(sharing: Sharing) -> None:
    grant = _granted(sharing)
    provider = logged_in(sharing.officer)
    blank = _post(provider, f"/grants/{grant.pk}/terms", {"rate_per_minute": 10, "reason": " "})
    assert blank.status_code == 400 and blank.json()["code"] == "reason_required"
    zero = _post(provider, f"/grants/{grant.pk}/terms", {"rate_per_minute": 0, "reason": "限流"})
    assert zero.status_code == 400 and zero.json()["code"] == "invalid_rate"
    assert _changes() == 0


def test_an_expiry_beyond_the_period_applied_for_or_already_past_is_refused(
    sharing: Sharing,
) -> None:
    grant = _granted(sharing, days=30)
    provider = logged_in(sharing.officer)
    beyond = grant.starts_at + dt.timedelta(days=365, seconds=1)
    refused = _post(
        provider,
        f"/grants/{grant.pk}/terms",
        {"expires_at": beyond.isoformat(), "reason": "延长使用"},
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "expiry_beyond_period"
    latest = grant.starts_at + dt.timedelta(days=365)
    assert dt.datetime.fromisoformat(refused.json()["detail"]["latest"]) == latest
    past = _post(
        provider,
        f"/grants/{grant.pk}/terms",
        {"expires_at": (timezone.now() - dt.timedelta(minutes=1)).isoformat(), "reason": "提前"},
    )
    assert past.status_code == 400 and past.json()["code"] == "expiry_in_past"
    grant.refresh_from_db()
    assert grant.expires_at - grant.starts_at == dt.timedelta(days=30)
    assert _changes() == 0


def test_a_revoked_or_expired_grant_keeps_its_terms(sharing: Sharing) -> None:
    grant = _granted(sharing)
    provider = logged_in(sharing.officer)
    actions.do_revoke_grant(grant, actor=actor_of(sharing.officer), reason="审批事项已办结")
    refused = _post(provider, f"/grants/{grant.pk}/terms", {"rate_per_minute": 1, "reason": "限流"})
    assert refused.status_code == 409 and refused.json()["code"] == "grant_revoked"
    other = grant_address(sharing)
    now = timezone.now()
    Grant.objects.filter(pk=other.pk).update(
        starts_at=now - dt.timedelta(days=31), expires_at=now - dt.timedelta(days=1)
    )
    expired = _post(provider, f"/grants/{other.pk}/terms", {"rate_per_minute": 1, "reason": "限流"})
    assert expired.status_code == 409 and expired.json()["code"] == "grant_expired"
    assert _changes() == 0
    # The expired grant's page offers no change.
    page = provider.get(f"/exchange/applications/{other.application_id}/").content.decode()
    assert f"/exchange/grants/{other.pk}/terms/" not in page


def test_only_the_provider_changes_a_grant_s_terms(sharing: Sharing) -> None:
    grant = _granted(sharing)
    body = {"rate_per_minute": 1, "reason": "限流"}
    # The holder sees the grant but may not change it; a third department
    # does not see it at all.
    holder = _post(logged_in(sharing.county_officer), f"/grants/{grant.pk}/terms", body)
    assert holder.status_code == 403
    outsider = _post(logged_in(sharing.outsider), f"/grants/{grant.pk}/terms", body)
    assert outsider.status_code == 404 and outsider.json()["code"] == "not_found"
    page = logged_in(sharing.outsider).post(
        f"/exchange/grants/{grant.pk}/terms/",
        {
            "terms-rate_per_minute": 1,
            "terms-expires_on": _day(grant.expires_at),
            "terms-reason": "x",
        },
    )
    assert page.status_code == 404
    held = logged_in(sharing.county_officer).get(f"/exchange/applications/{grant.application_id}/")
    assert f"/exchange/grants/{grant.pk}/terms/" not in held.content.decode()
    grant.refresh_from_db()
    assert grant.rate_per_minute == actions.DEFAULT_RATE_PER_MINUTE
    assert _changes() == 0


# --- Calls follow the new terms at once ----------------------------------------------------


@pytest.mark.usefixtures("one_minute")
def test_a_lowered_rate_limit_holds_from_the_next_call(sharing: Sharing) -> None:
    grant = _granted(sharing)
    assert _look_up_phone(sharing).status_code == 200
    assert _look_up_phone(sharing).status_code == 200
    actions.do_change_grant_terms(
        grant, actor=actor_of(sharing.officer), reason="系统压力过大", rate_per_minute=2
    )
    limited = _look_up_phone(sharing)
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"


def test_a_shortened_expiry_stops_the_reads_once_it_passes(sharing: Sharing) -> None:
    grant = _granted(sharing)
    assert _look_up_phone(sharing).status_code == 200
    soon = timezone.now() + dt.timedelta(seconds=1)
    actions.do_change_grant_terms(
        grant, actor=actor_of(sharing.officer), reason="审批事项即将办结", expires_at=soon
    )
    time.sleep(max(0.0, (soon - timezone.now()).total_seconds()) + 0.05)
    refused = _look_up_phone(sharing)
    assert refused.status_code == 403 and refused.json()["code"] == "grant_expired"


# --- The page ------------------------------------------------------------------------------


def test_the_provider_changes_the_terms_on_the_application_page(sharing: Sharing) -> None:
    grant = _granted(sharing)
    provider = logged_in(sharing.officer)
    path = f"/exchange/applications/{grant.application_id}/"
    form = provider.get(path).content.decode()
    assert f"/exchange/grants/{grant.pk}/terms/" in form and "变更授权条件" in form
    assert f'value="{_day(grant.expires_at)}"' in form
    rate_before = grant.rate_per_minute
    shorter = grant.starts_at + dt.timedelta(days=100)
    posted = {
        "terms-rate_per_minute": 50,
        "terms-expires_on": _day(shorter),
        "terms-reason": "审批系统改造",
    }
    page = provider.post(f"/exchange/grants/{grant.pk}/terms/", posted, follow=True)
    html = page.content.decode()
    assert "授权条件已变更，此后的调用按新条件办理。" in html
    grant.refresh_from_db()
    assert grant.rate_per_minute == 50
    # The chosen day, at the time of day the grant started.
    assert grant.expires_at == shorter
    assert "部分同意" not in html and "共 100 天" in html
    # A form sent twice changes nothing the second time.
    twice = provider.post(f"/exchange/grants/{grant.pk}/terms/", posted, follow=True)
    assert "授权条件与现行条件相同，未作变更。" in twice.content.decode()
    assert _changes() == 1
    # The holder sees the terms in force and when they were changed.
    held = logged_in(sharing.county_officer).get(path).content.decode()
    assert "共 100 天" in held and "授权条件变更" in held
    # What changed and why: the ledger keeps only its hash.
    assert "审批系统改造" in held
    assert f"每分钟调用上限由 {rate_before} 改为 50" in held
    assert f"改为 {timezone.localtime(shorter):%Y-%m-%d %H:%M}" in held
    listed = logged_in(sharing.county_officer).get("/exchange/requests/").content.decode()
    assert "每分钟至多 50 次" in listed


def test_a_refused_change_on_the_page_keeps_what_was_typed(sharing: Sharing) -> None:
    grant = _granted(sharing, days=30)
    provider = logged_in(sharing.officer)
    beyond = grant.starts_at + dt.timedelta(days=400)
    page = provider.post(
        f"/exchange/grants/{grant.pk}/terms/",
        {
            "terms-rate_per_minute": 77,
            "terms-expires_on": _day(beyond),
            "terms-reason": "延长至年底",
        },
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "到期时间不能晚于所申请使用期限的最后一刻" in html
    assert 'value="77"' in html and f'value="{_day(beyond)}"' in html and "延长至年底" in html
    # A missing reason is named at its field.
    blank = provider.post(
        f"/exchange/grants/{grant.pk}/terms/",
        {"terms-rate_per_minute": 77, "terms-expires_on": _day(grant.expires_at)},
    )
    assert blank.status_code == 200 and "这个字段是必填项。" in blank.content.decode()
    grant.refresh_from_db()
    assert grant.rate_per_minute == actions.DEFAULT_RATE_PER_MINUTE
    assert _changes() == 0


def test_a_get_on_the_terms_form_s_url_returns_to_the_application_page(sharing: Sharing) -> None:
    grant = _granted(sharing)
    provider = logged_in(sharing.officer)
    url = f"/exchange/grants/{grant.pk}/terms/"
    refused = provider.post(url, {"terms-rate_per_minute": 0, "terms-reason": ""})
    # Refused, the application page is shown again at the form's URL.
    assert refused.status_code in (200, 400)
    # A reload or the language switch asks the form's URL with GET.
    again = provider.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 302
    assert again["Location"] == f"/exchange/applications/{grant.application_id}/"
    # Who may not change the grant learns nothing more by a GET than by a POST.
    assert logged_in(sharing.outsider).get(url).status_code == 404
    assert _changes() == 0
