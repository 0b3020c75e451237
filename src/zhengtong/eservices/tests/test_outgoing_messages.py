"""SMS and e-mail: kept with the action, sent after it commits, tried again while a gateway fails.

A deployment plugs its gateways' clients in as ``ESERVICES_NOTIFIERS``. Here
one client records what it carries, or fails while it is "down"; the actions
are driven through the staff API as a clerk's system would.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, ClassVar

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices.models import Notification, OutgoingMessage
from zhengtong.eservices.notifications import IN_APP, notify
from zhengtong.eservices.tasks import deliver_messages
from zhengtong.eservices.tests.test_applications_cast import (
    ApplicationsCast,
    logged_in,
    material,
    pdf,
    promise_day,
)
from zhengtong.eservices.tests.test_applications_cast import cast as applications_cast
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import User
from zhengtong.operations.schedule import periodic_tasks

__all__ = ["applications_cast"]

URL = "/api/services/applications"
LEASE_S = 600


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler catches it."""


class Gateway:
    """A gateway client: records what it carries; fails while down; kills its worker on demand."""

    carried: ClassVar[list[tuple[int, str, str]]] = []
    down: ClassVar[bool] = False
    kills: ClassVar[bool] = False

    def send(self, user: User, text: str, link: str) -> None:
        if Gateway.kills:
            raise WorkerKilled
        if Gateway.down:
            raise ConnectionError("gateway unreachable")
        Gateway.carried.append((user.pk, text, link))


@pytest.fixture
def cast(applications_cast: ApplicationsCast, settings: Any) -> ApplicationsCast:
    settings.ESERVICES_NOTIFIERS = [IN_APP, f"{__name__}.Gateway"]
    settings.WORK_LEASE_S = LEASE_S
    Gateway.carried, Gateway.down, Gateway.kills = [], False, False
    return applications_cast


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    moment = timezone.now() + dt.timedelta(seconds=seconds)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def _submitted(cast: ApplicationsCast) -> str:
    """Submit an application to be handled by staff; its number."""
    http = logged_in(cast.applicant)
    form = {"business_type": "餐饮服务", "business_items": "热食类食品制售", "area": 120}
    draft = http.post(
        f"{URL}/",
        {"item_code": cast.food.code, "form_data": {**form, "phone": "13812345678"}},
        content_type="application/json",
    )
    assert draft.status_code == 201, draft.content
    number = draft.json()["number"]
    upload = http.post(
        f"{URL}/{number}/materials/{material(cast.food, '设备设施').pk}", {"file": pdf()}
    )
    assert upload.status_code == 201, upload.content
    promise = http.post(
        f"{URL}/{number}/materials/{material(cast.food, '规章制度').pk}/promise",
        {"promised_on": promise_day().isoformat()},
        content_type="application/json",
    )
    assert promise.status_code == 200, promise.content
    submitted = http.post(f"{URL}/{number}/submit")
    assert submitted.status_code == 200, submitted.content
    return str(number)


def _accept(cast: ApplicationsCast, number: str) -> Any:
    """The clerk accepts the application (受理), which tells the applicant."""
    http = logged_in(cast.clerk)
    mine = http.get(f"{URL}/tasks").json()
    task = next(t for t in mine if t["application_number"] == number)
    return http.post(f"{URL}/tasks/{task['id']}/complete", {}, content_type="application/json")


def _messages_to(user: User) -> list[str]:
    return [text for pk, text, _link in Gateway.carried if pk == user.pk]


def test_each_message_goes_out_once_after_its_action_commits(
    cast: ApplicationsCast,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        number = _submitted(cast)
    # Nothing goes out before the action has committed.
    assert Gateway.carried == []
    assert OutgoingMessage.objects.get().state == "pending"
    # The next action's delivery takes every message that is due.
    with django_capture_on_commit_callbacks(execute=True):
        number = _submitted(cast)
    in_app = list(Notification.objects.filter(user=cast.applicant).values_list("text", flat=True))
    assert len(in_app) == 2 and number in in_app[0]
    assert _messages_to(cast.applicant) == in_app[::-1]
    with django_capture_on_commit_callbacks(execute=True):
        assert _accept(cast, number).status_code == 200
    assert len(_messages_to(cast.applicant)) == 3
    # A second delivery run (the periodic one) sends nothing again.
    assert deliver_messages.call() == 0
    assert len(Gateway.carried) == len(OutgoingMessage.objects.all())
    assert set(OutgoingMessage.objects.values_list("state", "attempts")) == {("sent", 1)}
    assert "zhengtong.eservices.tasks.deliver_messages" in {
        p.task_path for p in periodic_tasks() if p.interval_s <= 60
    }
    # A sent message's copy is deleted after a month; the in-app message stays.
    _later(monkeypatch, 31 * 24 * 3600)
    deliver_messages.call()
    assert not OutgoingMessage.objects.exists()
    assert Notification.objects.filter(user=cast.applicant).count() == 3


def test_a_gateway_that_is_down_neither_fails_the_action_nor_loses_the_message(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        number = _submitted(cast)
    Gateway.down = True
    with django_capture_on_commit_callbacks(execute=True):
        accepted = _accept(cast, number)
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "accepted"
    waiting = OutgoingMessage.objects.get(state="pending")
    assert waiting.attempts == 1 and "gateway unreachable" in waiting.last_error
    assert waiting.next_attempt_at > timezone.now()
    # Not due again before its wait is over, even with the gateway back.
    Gateway.down = False
    assert deliver_messages.call() == 0
    _later(monkeypatch, 61)
    assert deliver_messages.call() == 1
    waiting.refresh_from_db()
    assert (waiting.state, waiting.attempts, waiting.last_error) == ("sent", 2, "")
    assert "已受理" in _messages_to(cast.applicant)[-1]


def test_a_message_is_given_up_after_the_configured_tries_and_the_operator_is_told(
    cast: ApplicationsCast,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.ESERVICES_NOTIFY_ATTEMPTS = 3
    Gateway.down = True
    with django_capture_on_commit_callbacks(execute=True):
        _submitted(cast)
    message = OutgoingMessage.objects.get()
    # The first try came right after the action; the waits after it double.
    assert message.attempts == 1
    assert 59 < (message.next_attempt_at - message.created_at).total_seconds() <= 61
    _later(monkeypatch, (message.next_attempt_at - timezone.now()).total_seconds() + 1)
    deliver_messages.call()
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("pending", 2)
    assert message.next_attempt_at - timezone.now() == dt.timedelta(seconds=120)
    _later(monkeypatch, (message.next_attempt_at - timezone.now()).total_seconds() + 1)
    deliver_messages.call()
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 3)
    assert any(
        r.levelno == logging.ERROR and f"Message {message.pk}" in r.getMessage()
        for r in caplog.records
    )
    _later(monkeypatch, 24 * 3600)
    Gateway.down = False
    assert deliver_messages.call() == 0
    assert Gateway.carried == []
    # Kept for the operators for three months, then deleted.
    created = message.created_at
    monkeypatch.setattr(timezone, "now", lambda: created + dt.timedelta(days=89))
    deliver_messages.call()
    assert OutgoingMessage.objects.filter(pk=message.pk).exists()
    monkeypatch.setattr(timezone, "now", lambda: created + dt.timedelta(days=91))
    deliver_messages.call()
    assert not OutgoingMessage.objects.filter(pk=message.pk).exists()


def test_a_message_a_killed_worker_was_sending_goes_out_after_its_lease(
    cast: ApplicationsCast,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        _submitted(cast)
    Gateway.kills = True
    with pytest.raises(WorkerKilled):
        deliver_messages.call()
    assert OutgoingMessage.objects.get().state == "sending"
    Gateway.kills = False
    # Within the lease the worker may still be sending: another leaves it alone.
    _later(monkeypatch, LEASE_S / 2)
    assert deliver_messages.call() == 0
    _later(monkeypatch, LEASE_S + 1)
    assert deliver_messages.call() == 1
    assert len(_messages_to(cast.applicant)) == 1


def test_an_action_that_rolls_back_sends_nothing(cast: ApplicationsCast) -> None:
    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        notify(cast.applicant, "您的申请已受理。")
        raise Refused
    assert not OutgoingMessage.objects.exists()
    assert deliver_messages.call() == 0
    assert Gateway.carried == []


def test_administrators_see_which_messages_a_gateway_refused_but_not_their_text(
    cast: ApplicationsCast, django_capture_on_commit_callbacks: Any
) -> None:
    Gateway.down = True
    with django_capture_on_commit_callbacks(execute=True):
        number = _submitted(cast)
    administrator = do_create_staff(
        "fengshi",
        "Zhengtong-applications-2026",
        "冯十",
        cast.market,
        ["administrator"],
        actor=TEST_ACTOR,
    )
    url = reverse("admin:eservices_outgoingmessage_changelist")
    page = logged_in(administrator).get(url)
    assert page.status_code == 200
    assert [m.state for m in page.context["cl"].result_list] == ["pending"]
    detail = logged_in(administrator).get(
        reverse("admin:eservices_outgoingmessage_change", args=[OutgoingMessage.objects.get().pk])
    )
    assert "gateway unreachable" in detail.content.decode()
    assert number not in detail.content.decode()
    assert logged_in(cast.clerk).get(url).status_code in (302, 403)
