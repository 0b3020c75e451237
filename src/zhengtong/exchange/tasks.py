"""Background work of the exchange: data quality, and the answer deadlines of applications.

``measure_dataset_quality`` runs after every load (``queue_quality_measurement``)
and, through ``measure_all_datasets_quality``, once a day for every dataset, so
that timeliness is current even for datasets nobody loads.
"""

from django.db import transaction
from django_tasks import task

from zhengtong.core.actors import Actor
from zhengtong.exchange.models import HostedDataset
from zhengtong.exchange.quality import do_measure_dataset_quality


@task()
def measure_dataset_quality(dataset_id: int) -> int | None:
    """Measure one dataset; return its score, or None if the dataset is gone."""
    dataset = HostedDataset.objects.select_related("resource").filter(pk=dataset_id).first()
    if dataset is None:
        return None
    actor = Actor.system("exchange.measure_dataset_quality")
    return do_measure_dataset_quality(dataset, actor=actor).score


@task()
def measure_all_datasets_quality() -> int:
    """Queue a measurement of every hosted dataset; return how many were queued.

    One task per dataset, so that workers share the work and one failing
    dataset does not hold up the others.
    """
    ids = list(HostedDataset.objects.order_by("pk").values_list("pk", flat=True))
    for dataset_id in ids:
        measure_dataset_quality.enqueue(dataset_id)
    return len(ids)


def queue_quality_measurement(dataset_id: int) -> None:
    """Measure the dataset again once the caller's transaction has committed.

    Called inside a load's transaction: the measurement must see the loaded
    records, and a failed enqueue must not undo a load that committed.
    """

    def enqueue() -> None:
        measure_dataset_quality.enqueue(dataset_id)

    transaction.on_commit(enqueue, robust=True)


@task()
def recount_answer_deadlines() -> int:
    """Move pending applications' answer deadlines that a holiday notice recorded since moves."""
    # Imported here: the actions import this module to queue quality measurements.
    from zhengtong.exchange.actions import do_recount_answer_deadlines

    actor = Actor.system("exchange.recount_answer_deadlines")
    return len(do_recount_answer_deadlines(actor=actor))
