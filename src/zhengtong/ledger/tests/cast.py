"""The ledger tests' cast and helpers.

孙七 audits the city (the auditor role holds ``ledger.view_entries``); 李四 is
a clerk of the county market bureau and may not read the ledger.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from zhengtong.core.actors import Actor
from zhengtong.core.testing import TEST_ACTOR, make_department, make_region_tree
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import User
from zhengtong.ledger.actions import PendingEntry, record_entries
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.triggers import APPEND_ONLY_TABLES

PASSWORD = "Zhengtong-ledger-2025"
ZHANGSAN = Actor(kind="user", id="7", label="张*")


@dataclass(frozen=True)
class LedgerCast:
    auditor: User
    clerk: User


def make_cast() -> LedgerCast:
    tree = make_region_tree()
    city_office = make_department(
        "长沙市人民政府办公厅", code="changsha-office", region=tree.city, short_name="市政府办"
    )
    county_bureau = make_department(
        "芙蓉区市场监督管理局", code="furong-amr", region=tree.furong, short_name="芙蓉区市场监管局"
    )
    return LedgerCast(
        auditor=do_create_staff(
            "sunqi", PASSWORD, "孙七", city_office, ["auditor"], actor=TEST_ACTOR, scope="region"
        ),
        clerk=do_create_staff("lisi", PASSWORD, "李四", county_bureau, ["clerk"], actor=TEST_ACTOR),
    )


def append(
    count: int,
    *,
    actor: Actor = ZHANGSAN,
    action: str = "core.register_person",
    subject_type: str = "core.Person",
    data: dict[str, Any] | None = None,
) -> list[LedgerEntry]:
    """Append ``count`` entries in one action-like transaction."""
    with transaction.atomic(durable=True):
        return record_entries(
            [PendingEntry(actor, action, subject_type, n, data or {"n": n}) for n in range(count)]
        )


@contextmanager
def triggers_off() -> Iterator[None]:
    """Take the append-only triggers away, as an attacker with the database would.

    Inside a test's transaction, so the rollback at the end restores them.
    """
    with connection.cursor() as cursor:
        for table in APPEND_ONLY_TABLES:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER {table}_no_update")
                cursor.execute(f"DROP TRIGGER {table}_no_delete")
            else:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    yield


def raw_sql(statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
