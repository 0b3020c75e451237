"""State changes of the operations module, each one transaction with its ledger entries."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from zhengtong.core.actors import Actor
from zhengtong.ledger.actions import PendingEntry, record_entries
from zhengtong.operations.models import TaskHeartbeat

# What a task its worker left behind failed with, for ``exception_class_path``.
WORKER_LOST = "zhengtong.operations.WorkerLost"


def do_fail_lost_tasks(*, actor: Actor) -> list[str]:
    """Mark failed the RUNNING tasks whose worker stopped sending heartbeats; their ids.

    A task is lost when its last heartbeat, or its start when it never sent
    one, is older than ``WORK_LEASE_S``.
    """
    now = timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.WORK_LEASE_S)
    last_beat = TaskHeartbeat.objects.filter(task_id=OuterRef("pk")).values("beat_at")[:1]
    with transaction.atomic(durable=True):
        lost = list(
            DBTaskResult.objects.select_for_update()
            .filter(status=TaskResultStatus.RUNNING)
            .annotate(beat_at=Subquery(last_beat))
            .filter(Q(beat_at__lt=cutoff) | Q(beat_at=None, started_at__lt=cutoff))
            .values_list("pk", "task_path", "worker_ids", "started_at", "beat_at")
        )
        # Heartbeats a worker could not remove when its task ended.
        TaskHeartbeat.objects.exclude(
            task_id__in=DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values("pk")
        ).delete()
        if not lost:
            return []
        ids = [pk for pk, *_rest in lost]
        DBTaskResult.objects.filter(pk__in=ids).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=WORKER_LOST,
            traceback=(
                "The worker running this task stopped without finishing it (killed, out of"
                f" memory or restarted): no heartbeat for {settings.WORK_LEASE_S} s."
            ),
            return_value=None,
        )
        TaskHeartbeat.objects.filter(task_id__in=ids).delete()
        record_entries(
            [
                PendingEntry(
                    actor,
                    "operations.fail_lost_task",
                    "operations.task",
                    str(pk),
                    {
                        "task": path,
                        "worker": workers[-1] if workers else "",
                        "started_at": started.isoformat() if started else None,
                        "last_heartbeat": beat.isoformat() if beat else None,
                    },
                )
                for pk, path, workers, started, beat in lost
            ]
        )
    return [str(pk) for pk in ids]
