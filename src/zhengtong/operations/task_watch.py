"""Heartbeats of running tasks, so that a task whose worker died ends as failed.

The database worker marks a task RUNNING when it takes it, and SUCCESSFUL or
FAILED when it ends. A worker killed in between (``SIGKILL``, out of memory,
the machine restarted) would leave it RUNNING for ever: no worker takes it
again, ``prune_db_task_results`` never removes it, and an operator cannot
tell it from one still at work. So while a task runs, a thread of its worker
renews a heartbeat row every ``TASK_HEARTBEAT_S`` seconds, and
``actions.do_fail_lost_tasks`` (from the scheduler every five minutes) marks
failed the RUNNING tasks whose heartbeat, or whose start when there is none,
is older than ``WORK_LEASE_S``. The work itself is not lost: what must
survive a killed worker holds a lease of its own and is queued again (see
``core/leases.py``).
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.dispatch import receiver
from django.utils import timezone
from django_tasks_db import DatabaseBackend

# The signals the database worker sends (Django 6's own, or the backport's).
from django_tasks_db.compat import task_finished, task_started

from zhengtong.operations.models import TaskHeartbeat

logger = logging.getLogger(__name__)

# Running tasks of this process: task id -> the event that stops its heartbeat, and its thread.
_beating: dict[uuid.UUID, tuple[threading.Event, threading.Thread]] = {}


def _of_database_backend(sender: Any) -> bool:
    # The worker sends the backend instance when a task starts and, when it
    # fails, the backend's class.
    backend = sender if isinstance(sender, type) else type(sender)
    return issubclass(backend, DatabaseBackend)


def beat(task_id: uuid.UUID) -> None:
    """Record that the task's worker is alive now (one transaction of its own)."""
    TaskHeartbeat.objects.update_or_create(task_id=task_id, defaults={"beat_at": timezone.now()})


def _keep_beating(task_id: uuid.UUID, stop: threading.Event, interval_s: float) -> None:
    try:
        while not stop.wait(interval_s):
            _beat_or_log(task_id)
    finally:
        connections.close_all()


def _beat_or_log(task_id: uuid.UUID) -> None:
    try:
        beat(task_id)
    except DatabaseError:
        # The database busy or away for a moment: the next beat may pass, and
        # the lease is many beats long. Never the task's failure.
        logger.warning("heartbeat of task %s not written", task_id, exc_info=True)


@receiver(task_started)
def start_heartbeat(sender: Any, task_result: Any, **kwargs: Any) -> None:
    # Receivers run inside the worker's handling of the task: whatever goes
    # wrong here is logged, or the task would be recorded as failed.
    if not _of_database_backend(sender):
        return
    task_id = uuid.UUID(str(task_result.id))
    _beat_or_log(task_id)
    interval_s = settings.TASK_HEARTBEAT_S
    if interval_s <= 0:
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_keep_beating,
        args=(task_id, stop, interval_s),
        name=f"heartbeat-{task_id}",
        daemon=True,
    )
    _beating[task_id] = (stop, thread)
    thread.start()


@receiver(task_finished)
def end_heartbeat(sender: Any, task_result: Any, **kwargs: Any) -> None:
    if not _of_database_backend(sender):
        return
    task_id = uuid.UUID(str(task_result.id))
    running = _beating.pop(task_id, None)
    if running is not None:
        stop, thread = running
        stop.set()
        # A beat being written would otherwise put the row back after it is removed.
        thread.join(timeout=30)
    try:
        TaskHeartbeat.objects.filter(task_id=task_id).delete()
    except DatabaseError:
        # Left behind, the row is removed by the next do_fail_lost_tasks.
        logger.warning("heartbeat of task %s not removed", task_id, exc_info=True)
