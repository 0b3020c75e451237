"""Reads of hosted datasets.

``lookup_record`` is raw: it applies no grant and masks nothing, so it serves
the platform itself and the provider department, never other departments.
"""

from zhengtong.exchange.models import DatasetVersion, HostedDataset, Record, RecordChange

MAX_CHANGES = 1000


def lookup_record(dataset: HostedDataset, key: str) -> Record | None:
    """The current record of a key; ``None`` if there is none or it was deleted."""
    return Record.objects.filter(dataset=dataset, key=key, deleted=False).first()


def changes_since(dataset: HostedDataset, cursor: int, limit: int = 100) -> list[RecordChange]:
    """The changes after ``cursor`` (a ``seq``), oldest first; at most MAX_CHANGES at a time."""
    limit = max(1, min(limit, MAX_CHANGES))
    return list(
        RecordChange.objects.filter(dataset=dataset, seq__gt=cursor)
        .select_related("version")
        .order_by("seq")[:limit]
    )


def dataset_versions(dataset: HostedDataset) -> list[DatasetVersion]:
    return list(dataset.versions.order_by("-number"))
