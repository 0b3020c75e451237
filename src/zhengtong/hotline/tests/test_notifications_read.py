"""A department's notices are new until someone there marks them read (已读).

陈环's worklist counts the notices nobody in the department has read and
tags them 新; the button marks the ones the page showed read, with a ledger
entry as a leader's acknowledged alert has. A department's own system reads
and marks the same through the API.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.models import Notification
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _recalled_notice(cast: HotlineCast) -> Notification:
    """The centre recalls a case from 陈环's department: the department is told."""
    number = submit(as_user(cast.zhangsan))["number"]
    ok(post(as_user(cast.dispatcher), f"/cases/{number}/recall", {"reason": "派错部门"}))
    return Notification.objects.get(department=cast.furong_environment)


def test_the_worklist_shows_a_new_notice_until_the_clerk_marks_it_read(
    cast: HotlineCast,
) -> None:
    notice = _recalled_notice(cast)
    handler = as_user(cast.chenhuan)
    page = handler.get("/hotline/department/").content.decode()
    assert "1 条新通知" in page and ">标为已读</button>" in page
    assert f'name="id" value="{notice.pk}"' in page

    marked = handler.post(
        "/hotline/department/notifications/read/",
        {"id": [str(notice.pk)], "next": "/hotline/department/#notifications"},
    )
    assert marked.status_code == 302
    assert marked["Location"] == "/hotline/department/#notifications"
    notice.refresh_from_db()
    assert notice.read_at is not None
    page = handler.get("/hotline/department/").content.decode()
    assert "已将 1 条通知标为已读。" in page
    assert "1 条新通知" not in page and ">标为已读</button>" not in page
    # Still listed, as read.
    assert "已由12345热线撤回" in page
    entry = LedgerEntry.objects.get(action="hotline.read_notifications")
    assert entry.subject_id == str(notice.pk)
    assert entry.actor_ref == f"user:{cast.chenhuan.pk}"

    # Sent twice (a double click): nothing more to mark, no second entry.
    handler.post("/hotline/department/notifications/read/", {"id": [str(notice.pk)]})
    assert LedgerEntry.objects.filter(action="hotline.read_notifications").count() == 1


def test_the_api_lists_notices_as_unread_and_marks_them_read(cast: HotlineCast) -> None:
    notice = _recalled_notice(cast)
    handler = as_user(cast.chenhuan)
    listed = ok(handler.get(f"{URL}/notifications"))
    assert [(n["id"], n["read"], n["read_at"]) for n in listed] == [(notice.pk, False, None)]

    # Another department's handler cannot mark it.
    other = ok(post(as_user(cast.wangzhu), "/notifications/read", {"ids": [notice.pk]}))
    assert other == {"marked": 0, "unread": 0}
    assert Notification.objects.get(pk=notice.pk).read_at is None

    assert ok(post(handler, "/notifications/read", {"ids": [notice.pk]})) == {
        "marked": 1,
        "unread": 0,
    }
    listed = ok(handler.get(f"{URL}/notifications"))
    assert listed[0]["read"] is True and listed[0]["read_at"] is not None
    assert ok(post(handler, "/notifications/read", {"ids": [notice.pk]}))["marked"] == 0
    assert LedgerEntry.objects.filter(action="hotline.read_notifications").count() == 1
    # A citizen has no notices to mark.
    refused = post(as_user(cast.zhangsan), "/notifications/read", {"ids": [notice.pk]})
    assert refused.status_code == 403
