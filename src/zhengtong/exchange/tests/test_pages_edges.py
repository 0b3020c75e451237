"""The exchange's pages at their edges: odd addresses, odd reasons, and who acts for whom."""

import pytest

from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessApplication, ApplicationState, Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    BASIS,
    ENTERPRISES,
    PURPOSE,
    Sharing,
    apply_for_phone,
    logged_in,
    make_sharing,
)
from zhengtong.identity.actors import actor_of

ENTERPRISE_SLUG = ENTERPRISES.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


# --- 我的数据使用记录 ----------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "?subject=0&before=%C2%B2",  # "²" is a digit to str.isdigit, not to int()
        "?subject=%C2%B2&before=5",
        "?subject=0&before=" + "9" * 5000,  # more digits than int() takes
    ],
)
def test_an_odd_paging_address_lists_the_newest_uses_instead_of_failing(
    sharing: Sharing, query: str
) -> None:
    citizen = logged_in(sharing.citizen)
    citizen.raise_request_exception = False
    page = citizen.get("/exchange/my-data/" + query)
    assert page.status_code == 200
    assert "更早的记录" not in page.content.decode().split("</h2>")[1]


# --- Reasons ------------------------------------------------------------------------


def test_a_refusal_reason_over_500_characters_is_refused_with_a_message_not_cut(
    sharing: Sharing,
) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    page = provider.post(
        f"/exchange/applications/{application.pk}/refuse/", {"reason": "理" * 501}, follow=True
    ).content.decode()
    application.refresh_from_db()
    assert application.state == ApplicationState.PENDING
    assert "500" in page and "已拒绝该申请" not in page


def test_a_reason_with_control_characters_is_refused_with_a_message(sharing: Sharing) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    page = provider.post(
        f"/exchange/applications/{application.pk}/refuse/", {"reason": "\x01\x02"}, follow=True
    ).content.decode()
    application.refresh_from_db()
    assert application.state == ApplicationState.PENDING
    assert "U+0001" in page

    granted = provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name"], "rate_per_minute": 30, "reason": "同意\x07"},
        follow=True,
    ).content.decode()
    assert "U+0007" in granted and not Grant.objects.exists()

    grant = actions.do_grant_application(application, actor=actor_of(sharing.officer))
    for reason in ("审批\x1b已办结", "撤" * 501):
        revoked = provider.post(
            f"/exchange/grants/{grant.pk}/revoke/", {"reason": reason}, follow=True
        )
        grant.refresh_from_db()
        assert revoked.status_code == 200 and grant.revoked_at is None
        assert "授权已撤销" not in revoked.content.decode()


def test_an_application_whose_purpose_holds_control_characters_is_not_filed(
    sharing: Sharing,
) -> None:
    page = logged_in(sharing.county_officer).post(
        f"/exchange/resource/{ENTERPRISE_SLUG}/apply/",
        {
            "client": sharing.reader.key_id,
            "item_codes": ["name"],
            "purpose": PURPOSE + "\x08",
            "legal_basis": BASIS,
            "duration_days": 30,
            "expected_per_day": 5,
        },
    )
    assert page.status_code == 200 and "U+0008" in page.content.decode()
    assert not AccessApplication.objects.exists()


# --- Who acts for whom --------------------------------------------------------------


def test_the_data_bureau_oversees_but_does_not_answer_another_departments_application(
    sharing: Sharing,
) -> None:
    # 孙八's post covers the whole city; the application is to the market bureau.
    application = apply_for_phone(sharing)
    bureau = logged_in(sharing.bureau)
    detail = bureau.get(f"/exchange/applications/{application.pk}/")
    assert detail.status_code == 200
    assert f"/exchange/applications/{application.pk}/grant/" not in detail.content.decode()
    for step in ("grant", "refuse", "withdraw"):
        answered = bureau.post(
            f"/exchange/applications/{application.pk}/{step}/",
            {"item_codes": ["name"], "rate_per_minute": 30, "reason": "数据局代为答复"},
        )
        assert answered.status_code == 403, step
    api = bureau.post(
        f"/api/exchange/applications/{application.pk}/grant",
        {"fields": ["name"], "rate_per_minute": 30},
        "application/json",
    )
    assert api.status_code == 403
    application.refresh_from_db()
    assert application.state == ApplicationState.PENDING and not Grant.objects.exists()

    grant = actions.do_grant_application(application, actor=actor_of(sharing.officer))
    after = bureau.get(f"/exchange/applications/{application.pk}/").content.decode()
    assert f"/exchange/grants/{grant.pk}/revoke/" not in after
    revoked = bureau.post(f"/exchange/grants/{grant.pk}/revoke/", {"reason": "数据局代为撤销"})
    assert revoked.status_code == 403
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_the_data_bureau_cannot_apply_for_another_departments_system(sharing: Sharing) -> None:
    bureau = logged_in(sharing.bureau)
    form = bureau.get(f"/exchange/resource/{ENTERPRISE_SLUG}/apply/")
    assert sharing.reader.name not in form.content.decode()
    sent = bureau.post(
        f"/exchange/resource/{ENTERPRISE_SLUG}/apply/",
        {
            "client": sharing.reader.key_id,
            "item_codes": ["name"],
            "purpose": PURPOSE,
            "legal_basis": BASIS,
            "duration_days": 30,
            "expected_per_day": 5,
        },
    )
    assert sent.status_code != 302
    assert not AccessApplication.objects.exists()
