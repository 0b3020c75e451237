"""The PostgreSQL backend: parameters bound by the server, repeated statements prepared,
bulk statements kept under the server's parameter limit; and pipelined blocks on either database.
"""

import pytest
from django.db import DatabaseError, connection, transaction

from zhengtong.core.models import Region, RegionLevel
from zhengtong.core.sql import pipelined

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL backend's own behaviour"
)


def _regions(count: int) -> list[Region]:
    return [
        Region(code=f"9{n:08d}", name=f"区划{n}", level=RegionLevel.TOWNSHIP, path=f"9{n:08d}")
        for n in range(count)
    ]


@on_postgresql
@pytest.mark.django_db
def test_a_statement_run_again_is_prepared_on_the_server() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        before = cursor.fetchone()[0]
        for _ in range(6):
            list(Region.objects.filter(code="110000").values_list("name"))
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        after = cursor.fetchone()[0]
    assert after > before


@on_postgresql
@pytest.mark.django_db
def test_bulk_writes_over_the_servers_parameter_limit_are_split() -> None:
    # 14,000 rows of 5 columns is 70,000 parameters; the protocol takes 65,535 a statement.
    rows = _regions(14_000)
    Region.objects.bulk_create(rows)
    for row in rows:
        row.name = row.name + "街道"
    # bulk_update binds two parameters a field and row (CASE … WHEN pk THEN value).
    Region.objects.bulk_update(rows, ["name", "path"])
    assert Region.objects.filter(code__startswith="9", name__endswith="街道").count() == 14_000
    Region.objects.filter(code__startswith="9").delete()
    assert not Region.objects.filter(code__startswith="9").exists()


@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_pipelined_write_rolls_the_whole_transaction_back() -> None:
    first, second = _regions(2)
    with pytest.raises(DatabaseError), transaction.atomic(), pipelined("default"):
        first.save(force_insert=True)
        second.save(force_insert=True)
        # The same key again: on PostgreSQL the error comes when the block ends.
        Region(code=second.code, name="重复", level=RegionLevel.TOWNSHIP, path="x").save(
            force_insert=True
        )
    assert not Region.objects.filter(code__in=[first.code, second.code]).exists()


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_pipelined_block_see_its_earlier_writes() -> None:
    first, second = _regions(2)
    with transaction.atomic(), pipelined("default"):
        first.save(force_insert=True)
        second.save(force_insert=True)
        seen = set(Region.objects.filter(code__startswith="9").values_list("code", flat=True))
    assert seen == {first.code, second.code}
    assert Region.objects.filter(code__startswith="9").count() == 2
