from io import StringIO

import pytest
from django.core.management import call_command

from zhengtong.core.testing import make_department, make_region_tree
from zhengtong.ledger import selectors as ledger_selectors
from zhengtong.operations.schedule import periodic_tasks


def test_every_periodic_task_names_a_real_task() -> None:
    from django.utils.module_loading import import_string

    for item in periodic_tasks():
        assert hasattr(import_string(item.task_path), "enqueue"), item.task_path
        assert item.interval_s > 0


@pytest.mark.django_db
def test_one_scheduler_tick_seals_the_ledger() -> None:
    # Something to seal: registering a department writes a ledger entry.
    make_department(region=make_region_tree().city)
    call_command("run_scheduler", "--once", stdout=StringIO())
    head = ledger_selectors.latest_signed_tree_head()
    assert head is not None and head.tree_size > 0
