"""The database itself refuses to change or remove ledger rows."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from zhengtong.core.actors import Actor
from zhengtong.ledger.actions import do_seal_ledger
from zhengtong.ledger.models import LedgerEntry, LedgerHead, LedgerNode, SignedTreeHead
from zhengtong.ledger.tests.cast import append, raw_sql
from zhengtong.ledger.triggers import expected_triggers, installed_triggers

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed() -> None:
    append(4)
    do_seal_ledger(actor=Actor.system("test"))


def _refused(sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_sql([(sql, ())])


@pytest.mark.parametrize(
    "table", ["ledger_ledgerentry", "ledger_ledgernode", "ledger_signedtreehead"]
)
def test_raw_sql_cannot_update_or_delete_ledger_rows(sealed: None, table: str) -> None:
    before = {
        "ledger_ledgerentry": LedgerEntry.objects.count(),
        "ledger_ledgernode": LedgerNode.objects.count(),
        "ledger_signedtreehead": SignedTreeHead.objects.count(),
    }[table]
    column = {"ledger_ledgerentry": "seq", "ledger_ledgernode": "level"}.get(table, "tree_size")
    _refused(f"UPDATE {table} SET {column} = {column} + 100")  # noqa: S608
    _refused(f"DELETE FROM {table}")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        assert cursor.fetchone()[0] == before


def test_the_orm_cannot_edit_or_delete_an_entry(sealed: None) -> None:
    entry = LedgerEntry.objects.get(seq=1)
    entry.action = "core.something_else"
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(seq=1).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        SignedTreeHead.objects.all().delete()
    assert LedgerEntry.objects.get(seq=1).action == "core.register_person"


def test_the_head_pointer_may_move(sealed: None) -> None:
    append(1)
    assert LedgerHead.objects.get().tree_size == 5


def test_every_append_only_trigger_is_installed() -> None:
    expected = expected_triggers(connection.vendor)
    assert len(expected) == 6
    assert expected <= installed_triggers(connection)


def test_flush_empties_the_ledger_with_everything_else(sealed: None) -> None:
    call_command("flush", interactive=False, verbosity=0)
    assert not LedgerEntry.objects.exists()
    assert not LedgerNode.objects.exists()
    assert not SignedTreeHead.objects.exists()
    # And the triggers guard the ledger again afterwards.
    append(2)
    _refused("DELETE FROM ledger_ledgerentry")
