"""A person's repeat: readable by whoever handles the original, and never a lost escalation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from zhengtong.hotline import actions
from zhengtong.hotline.models import Case, CaseAttachment, Notification
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CALLER = "13900001111"
WORSE = POLLUTION + "现在已经有人中毒晕倒！"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _repeat_with_photo(cast: HotlineCast) -> tuple[str, Case, CaseAttachment]:
    citizen = as_user(cast.zhangsan)
    first = submit(citizen, title="化工厂排放刺鼻废气")["number"]
    response = citizen.post(
        "/hotline/new/",
        {
            "title": "化工厂排放刺鼻废气",
            "content": POLLUTION + "到现在还没有人来处理！附照片。",
            "photos": SimpleUploadedFile("evidence.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    repeat = Case.objects.exclude(number=first).get()
    assert repeat.merged_into is not None and repeat.merged_into.number == first
    return first, repeat, CaseAttachment.objects.get(case=repeat)


def test_the_handler_of_the_original_reads_a_merged_repeat_and_its_photos(
    cast: HotlineCast,
) -> None:
    first, repeat, photo = _repeat_with_photo(cast)
    handler = as_user(cast.chenhuan)
    page = handler.get(f"/hotline/cases/{first}/").content.decode()
    assert f'href="/hotline/cases/{repeat.number}/"' in page
    assert "到现在还没有人来处理！附照片。" in page
    assert f'href="/hotline/cases/{repeat.number}/files/{photo.pk}/"' in page
    assert handler.get(f"/hotline/cases/{repeat.number}/").status_code == 200
    assert ok(handler.get(f"{URL}/cases/{repeat.number}"))["merged_into"] == first
    photo_response = handler.get(f"/hotline/cases/{repeat.number}/files/{photo.pk}/")
    assert photo_response.status_code == 200
    assert b"".join(photo_response.streaming_content) == PNG  # type: ignore[attr-defined]


def test_another_department_still_cannot_open_a_merged_repeat(cast: HotlineCast) -> None:
    _first, repeat, photo = _repeat_with_photo(cast)
    other = as_user(cast.wangzhu)
    assert other.get(f"/hotline/cases/{repeat.number}/").status_code == 404
    assert other.get(f"{URL}/cases/{repeat.number}").status_code == 404
    assert other.get(f"/hotline/cases/{repeat.number}/files/{photo.pk}/").status_code == 404


def test_a_more_urgent_repeat_escalates_the_original_and_its_deadline(cast: HotlineCast) -> None:
    agent = as_user(cast.dispatcher)
    first = submit(agent, content=POLLUTION, contact_phone=CALLER)["number"]
    before = Case.objects.get(number=first)
    assert before.urgency == "normal" and before.reply_due is not None
    repeat = submit(agent, content=WORSE, contact_phone=CALLER, urgency="critical")
    assert repeat["state"] == "merged" and repeat["merged_into"] == first

    original = ok(as_user(cast.chenhuan).get(f"{URL}/cases/{first}"))
    assert original["urgency"] == "critical"
    due = dt.datetime.fromisoformat(original["reply_due"])
    # 特急: two hours to reply, counted from the call that said it got worse.
    assert due <= timezone.now() + dt.timedelta(hours=2)
    assert due < before.reply_due
    [note] = [e["note"] for e in original["events"] if e["kind"] == "repeated"]
    assert "由“一般”提升为“特急”" in note and repeat["number"] in note
    told = Notification.objects.filter(case__number=first, kind="repeated").get()
    assert "情况更为紧急" in told.text and "特急" in told.text
    entry = LedgerEntry.objects.filter(action="hotline.submit_case").latest("pk")
    assert entry.subject_id == repeat["number"]


def test_a_queued_original_gets_the_shorter_dispatch_time_of_its_urgent_repeat(
    cast: HotlineCast,
) -> None:
    agent = as_user(cast.dispatcher)
    # No district and an unknown matter: the message waits for a dispatcher.
    content = "我想咨询一下这个事情应该找哪个部门办理比较合适呢"
    first = submit(agent, content=content, contact_phone=CALLER)
    assert first["state"] == "dispatching"
    queued = Case.objects.get(number=first["number"])
    repeat = submit(agent, content=content + "！", contact_phone=CALLER, urgency="urgent")
    assert repeat["merged_into"] == first["number"]
    queued.refresh_from_db()
    assert queued.urgency == "urgent"
    assert queued.dispatch_due <= timezone.now() + dt.timedelta(hours=2)


def test_a_less_urgent_repeat_leaves_the_original_as_it_is(cast: HotlineCast) -> None:
    agent = as_user(cast.dispatcher)
    first = submit(agent, content=WORSE, contact_phone=CALLER, urgency="critical")["number"]
    due = Case.objects.get(number=first).reply_due
    submit(agent, content=POLLUTION, contact_phone=CALLER)
    original = Case.objects.get(number=first)
    assert (original.urgency, original.reply_due) == ("critical", due)


def test_a_more_urgent_repeat_of_an_answered_case_becomes_a_linked_case_of_its_own(
    cast: HotlineCast,
) -> None:
    agent = as_user(cast.dispatcher)
    first = submit(agent, content=POLLUTION, contact_phone=CALLER)["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{first}/sign"))
    ok(post(handler, f"/cases/{first}/reply", {"reply": "已责令化工厂整改，联系电话 12345。"}))

    urgent = submit(agent, content=WORSE, contact_phone=CALLER, urgency="critical")
    assert urgent["merged_into"] is None
    assert urgent["state"] == "assigned"
    assert urgent["department_name"] == cast.furong_environment.name
    case = ok(handler.get(f"{URL}/cases/{urgent['number']}"))
    assert case["urgency"] == "critical" and first in case["linked"]
    [linked] = [e["note"] for e in case["events"] if e["kind"] == "linked"]
    assert f"在工单 {first} 答复后再次反映" in linked
    assert urgent["number"] in ok(handler.get(f"{URL}/cases/{first}"))["linked"]
    assert ok(handler.get(f"{URL}/cases/{first}"))["state"] == "replied"
    told = Notification.objects.filter(case__number=first, kind="repeated").get()
    assert urgent["number"] in told.text


def test_a_repeat_of_a_case_closed_meanwhile_becomes_a_case_of_its_own(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = as_user(cast.zhangsan)
    first = submit(citizen, title="化工厂排放刺鼻废气")["number"]
    real = actions._repeat_of

    def closed_meanwhile(*args: Any) -> Any:
        found = real(*args)
        # Another transaction closes the original between the read and the lock.
        Case.objects.filter(number=first).update(state="closed", closed_at=timezone.now())
        return found

    monkeypatch.setattr(actions, "_repeat_of", closed_meanwhile)
    again = submit(citizen, content=POLLUTION + "到现在还没有人来处理！")
    assert again["merged_into"] is None
    assert again["state"] == "assigned"
    assert not Case.objects.filter(merged_into__number=first).exists()


def test_a_visitor_cannot_open_a_merged_repeat(cast: HotlineCast) -> None:
    _first, repeat, _photo = _repeat_with_photo(cast)
    assert Client().get(f"{URL}/cases/{repeat.number}").status_code in (401, 403)


def test_following_a_merged_repeat_by_its_link_names_the_case_that_answers_it(
    cast: HotlineCast,
) -> None:
    http = Client(HTTP_AUTHORIZATION=f"Bearer {cast.call_centre_token}")
    first = ok(post(http, "/cases", {"content": POLLUTION, "contact_phone": CALLER}), 201)
    again = POLLUTION + "到现在还没有人来处理！"
    repeat = ok(post(http, "/cases", {"content": again, "contact_phone": CALLER}), 201)
    assert repeat["state"] == "merged"
    # The caller follows the SMS link without an account, in an app or on the page.
    tracked = ok(Client().get(f"{URL}/track/{repeat['tracking_code']}"))
    assert tracked["state"] == "merged"
    assert tracked["merged_into"] == first["number"]
    page = Client().get(f"/hotline/track/{repeat['tracking_code']}/").content.decode()
    assert first["number"] in page
    original = ok(Client().get(f"{URL}/track/{first['tracking_code']}"))
    assert original["merged_into"] is None
