"""Registering datasets, checking rows, upserts, versions, the change feed and the ledger."""

import pytest

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.testing import TEST_ACTOR, make_credit_code, make_id_number
from zhengtong.exchange.actions import (
    LoadReport,
    do_delete_dataset_records,
    do_load_dataset_rows,
    do_register_hosted_dataset,
)
from zhengtong.exchange.models import DatasetVersion, HostedDataset, RecordChange
from zhengtong.exchange.selectors import changes_since, lookup_record
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.ledger.models import LedgerEntry

USCC = make_credit_code()
OTHER_USCC = make_credit_code(seq=2)


def _dataset(cast: ExchangeCast) -> HostedDataset:
    return do_register_hosted_dataset(cast.resource, "uscc", actor=TEST_ACTOR)


def _load(dataset: HostedDataset, *rows: dict[str, str]) -> LoadReport:
    return do_load_dataset_rows(dataset, rows, actor=TEST_ACTOR, source_name="t.csv")


def test_register_needs_a_published_resource_and_a_real_key_item(cast: ExchangeCast) -> None:
    draft = catalog.do_create_resource(cast.catalog.market, resource_input(), actor=TEST_ACTOR)
    with pytest.raises(Conflict) as caught:
        do_register_hosted_dataset(draft, "uscc", actor=TEST_ACTOR)
    assert caught.value.code == "not_published"
    with pytest.raises(InvalidInput) as refused:
        do_register_hosted_dataset(cast.resource, "nope", actor=TEST_ACTOR)
    assert refused.value.code == "unknown_key_item"
    _dataset(cast)
    with pytest.raises(Conflict) as again:
        _dataset(cast)
    assert again.value.code == "already_hosted"


@pytest.mark.parametrize(
    ("item", "good", "stored", "bad"),
    [
        ("name", "某某有限公司", "某某有限公司", "一" * 21),
        ("capital", "100.50", "100.50", "一百万"),
        ("capital", "1.5e3", "1500", "1_000"),
        ("capital", "-2", "-2", "NaN"),
        # Refused for its digits before it is written out in full.
        ("capital", "12345678901234.5", "12345678901234.5", "1e999999999"),
        ("founded", "2020-02-29", "2020-02-29", "2021-02-29"),
        ("checked_at", "2024-05-01T08:30:00", "2024-05-01 08:30:00", "2024-05-01 25:00"),
        ("checked_at", "2024-05-01", "2024-05-01 00:00:00", "昨天"),
        ("active", "是", "true", "maybe"),
        ("legal_rep_id", make_id_number().lower(), make_id_number(), "430102199001010000"),
        ("licence", "", None, "0101"),
    ],
)
def test_each_data_type_is_checked(
    cast: ExchangeCast, item: str, good: str, stored: str | None, bad: str
) -> None:
    dataset = _dataset(cast)
    report = do_load_dataset_rows(
        dataset,
        [{"uscc": USCC, item: good}, {"uscc": OTHER_USCC, item: bad}],
        actor=TEST_ACTOR,
        source_name="t.csv",
    )
    assert report.accepted == 1 and report.rejected == 1
    assert [(p.row, p.item) for p in report.problems] == [(3, item)]
    record = lookup_record(dataset, USCC)
    assert record is not None and record.values.get(item) == stored


def test_credit_code_check_digit_and_missing_key(cast: ExchangeCast) -> None:
    dataset = _dataset(cast)
    wrong = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    report = do_load_dataset_rows(
        dataset,
        [{"uscc": wrong}, {"name": "无主键"}, {"uscc": "", "name": ""}, {"uscc": USCC, "x": "1"}],
        actor=TEST_ACTOR,
        source_name="t.csv",
    )
    assert report.accepted == 0
    # The blank row 4 is skipped, not counted; row 5 names the column no item has.
    assert [(p.row, p.item) for p in report.problems] == [(2, "uscc"), (3, "uscc"), (5, "x")]


def test_headers_may_be_item_names_and_duplicates_are_refused(cast: ExchangeCast) -> None:
    dataset = _dataset(cast)
    report = do_load_dataset_rows(
        dataset,
        [{"统一社会信用代码": USCC, "企业名称": "甲"}, {"uscc": USCC, "name": "乙"}],
        actor=TEST_ACTOR,
        source_name="t.csv",
    )
    assert report.accepted == 1 and [p.row for p in report.problems] == [3]
    record = lookup_record(dataset, USCC)
    assert record is not None and record.values == {"uscc": USCC, "name": "甲"}


def test_upsert_feeds_changes_and_keeps_versions(cast: ExchangeCast) -> None:
    dataset = _dataset(cast)
    before = LedgerEntry.objects.count()
    first = do_load_dataset_rows(
        dataset,
        [{"uscc": USCC, "name": "甲"}, {"uscc": OTHER_USCC, "name": "乙"}, {"uscc": "bad"}],
        actor=TEST_ACTOR,
        source_name="first.csv",
    )
    assert (first.created, first.updated, first.rejected) == (2, 0, 1)
    second = _load(dataset, {"uscc": USCC, "name": "甲"}, {"uscc": OTHER_USCC, "name": "丙"})
    assert LedgerEntry.objects.count() == before + 2
    entry = LedgerEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "exchange.load_dataset"
    assert entry.subject_id == str(dataset.pk)
    assert (second.unchanged, second.updated) == (1, 1)
    record = lookup_record(dataset, OTHER_USCC)
    assert record is not None and record.values["name"] == "丙" and record.version.number == 2
    versions = list(DatasetVersion.objects.filter(dataset=dataset).order_by("number"))
    assert [(v.number, v.accepted, v.rejected, v.source_name) for v in versions] == [
        (1, 2, 1, "first.csv"),
        (2, 2, 0, "t.csv"),
    ]
    assert all(len(v.sha256) == 64 for v in versions)
    feed = changes_since(dataset, 0, 100)
    assert [(c.key, c.kind, c.version.number) for c in feed] == [
        (USCC, "created", 1),
        (OTHER_USCC, "created", 1),
        (OTHER_USCC, "updated", 2),
    ]
    assert [c.seq for c in changes_since(dataset, feed[1].seq, 100)] == [feed[2].seq]
    assert changes_since(dataset, feed[2].seq, 100) == []


def test_deleted_records_leave_the_look_up_and_return_as_created(cast: ExchangeCast) -> None:
    dataset = _dataset(cast)
    _load(dataset, {"uscc": USCC})
    before = LedgerEntry.objects.count()
    version = do_delete_dataset_records(
        dataset, [USCC, "unknown"], actor=TEST_ACTOR, source_name="withdrawn"
    )
    assert version.deleted == 1 and LedgerEntry.objects.count() == before + 1
    assert lookup_record(dataset, USCC) is None
    _load(dataset, {"uscc": USCC})
    kinds = list(RecordChange.objects.filter(dataset=dataset).values_list("kind", flat=True))
    assert kinds == ["created", "deleted", "created"]
