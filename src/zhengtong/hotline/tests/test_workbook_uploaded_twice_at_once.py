"""The same workbook uploaded twice at once (a double click on 上传并导入) is queued once.

Both uploads read the workbook before either is kept; the second is checked
for an earlier import only once the first is, and refused as
``already_imported``. SQLite serialises every write, so this runs on
PostgreSQL only.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from zhengtong.core.errors import ZhengtongError
from zhengtong.core.tests.races import WAIT_S
from zhengtong.hotline import imports
from zhengtong.hotline.models import CaseImport
from zhengtong.hotline.tests.api_calls import workbook
from zhengtong.hotline.tests.cast import HotlineCast, make_race_cast
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cast() -> HotlineCast:
    return make_race_cast(trained=False)


def test_a_workbook_uploaded_twice_at_once_is_queued_once(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = workbook(
        ["内容", "联系电话"], ["小区门口的路灯坏了一个多月，晚上出行很不方便。", "13900004444"]
    ).getvalue()
    both_read = threading.Barrier(2, timeout=WAIT_S)
    real_read = imports.read_rows

    def read_together(data: bytes) -> Any:
        rows = real_read(data)
        # Each has read the workbook; neither has looked for an earlier import.
        both_read.wait()
        return rows

    monkeypatch.setattr(imports, "read_rows", read_together)
    # The import itself is not what is tested: it stays queued.
    monkeypatch.setattr(imports, "_enqueue", lambda import_id: None)
    outcomes: list[str] = []

    def upload() -> None:
        try:
            imports.do_queue_import(
                data,
                "calls.xlsx",
                actor=actor_of(cast.dispatcher),
                entered_by=cast.dispatcher.username,
            )
            outcomes.append("queued")
        except ZhengtongError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 2)

    assert sorted(outcomes) == ["already_imported", "queued"]
    assert CaseImport.objects.count() == 1
    assert LedgerEntry.objects.filter(action="hotline.queue_import").count() == 1
