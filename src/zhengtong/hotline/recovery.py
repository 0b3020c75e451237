"""Background work a killed worker left behind: found and queued again.

Bulk imports and training runs are claimed by the worker that runs them and
renew a heartbeat as they go (``core.leases``). When a worker is killed, runs
out of memory or its machine restarts, its task stays "running" in the task
store and no worker picks it up again; ``do_resume_interrupted_work``, run by
the scheduler, queues such work anew once its lease has run out. An import
resumes where it stopped (rows already registered are skipped); a training
run starts again.
"""

from collections.abc import Callable

from django.db import transaction

from zhengtong.core.actors import Actor
from zhengtong.core.leases import LeasedWork
from zhengtong.hotline.classifier_actions import TRAINING
from zhengtong.hotline.imports import IMPORTS
from zhengtong.ledger.actions import record_entry


def _queue_import(import_id: int) -> None:
    from zhengtong.hotline.tasks import import_cases

    import_cases.enqueue(import_id)


def _queue_training(version_id: int) -> None:
    from zhengtong.hotline.tasks import train_classifier

    train_classifier.enqueue(version_id)


# What is resumed: the work, its ledger action and subject, the column that
# names it there, and how its task is queued.
RESUMABLE: tuple[tuple[LeasedWork, str, str, str, Callable[[int], None]], ...] = (
    (IMPORTS, "hotline.resume_import", "hotline.import", "pk", _queue_import),
    (TRAINING, "hotline.resume_training", "hotline.classifier", "number", _queue_training),
)


def do_resume_interrupted_work(*, actor: Actor) -> list[str]:
    """Queue again the imports and training runs whose worker stopped; which ones."""
    resumed: list[str] = []
    with transaction.atomic(durable=True):
        for work, action, subject_type, name, queue in RESUMABLE:
            rows = list(work.interrupted().select_for_update().values_list("pk", name))
            if not rows:
                continue
            # Waiting again, and queued again at most once a lease even while
            # the queue is merely busy (the claim makes an extra task a no-op).
            work.requeue([pk for pk, _name in rows])
            for pk, subject_id in rows:
                # One entry each, on the import's or the version's own trail.
                record_entry(
                    actor=actor,
                    action=action,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    data={"state": work.waiting},
                )
                transaction.on_commit(lambda pk=pk, queue=queue: queue(pk))  # type: ignore[misc]
                resumed.append(f"{subject_type}:{subject_id}")
    return resumed
