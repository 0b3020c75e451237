"""Data quality: the figures on small crafted datasets, the pages, the task and the command."""

import datetime as dt
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.testing import TEST_ACTOR, make_credit_code, make_id_number
from zhengtong.exchange.actions import do_load_dataset_rows, do_register_hosted_dataset
from zhengtong.exchange.models import DatasetVersion, HostedDataset, QualityReport, Record
from zhengtong.exchange.quality import do_measure_dataset_quality, schedule
from zhengtong.exchange.tasks import (
    measure_all_datasets_quality,
    measure_dataset_quality,
    queue_quality_measurement,
)
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

KEYS = [make_credit_code(seq=n) for n in range(1, 7)]
# Record values that must never reach a page.
SECRET_NAME = "湘江某某科技有限公司"
OTHER_NAME = "岳麓某某贸易有限公司"


def _dataset(cast: ExchangeCast) -> HostedDataset:
    return do_register_hosted_dataset(cast.resource, "uscc", actor=TEST_ACTOR)


def _load(dataset: HostedDataset, rows: list[dict[str, str]]) -> None:
    report = do_load_dataset_rows(dataset, rows, actor=TEST_ACTOR, source_name="t.csv")
    assert report.rejected == 0, report.problems


def _measure(dataset: HostedDataset) -> QualityReport:
    return do_measure_dataset_quality(dataset, actor=TEST_ACTOR)


def _full_row(key: str, name: str) -> dict[str, str]:
    return {
        "uscc": key,
        "name": name,
        "capital": "100",
        "founded": "2020-01-01",
        "checked_at": "2024-05-01 08:00:00",
        "active": "是",
        "legal_rep_id": "",
    }


def _item(figures: dict[str, Any], part: str, code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [i for i in figures[part]["items"] if i["code"] == code]
    assert len(found) == 1, (part, code)
    return found[0]


def _publish(cast: ExchangeCast, code: str, name: str, **changes: object) -> Resource:
    officer = actor_of(cast.catalog.officer)
    resource = catalog.do_create_resource(
        cast.catalog.market, resource_input(code, name=name, **changes), actor=officer
    )
    resource = catalog.do_submit_resource(resource, actor=officer)
    resource = catalog.do_review_resource(resource, actor=TEST_ACTOR)
    return catalog.do_publish_resource(resource, actor=TEST_ACTOR)


# --- Figures -------------------------------------------------------------------


def test_a_complete_fresh_dataset_without_problems_scores_100(cast: ExchangeCast) -> None:
    dataset = _dataset(cast)
    rows = [_full_row(key, f"企业{n}") for n, key in enumerate(KEYS[:3])]
    for n, row in enumerate(rows, start=1):
        row["legal_rep_id"] = make_id_number(seq=n)
    _load(dataset, rows)
    report = _measure(dataset)
    assert report.score == 100
    assert report.figures["completeness"]["percent"] == 100.0
    assert report.figures["validity"]["percent"] == 100.0
    assert report.figures["duplicates"]["records"] == 0
    assert report.timeliness == "on_time"


def test_completeness_per_item_and_overall_leaves_binary_items_out(cast: ExchangeCast) -> None:
    dataset = _dataset(cast)
    _load(
        dataset,
        [
            {"uscc": KEYS[0], "name": "甲", "capital": "1"},
            {"uscc": KEYS[1], "name": "乙", "capital": "2"},
            {"uscc": KEYS[2], "capital": "3"},
            {"uscc": KEYS[3], "capital": "4"},
        ],
    )
    figures = _measure(dataset).figures
    assert figures["records"] == 4
    name = _item(figures, "completeness", "name")
    assert (name["filled"], name["percent"], name["required"]) == (2, 50.0, True)
    assert _item(figures, "completeness", "capital")["percent"] == 100.0
    assert _item(figures, "completeness", "founded")["percent"] == 0.0
    assert _item(figures, "completeness", "licence")["required"] is False
    # Seven required items (all but the binary licence): 4 + 2 + 4 filled of 4 × 7.
    assert figures["completeness"]["percent"] == round(100 * 10 / 28, 1)


def test_deleted_records_are_not_measured(cast: ExchangeCast) -> None:
    from zhengtong.exchange.actions import do_delete_dataset_records

    dataset = _dataset(cast)
    _load(dataset, [{"uscc": KEYS[0], "name": "甲"}, {"uscc": KEYS[1]}])
    do_delete_dataset_records(dataset, [KEYS[1]], actor=TEST_ACTOR, source_name="withdraw")
    figures = _measure(dataset).figures
    assert figures["records"] == 1
    assert _item(figures, "completeness", "name")["percent"] == 100.0


def test_validity_catches_values_stored_before_a_rule_or_an_item_changed(
    cast: ExchangeCast,
) -> None:
    dataset = _dataset(cast)
    _load(
        dataset,
        [
            {"uscc": KEYS[0], "name": "长沙甲公司", "capital": "1"},
            {"uscc": KEYS[1], "name": "乙", "capital": "2"},
            {"uscc": KEYS[2], "name": "丙", "capital": "3"},
        ],
    )
    # A value written before the check existed, and a value of an item that is gone.
    record = Record.objects.get(dataset=dataset, key=KEYS[1])
    record.values = {**record.values, "capital": "一百万", "fax": "0731-1234"}
    Record.objects.filter(pk=record.pk).update(values=record.values)
    # The item's definition changed after the load: names are now at most 2 characters.
    InformationItem.objects.filter(resource=cast.resource, code="name").update(length=2)
    figures = _measure(dataset).figures
    validity = figures["validity"]
    # Stored values: 3 keys, 3 names, 3 capitals, 1 fax.
    assert (validity["checked"], validity["invalid"]) == (10, 3)
    assert validity["percent"] == 70.0
    assert _item(figures, "validity", "capital")["example_keys"] == [KEYS[1]]
    assert _item(figures, "validity", "name")["invalid"] == 1
    assert _item(figures, "validity", "name")["example_keys"] == [KEYS[0]]
    assert validity["unknown_items"] == [{"code": "fax", "values": 1}]
    # The unknown item counts for validity, not for completeness.
    assert "fax" not in [item["code"] for item in figures["completeness"]["items"]]


def test_two_records_alike_but_for_their_key_are_duplicates(cast: ExchangeCast) -> None:
    dataset = _dataset(cast)
    _load(
        dataset,
        [
            _full_row(KEYS[0], SECRET_NAME),
            _full_row(KEYS[1], OTHER_NAME),
            _full_row(KEYS[2], SECRET_NAME),
            # Records with nothing but their key are incomplete, not duplicates.
            {"uscc": KEYS[3]},
            {"uscc": KEYS[4]},
        ],
    )
    report = _measure(dataset)
    duplicates = report.figures["duplicates"]
    assert (duplicates["records"], duplicates["groups"], duplicates["surplus"]) == (2, 1, 1)
    assert duplicates["example_keys"] == [[KEYS[0], KEYS[2]]]
    assert duplicates["percent"] == 40.0


def test_a_stale_dataset_is_due_then_late(cast: ExchangeCast) -> None:
    dataset = _dataset(cast)
    _load(dataset, [_full_row(KEYS[0], "甲")])
    Resource.objects.filter(pk=cast.resource.pk).update(update_cycle="monthly")
    dataset.refresh_from_db()
    dataset.resource.refresh_from_db()
    fresh = _measure(dataset)
    DatasetVersion.objects.filter(dataset=dataset).update(at=timezone.now() - dt.timedelta(days=90))
    stale = _measure(dataset)
    assert (fresh.timeliness, stale.timeliness) == ("on_time", "late")
    # Timeliness is a quarter of the score.
    assert fresh.score - stale.score == 25
    timing = stale.figures["timeliness"]
    assert timing["update_cycle"] == "monthly"
    assert dt.datetime.fromisoformat(timing["expected"]) < timezone.now()


def test_a_load_whose_rows_were_all_rejected_is_no_update(cast: ExchangeCast) -> None:
    dataset = _dataset(cast)
    _load(dataset, [_full_row(KEYS[0], "甲")])
    DatasetVersion.objects.filter(dataset=dataset).update(at=timezone.now() - dt.timedelta(days=30))
    do_load_dataset_rows(dataset, [{"uscc": "bad"}], actor=TEST_ACTOR, source_name="bad.csv")
    assert _measure(dataset).timeliness == "late"  # realtime: expected within a working day


def _shanghai(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


def test_daily_allowances_count_working_days() -> None:
    friday = _shanghai(2025, 3, 7, 10)
    # Expected by the end of the next working day, Monday; Tuesday is the grace day.
    assert schedule("daily", friday, _shanghai(2025, 3, 9, 23)).state == "on_time"
    assert schedule("daily", friday, _shanghai(2025, 3, 10, 20)).state == "on_time"
    assert schedule("daily", friday, _shanghai(2025, 3, 11, 12)).state == "due"
    assert schedule("daily", friday, _shanghai(2025, 3, 12, 1)).state == "late"
    # National Day week: no working day from 1 to 7 October 2025.
    before_holiday = _shanghai(2025, 9, 30, 16)
    assert schedule("realtime", before_holiday, _shanghai(2025, 10, 7, 12)).state == "on_time"


def test_monthly_and_irregular_allowances() -> None:
    last = _shanghai(2025, 1, 31, 9)
    monthly = schedule("monthly", last, _shanghai(2025, 2, 28, 23))
    assert monthly.state == "on_time"
    assert monthly.expected is not None and monthly.expected.date() == dt.date(2025, 2, 28)
    assert schedule("monthly", last, _shanghai(2025, 3, 3, 12)).state == "due"
    assert schedule("monthly", last, _shanghai(2025, 3, 20, 12)).state == "late"
    irregular = schedule("irregular", last, _shanghai(2030, 1, 1))
    assert (irregular.state, irregular.expected) == ("on_time", None)


def test_an_empty_dataset_scores_nothing(cast: ExchangeCast) -> None:
    report = _measure(_dataset(cast))
    assert report.score == 0
    assert report.figures["records"] == 0
    assert report.figures["completeness"]["percent"] is None


def test_each_measurement_is_kept_with_one_ledger_entry(
    cast: ExchangeCast,
) -> None:
    dataset = _dataset(cast)
    _load(dataset, [_full_row(KEYS[0], SECRET_NAME), _full_row(KEYS[1], SECRET_NAME)])
    before = LedgerEntry.objects.count()
    first, second = _measure(dataset), _measure(dataset)
    assert QualityReport.objects.filter(dataset=dataset).count() == 2
    assert first.pk != second.pk
    entries = list(LedgerEntry.objects.order_by("seq")[before:])
    assert [e.action for e in entries] == ["exchange.measure_quality"] * 2
    assert {(e.subject_type, e.subject_id) for e in entries} == {
        ("exchange.HostedDataset", str(dataset.pk))
    }


# --- Task and hook -------------------------------------------------------------


def test_a_load_hook_measures_after_the_commit(
    cast: ExchangeCast,
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[list[Any]]],
) -> None:
    dataset = _dataset(cast)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _load(dataset, [_full_row(KEYS[0], "甲")])
    assert len(callbacks) == 1
    report = QualityReport.objects.get(dataset=dataset)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queue_quality_measurement(dataset.pk)
        assert QualityReport.objects.count() == 1
    assert len(callbacks) == 1
    assert QualityReport.objects.filter(dataset=dataset).exclude(pk=report.pk).count() == 1


def test_the_daily_task_measures_every_dataset(cast: ExchangeCast) -> None:
    first = _dataset(cast)
    second = do_register_hosted_dataset(
        _publish(cast, "304000000/000002", "另一目录"), "uscc", actor=TEST_ACTOR
    )
    result = measure_all_datasets_quality.enqueue()
    assert result.return_value == 2
    assert {r.dataset_id for r in QualityReport.objects.all()} == {first.pk, second.pk}
    assert measure_dataset_quality.enqueue(second.pk + 1000).return_value is None


# --- Pages ---------------------------------------------------------------------


@pytest.fixture
def measured(cast: ExchangeCast) -> HostedDataset:
    """A measured dataset with two duplicate records and an invalid value."""
    dataset = _dataset(cast)
    _load(
        dataset,
        [
            _full_row(KEYS[0], SECRET_NAME),
            _full_row(KEYS[1], SECRET_NAME),
            {"uscc": KEYS[2], "name": OTHER_NAME},
        ],
    )
    record = Record.objects.get(dataset=dataset, key=KEYS[2])
    Record.objects.filter(pk=record.pk).update(values={**record.values, "capital": "很多"})
    _measure(dataset)
    return dataset


def _panel(client: Client, resource: Resource) -> str:
    response = client.get(f"/exchange/quality/resource/{resource.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_resource_page_loads_the_quality_panel(
    cast: ExchangeCast, measured: HostedDataset
) -> None:
    page = Client().get(f"/catalog/resource/{cast.resource.slug}/").content.decode()
    assert f'hx-get="/exchange/quality/resource/{cast.resource.slug}/"' in page


def test_everyone_sees_the_figures_but_no_key_and_no_value(
    cast: ExchangeCast, measured: HostedDataset
) -> None:
    anonymous = Client()
    county = Client()
    county.force_login(cast.catalog.county_officer)
    report = QualityReport.objects.get(dataset=measured)
    for client in (anonymous, county):
        panel = _panel(client, cast.resource)
        assert "数据质量" in panel and f"<strong>{report.score}</strong>" in panel
        assert "<meter" in panel and "重复记录" in panel
        for secret in (*KEYS[:3], SECRET_NAME, OTHER_NAME, "很多"):
            assert secret not in panel


def test_the_provider_and_the_data_bureau_see_example_keys_but_no_value(
    cast: ExchangeCast, measured: HostedDataset
) -> None:
    for user in (cast.catalog.officer, cast.catalog.bureau):
        client = Client()
        client.force_login(user)
        panel = _panel(client, cast.resource)
        assert KEYS[0] in panel and KEYS[1] in panel  # the duplicate pair
        assert KEYS[2] in panel  # the invalid capital
        for value in (SECRET_NAME, OTHER_NAME, "很多"):
            assert value not in panel


def test_the_panel_of_an_unmeasured_unhosted_or_hidden_resource(cast: ExchangeCast) -> None:
    client = Client()
    assert _panel(client, cast.resource).strip() == ""  # not hosted
    _dataset(cast)
    assert "尚未进行质量评估" in _panel(client, cast.resource)
    draft = catalog.do_create_resource(
        cast.catalog.market, resource_input("304000000/000009"), actor=TEST_ACTOR
    )
    assert client.get(f"/exchange/quality/resource/{draft.slug}/").status_code == 404


def test_the_overview_is_for_the_data_bureau(cast: ExchangeCast, measured: HostedDataset) -> None:
    response = Client().get("/exchange/quality/")
    assert response.status_code == 302 and "login" in response["Location"]
    officer = Client()
    officer.force_login(cast.catalog.officer)
    assert officer.get("/exchange/quality/").status_code == 403
    bureau = Client()
    bureau.force_login(cast.catalog.bureau)
    page = bureau.get("/exchange/quality/").content.decode()
    assert cast.resource.name in page
    for secret in (*KEYS[:3], SECRET_NAME, OTHER_NAME):
        assert secret not in page


def test_the_overview_puts_the_worst_first_and_sorts_by_any_column(
    cast: ExchangeCast, measured: HostedDataset
) -> None:
    good = do_register_hosted_dataset(
        _publish(cast, "304000000/000002", "完好目录"), "uscc", actor=TEST_ACTOR
    )
    _load(
        good,
        [
            {"uscc": key, "name": name, "legal_rep_id": make_id_number(seq=n), "phone": "0731-1"}
            for n, (key, name) in enumerate([(KEYS[4], "甲"), (KEYS[5], "乙")], start=1)
        ],
    )
    _measure(good)
    never = _publish(cast, "304000000/000003", "未评估目录")
    do_register_hosted_dataset(never, "uscc", actor=TEST_ACTOR)
    worse = QualityReport.objects.get(dataset=measured)
    better = QualityReport.objects.get(dataset=good)
    assert worse.score < better.score

    bureau = Client()
    bureau.force_login(cast.catalog.bureau)

    def order(query: dict[str, str], **headers: str) -> list[str]:
        page = bureau.get("/exchange/quality/", query, headers=headers).content.decode()
        names = [cast.resource.name, "完好目录", "未评估目录"]
        return sorted(names, key=page.index)

    assert order({}) == ["未评估目录", cast.resource.name, "完好目录"]
    assert order({"sort": "-score"}) == ["完好目录", cast.resource.name, "未评估目录"]
    assert order({"sort": "duplicates"}) == ["未评估目录", cast.resource.name, "完好目录"]
    assert order({"sort": "nonsense"}) == order({})
    partial = bureau.get("/exchange/quality/", {"sort": "validity"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "完好目录" in partial.content.decode()
    # A phone, whose table head is hidden, sorts from the bar above the table.
    bar = re.search(r'<p class="sort-bar">(.*?)</p>', partial.content.decode(), re.S)
    assert bar is not None
    assert 'aria-current="true">有效性 ↓</a>' in bar.group(1)
    assert 'hx-get="?sort=score"' in bar.group(1)


# --- The command ---------------------------------------------------------------


def test_the_command_measures_every_dataset_or_one(cast: ExchangeCast) -> None:
    first = _dataset(cast)
    _load(first, [_full_row(KEYS[0], "甲")])
    other = _publish(cast, "304000000/000002", "另一目录")
    second = do_register_hosted_dataset(other, "uscc", actor=TEST_ACTOR)
    out = StringIO()
    call_command("measure_quality", stdout=out)
    assert cast.resource.code in out.getvalue() and other.code in out.getvalue()
    assert QualityReport.objects.filter(dataset=first).count() == 1
    out = StringIO()
    call_command("measure_quality", "--resource", other.slug, stdout=out)
    assert other.code in out.getvalue() and cast.resource.code not in out.getvalue()
    assert QualityReport.objects.filter(dataset=second).count() == 2
    assert QualityReport.objects.filter(dataset=first).count() == 1
    with pytest.raises(CommandError):
        call_command("measure_quality", "--resource", "999000000/000001", stdout=StringIO())
