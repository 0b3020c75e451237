"""Two trainings queued at once get two version numbers, and neither answers 500.

The race needs real concurrent transactions, so this runs on PostgreSQL only
(SQLite serialises every write anyway).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from zhengtong.hotline.models import ClassifierVersion, LabelledExample
from zhengtong.hotline.tests.api_calls import as_user, post
from zhengtong.hotline.tests.cast import HotlineCast, invented_examples, make_race_cast
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROUNDS = 4
AT_ONCE = 3


@pytest.fixture
def cast(settings: Any) -> HotlineCast:
    # Only the queueing is raced here: the runs themselves are not started.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    made = make_race_cast(trained=False)
    LabelledExample.objects.bulk_create(
        LabelledExample(
            title=e.title, body=e.body, label=e.label, labelled_by="pai", labelled_at=timezone.now()
        )
        for e in invented_examples()
    )
    return made


def test_administrators_queueing_training_at_once_get_distinct_versions(
    cast: HotlineCast,
) -> None:
    statuses: list[int] = []
    for _round in range(ROUNDS):
        start = threading.Barrier(AT_ONCE)

        def queue(start: threading.Barrier = start) -> None:
            http = as_user(cast.admin)
            http.raise_request_exception = False
            start.wait()
            try:
                statuses.append(
                    post(
                        http, "/models", {"use_shared_data": False, "include_corrections": True}
                    ).status_code
                )
            finally:
                connections.close_all()

        threads = [threading.Thread(target=queue) for _ in range(AT_ONCE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [202] * (ROUNDS * AT_ONCE), statuses
    numbers = sorted(ClassifierVersion.objects.values_list("number", flat=True))
    assert numbers == list(range(1, ROUNDS * AT_ONCE + 1))
    assert LedgerEntry.objects.filter(action="hotline.queue_training").count() == ROUNDS * AT_ONCE
