"""A task whose worker died ends as failed instead of running for ever.

While the database worker runs a task it renews a heartbeat; the scheduler's
``fail_lost_tasks`` marks failed the RUNNING tasks whose heartbeat (or start,
without one) is older than the lease, with a ledger entry each.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from zhengtong.core.testing import run_zhengtong
from zhengtong.ledger.models import LedgerEntry
from zhengtong.operations.actions import WORKER_LOST
from zhengtong.operations.models import TaskHeartbeat
from zhengtong.operations.schedule import periodic_tasks
from zhengtong.operations.tasks import fail_lost_tasks

LEASE_S = 600


@task()
def reports_its_heartbeat() -> bool:
    """A task that answers whether a heartbeat is on record while it runs."""
    return TaskHeartbeat.objects.exists()


@task()
def sleeps(seconds: float) -> None:
    """A task that takes a while, for a worker to be killed during it."""
    time.sleep(seconds)


@pytest.fixture
def database_tasks(db: None, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WORK_LEASE_S = LEASE_S
    settings.TASK_HEARTBEAT_S = 0  # the beat at the start only: no thread in this process


def _running(started_ago_s: float, beat_ago_s: float | None) -> DBTaskResult[Any, Any]:
    queued = DBTaskResult.objects.get(pk=sleeps.enqueue(1).id)
    queued.claim("worker-1")
    started = timezone.now() - dt.timedelta(seconds=started_ago_s)
    DBTaskResult.objects.filter(pk=queued.pk).update(started_at=started)
    if beat_ago_s is not None:
        beat = timezone.now() - dt.timedelta(seconds=beat_ago_s)
        TaskHeartbeat.objects.create(task_id=queued.pk, beat_at=beat)
    return queued


def _status(result: DBTaskResult[Any, Any]) -> str:
    return str(DBTaskResult.objects.get(pk=result.pk).status)


def test_only_running_tasks_silent_past_the_lease_are_failed(database_tasks: None) -> None:
    silent = _running(started_ago_s=2 * LEASE_S, beat_ago_s=LEASE_S + 5)
    never_beat = _running(started_ago_s=LEASE_S + 5, beat_ago_s=None)
    long_but_alive = _running(started_ago_s=5 * LEASE_S, beat_ago_s=30)
    just_started = _running(started_ago_s=30, beat_ago_s=None)
    # Ended, with a heartbeat its worker could not remove.
    finished = _running(started_ago_s=2 * LEASE_S, beat_ago_s=LEASE_S / 2)
    DBTaskResult.objects.filter(pk=finished.pk).update(status=TaskResultStatus.SUCCESSFUL)

    assert fail_lost_tasks.call() == 2

    assert _status(silent) == _status(never_beat) == TaskResultStatus.FAILED
    assert _status(long_but_alive) == _status(just_started) == TaskResultStatus.RUNNING
    assert _status(finished) == TaskResultStatus.SUCCESSFUL
    failed = DBTaskResult.objects.get(pk=silent.pk)
    assert failed.exception_class_path == WORKER_LOST and failed.finished_at is not None
    assert "no heartbeat" in failed.traceback
    assert set(TaskHeartbeat.objects.values_list("task_id", flat=True)) == {long_but_alive.pk}
    entries = LedgerEntry.objects.filter(action="operations.fail_lost_task")
    assert sorted(e.subject_id for e in entries) == sorted([str(silent.pk), str(never_beat.pk)])
    assert {e.subject_type for e in entries} == {"operations.task"}
    # A second run finds nothing more to do.
    assert fail_lost_tasks.call() == 0
    assert entries.count() == 2


def test_the_worker_beats_while_a_task_runs_and_clears_the_beat_after(
    database_tasks: None,
) -> None:
    queued = DBTaskResult.objects.get(pk=reports_its_heartbeat.enqueue().id)
    queued.claim("worker-1")
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="worker-1",
        excluded_queue_names=[],
    )
    worker.run_task(queued)
    done = DBTaskResult.objects.get(pk=queued.pk)
    assert done.status == TaskResultStatus.SUCCESSFUL and done.return_value is True
    assert not TaskHeartbeat.objects.exists()
    assert fail_lost_tasks.call() == 0


def test_the_scheduler_looks_for_lost_tasks() -> None:
    paths = [p.task_path for p in periodic_tasks()]
    assert "zhengtong.operations.tasks.fail_lost_tasks" in paths


def _run(command: list[str], environment: dict[str, str]) -> str:
    done = run_zhengtong(command, environment)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _heartbeats(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [
            row[0] for row in connection.execute("SELECT beat_at FROM operations_taskheartbeat")
        ]


def test_a_killed_worker_leaves_its_task_failed_once_the_lease_has_run_out(
    tmp_path: Path,
) -> None:
    # A real worker process on a database file of its own, killed with SIGKILL.
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhengtong.settings.base",
        "ZHENGTONG_DATA_DIR": str(tmp_path),
        "ZHENGTONG_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "ZHENGTONG_TASK_HEARTBEAT_S": "1",
        # Long enough that the first sweep, a new process started on a busy
        # machine, still runs within it after the worker's last heartbeat.
        "ZHENGTONG_WORK_LEASE_S": "15",
    }
    environment.pop("DATABASE_URL", None)
    database = tmp_path / "zhengtong.sqlite3"
    _run(["migrate", "--no-input", "-v", "0"], environment)
    enqueue = f"from {__name__} import sleeps; print(sleeps.enqueue(60).id)"
    task_id = _run(["shell", "--no-imports", "-c", enqueue], environment).strip()
    worker = subprocess.Popen(
        [sys.executable, "-m", "zhengtong", "db_worker", "--interval", "0.1", "--no-startup-delay"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        beats: set[str] = set()
        while len(beats) < 3 and time.monotonic() < deadline:
            beats.update(_heartbeats(database))
            time.sleep(0.2)
        assert len(beats) >= 3, "the worker renewed no heartbeat"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)

    sweep = (
        "from zhengtong.operations.tasks import fail_lost_tasks; "
        "from django_tasks_db.models import DBTaskResult; "
        f"print(fail_lost_tasks.call(), DBTaskResult.objects.get(pk='{task_id}').status)"
    )
    # Within the lease the worker may still be alive: the task stays running.
    assert _run(["shell", "--no-imports", "-c", sweep], environment).split() == ["0", "RUNNING"]
    time.sleep(16)
    assert _run(["shell", "--no-imports", "-c", sweep], environment).split() == ["1", "FAILED"]
