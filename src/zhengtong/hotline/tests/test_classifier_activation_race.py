"""Two activations at once take turns: one version routes, and neither answers 500.

The race needs real concurrent transactions, so this runs on PostgreSQL only
(SQLite serialises every write anyway).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.classifier_actions import do_queue_training, run_training
from zhengtong.hotline.models import ClassifierVersion
from zhengtong.hotline.tests.api_calls import as_user, post
from zhengtong.hotline.tests.cast import HotlineCast, make_race_cast

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROUNDS = 5


@pytest.fixture
def cast() -> HotlineCast:
    return make_race_cast()


def _ready_version() -> ClassifierVersion:
    version = do_queue_training(actor=TEST_ACTOR, data_path=None, include_corrections=True)
    return run_training(version, actor=TEST_ACTOR, folds=0)


def test_two_administrators_activating_at_once_get_no_server_error(cast: HotlineCast) -> None:
    versions = [_ready_version(), _ready_version()]
    statuses: list[int] = []
    for _round in range(ROUNDS):
        ClassifierVersion.objects.update(is_active=False)
        start = threading.Barrier(len(versions))

        def activate(version: ClassifierVersion, start: threading.Barrier = start) -> None:
            http = as_user(cast.admin)
            http.raise_request_exception = False
            start.wait()
            try:
                statuses.append(
                    post(
                        http, f"/models/{version.number}/activate?confirm_unmapped=true"
                    ).status_code
                )
            finally:
                connections.close_all()

        threads = [threading.Thread(target=activate, args=(v,)) for v in versions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert ClassifierVersion.objects.filter(is_active=True).count() == 1
    assert set(statuses) <= {200, 409}, statuses
