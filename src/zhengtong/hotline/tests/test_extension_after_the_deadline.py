"""A department cannot ask to extend a reply deadline that has already passed.

An approved extension counts its days from the deadline, so a request made
after it passed left the case overdue whatever the centre decided; the
request was taken all the same. It is now refused, ``deadline_passed``, and
the case page no longer offers the form but says why.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.hotline.models import Case, ExtensionRequest
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.hotline.tests.test_sign_for_twice import assigned_pollution_case
from zhengtong.ledger.models import LedgerEntry

TOO_LATE = "答复期限已过，不能再申请延期，请尽快答复。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def overdue_case(cast: HotlineCast) -> Case:
    """A case 陈环's branch signed for, whose reply deadline passed an hour ago."""
    case = assigned_pollution_case(cast)
    ok(post(as_user(cast.chenhuan), f"/cases/{case.number}/sign"))
    Case.objects.filter(pk=case.pk).update(reply_due=timezone.now() - dt.timedelta(hours=1))
    return case


def test_the_api_refuses_an_extension_after_the_deadline_passed(cast: HotlineCast) -> None:
    case = overdue_case(cast)
    refused = ok(
        post(
            as_user(cast.chenhuan),
            f"/cases/{case.number}/extensions",
            {"days": 3, "reason": "需要会同街道现场核查"},
        ),
        409,
    )
    assert refused["code"] == "deadline_passed"
    assert refused["message"] == TOO_LATE
    assert not ExtensionRequest.objects.filter(case=case).exists()
    assert not LedgerEntry.objects.filter(action="hotline.request_extension").exists()


def test_the_case_page_says_why_it_offers_no_extension_once_overdue(cast: HotlineCast) -> None:
    case = overdue_case(cast)
    handler = as_user(cast.chenhuan)
    page = handler.get(f"/hotline/cases/{case.number}/").content.decode()
    assert 'name="extension-days"' not in page
    assert TOO_LATE in page
    # A form opened before the deadline passed and sent after it is refused
    # with the reason, the text typed kept to copy.
    sent = handler.post(
        f"/hotline/cases/{case.number}/",
        {"action": "extension", "extension-days": "3", "extension-reason": "需要会同街道现场核查"},
    )
    assert sent.status_code == 400
    answer = sent.content.decode()
    assert TOO_LATE in answer
    assert "需要会同街道现场核查" in answer
    assert not ExtensionRequest.objects.filter(case=case).exists()


def test_an_answered_case_is_told_which_cases_may_ask_for_more_time(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{case.number}/sign"))
    ok(post(handler, f"/cases/{case.number}/reply", {"reply": "已责令该化工厂停产整改。"}))
    refused = ok(
        post(handler, f"/cases/{case.number}/extensions", {"days": 3, "reason": "需要复查"}), 409
    )
    # A case waiting to be signed for may ask too, so the refusal names both.
    assert refused["code"] == "not_handling"
    assert refused["message"] == "只有待签收或办理中的工单可以申请延期。"
