"""Work a stopped worker left behind is taken up again, once, and loses nothing.

A worker killed in the middle of a bulk import or a training run leaves its
task "running" for ever. The scheduler's ``resume_interrupted_work`` queues it
again once its lease has run out; until then a second worker leaves it alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from zhengtong.hotline.actions import do_submit_case
from zhengtong.hotline.models import Case, ClassifierVersion
from zhengtong.hotline.routing_model import train_model
from zhengtong.hotline.tasks import import_cases, resume_interrupted_work, train_classifier
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, workbook
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler catches it."""


LEASE_S = 600


@pytest.fixture
def cast(db: None, settings: Any) -> HotlineCast:
    settings.WORK_LEASE_S = LEASE_S
    made = make_hotline_cast()
    train_active_model()
    return made


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    moment = timezone.now() + dt.timedelta(seconds=seconds)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_an_import_whose_worker_was_killed_is_resumed_after_its_lease(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    http = as_user(cast.dispatcher)
    upload = workbook(
        ["内容", "联系电话"],
        [POLLUTION, "13900008001"],
        ["小区路灯损坏没人修，晚上出行很不方便。", "13900008002"],
        ["楼下早餐店占道经营，行人只能走机动车道。", "13900008003"],
    )
    # Accepted; the worker that takes it is killed while registering the second row.
    with django_capture_on_commit_callbacks(execute=False):
        queued = ok(http.post(f"{URL}/imports", {"file": upload}), 202)
    calls = []

    def dies_on_the_second_row(*args: Any, **kwargs: Any) -> Case:
        calls.append(1)
        if len(calls) == 2:
            raise WorkerKilled
        return do_submit_case(*args, **kwargs)

    target = "zhengtong.hotline.imports.do_submit_case"
    monkeypatch.setattr(target, dies_on_the_second_row)
    with pytest.raises(WorkerKilled):
        import_cases.call(queued["id"])
    monkeypatch.setattr(target, do_submit_case)
    marker = f"{queued['id']}:"
    assert Case.objects.filter(import_row__startswith=marker).count() == 1
    assert ok(http.get(f"{URL}/imports/{queued['id']}"))["state"] == "running"

    # Within the lease the worker may still be alive: nobody else touches it.
    _later(monkeypatch, LEASE_S / 2)
    assert resume_interrupted_work.call() == 0
    assert import_cases.call(queued["id"]) == "running"
    assert Case.objects.filter(import_row__startswith=marker).count() == 1

    _later(monkeypatch, LEASE_S + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_interrupted_work.call() == 1
    report = ok(http.get(f"{URL}/imports/{queued['id']}"))
    assert report["state"] == "done"
    assert len(report["created"]) + len(report["merged"]) == 3
    assert Case.objects.filter(import_row__startswith=marker).count() == 3
    [entry] = LedgerEntry.objects.filter(action="hotline.resume_import")
    assert entry.subject_id == str(queued["id"])
    # Done is done: the next rounds find nothing.
    _later(monkeypatch, 2 * LEASE_S + 100)
    assert resume_interrupted_work.call() == 0


def test_a_training_run_whose_worker_was_killed_is_trained_again(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    http = as_user(cast.admin)
    with django_capture_on_commit_callbacks(execute=False):
        queued = ok(
            http.post(
                f"{URL}/models",
                {"use_shared_data": False, "include_corrections": True},
                content_type="application/json",
            ),
            202,
        )

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise WorkerKilled

    target = "zhengtong.hotline.classifier_actions.train_model"
    monkeypatch.setattr(target, killed)
    version_id = ClassifierVersion.objects.get(number=queued["number"]).pk
    with pytest.raises(WorkerKilled):
        train_classifier.call(version_id)
    monkeypatch.setattr(target, train_model)
    assert ok(http.get(f"{URL}/models/{queued['number']}"))["state"] == "running"

    _later(monkeypatch, LEASE_S / 2)
    assert resume_interrupted_work.call() == 0
    _later(monkeypatch, LEASE_S + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_interrupted_work.call() == 1
    trained = ok(http.get(f"{URL}/models/{queued['number']}"))
    assert trained["state"] == "ready", trained
    # A task queued again while the first was still waiting finds the work done.
    assert train_classifier.call(version_id) == "ready"
    [entry] = LedgerEntry.objects.filter(action="hotline.resume_training")
    assert entry.subject_id == str(queued["number"])
