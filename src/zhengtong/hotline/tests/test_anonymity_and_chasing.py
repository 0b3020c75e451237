"""An anonymous message names nobody; 催办 reaches only cases still waiting for a reply."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.hotline import actions, selectors
from zhengtong.hotline.models import Case, CaseEvent, Notification
from zhengtong.hotline.tasks import urge_overdue_cases
from zhengtong.hotline.tests.api_calls import POLLUTION, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _received_row(html: str) -> str:
    """The history's 受理登记 line, without its time."""
    rows = re.findall(r"<li><time.*?</time>(.*?)</li>", html, re.S)
    [row] = [r for r in rows if "受理登记" in r]
    return str(row)


def _web_message(http: Client, **fields: str) -> Case:
    before = set(Case.objects.values_list("pk", flat=True))
    response = http.post(
        "/hotline/new/", {"title": "化工厂排放刺鼻废气", "content": POLLUTION, **fields}
    )
    assert response.status_code == 302
    return Case.objects.exclude(pk__in=before).get()


def test_an_anonymous_message_of_a_signed_in_citizen_is_recorded_as_a_visitors(
    cast: HotlineCast,
) -> None:
    visitor = _web_message(Client(), anonymous="on")
    visitor_entry = LedgerEntry.objects.filter(action="hotline.submit_case").latest("pk")
    case = _web_message(as_user(cast.zhangsan), anonymous="on")
    entry = LedgerEntry.objects.filter(action="hotline.submit_case").latest("pk")
    assert entry.subject_id == case.number
    assert (entry.actor_ref, entry.actor_label) == (
        visitor_entry.actor_ref,
        visitor_entry.actor_label,
    )
    assert entry.actor_ref != f"user:{cast.zhangsan.pk}"

    staff = as_user(cast.chenhuan)
    row = _received_row(staff.get(f"/hotline/cases/{case.number}/").content.decode())
    assert "市民（网站）" in row
    assert _received_row(staff.get(f"/hotline/cases/{visitor.number}/").content.decode()) == row
    assert "张" not in row and "zhangsan" not in row


def test_an_anonymous_message_through_the_api_names_no_account(cast: HotlineCast) -> None:
    created = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气", anonymous=True)
    entry = LedgerEntry.objects.filter(action="hotline.submit_case").latest("pk")
    assert entry.subject_id == created["number"]
    assert entry.actor_ref == "system:anonymous"
    assert not LedgerEntry.objects.filter(
        action="hotline.submit_case", actor_ref=f"user:{cast.zhangsan.pk}"
    ).exists()
    html = as_user(cast.chenhuan).get(f"/hotline/cases/{created['number']}/").content.decode()
    assert cast.zhangsan.display_name not in html and "张*" not in html


def test_a_signed_in_citizens_named_message_keeps_their_name(cast: HotlineCast) -> None:
    created = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")
    entry = LedgerEntry.objects.filter(action="hotline.submit_case").latest("pk")
    assert entry.subject_id == created["number"]
    assert entry.actor_ref == f"user:{cast.zhangsan.pk}"


@pytest.mark.parametrize("meanwhile", ["reply", "return"])
def test_a_case_answered_or_returned_while_the_overdue_list_was_read_is_not_urged(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch, meanwhile: str
) -> None:
    number = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    Case.objects.filter(number=number).update(reply_due=timezone.now() - dt.timedelta(hours=2))
    real = selectors.overdue_cases_to_urge

    def answered_meanwhile(now: dt.datetime) -> list[selectors.OverdueCase]:
        found = real(now)
        if meanwhile == "reply":
            ok(
                post(
                    handler,
                    f"/cases/{number}/reply",
                    {"reply": "已责令化工厂整改，联系电话 12345。"},
                )
            )
        else:
            ok(post(handler, f"/cases/{number}/return", {"reason": "不属于本部门职责。"}))
        return found

    monkeypatch.setattr(actions, "overdue_cases_to_urge", answered_meanwhile)
    assert urge_overdue_cases.call() == 0
    case = Case.objects.get(number=number)
    assert case.urge_count == 0 and not case.supervised
    assert not CaseEvent.objects.filter(case=case, kind__in=["urged", "supervised"]).exists()
    assert not Notification.objects.filter(case=case, kind="urged").exists()
    assert not LedgerEntry.objects.filter(action="hotline.urge_overdue_cases").exists()


def test_an_overdue_case_still_in_hand_is_urged(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")["number"]
    ok(post(as_user(cast.chenhuan), f"/cases/{number}/sign"))
    Case.objects.filter(number=number).update(reply_due=timezone.now() - dt.timedelta(hours=2))
    assert urge_overdue_cases.call() == 1
    assert Case.objects.get(number=number).urge_count == 1
    assert LedgerEntry.objects.filter(action="hotline.urge_overdue_cases").count() == 1
