"""Data quality at its edges: a load during a measurement, an empty dataset, a changed cycle."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.catalog.models import Resource
from zhengtong.core.testing import TEST_ACTOR, make_credit_code
from zhengtong.exchange import quality
from zhengtong.exchange.actions import do_load_dataset_rows, do_register_hosted_dataset
from zhengtong.exchange.models import DatasetVersion, HostedDataset
from zhengtong.exchange.quality import do_measure_dataset_quality
from zhengtong.exchange.tests.cast import ExchangeCast

KEYS = [make_credit_code(seq=n) for n in range(101, 106)]


def _dataset(cast: ExchangeCast) -> HostedDataset:
    return do_register_hosted_dataset(cast.resource, "uscc", actor=TEST_ACTOR)


def _load(dataset: HostedDataset, keys: list[str], source: str) -> None:
    rows = [{"uscc": key, "name": f"企业{key[-4:]}"} for key in keys]
    report = do_load_dataset_rows(dataset, rows, actor=TEST_ACTOR, source_name=source)
    assert report.rejected == 0, report.problems


def test_a_load_committed_during_a_measurement_is_not_named_for_the_older_records(
    cast: ExchangeCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = _dataset(cast)
    _load(dataset, KEYS[:2], "v1.csv")  # version 1: two records
    read_records = quality._active_records
    loads: list[str] = []

    def records_then_a_load(d: HostedDataset) -> Iterator[tuple[str, Any]]:
        yield from read_records(d)
        # Another worker's load commits once the records have been read.
        if not loads:
            loads.append("v2.csv")
            _load(dataset, KEYS[2:], "v2.csv")  # version 2: five records

    monkeypatch.setattr(quality, "_active_records", records_then_a_load)
    report = do_measure_dataset_quality(dataset, actor=TEST_ACTOR)
    assert loads, "the load ran during the measurement"
    figures = report.figures
    records_of_version = {1: 2, 2: 5}
    assert figures["records"] == records_of_version[figures["version"]], (
        figures["version"],
        figures["records"],
    )


def test_an_empty_dataset_has_no_duplicate_percentage_either(cast: ExchangeCast) -> None:
    figures = do_measure_dataset_quality(_dataset(cast), actor=TEST_ACTOR).figures
    assert figures["records"] == 0
    # As for every percentage of a dataset without records (docs/exchange-quality.md).
    assert figures["completeness"]["percent"] is None
    assert figures["validity"]["percent"] is None
    assert figures["duplicates"]["percent"] is None


def test_the_panel_names_the_update_cycle_the_timeliness_was_judged_by(
    cast: ExchangeCast,
) -> None:
    dataset = _dataset(cast)
    _load(dataset, KEYS[:1], "v1.csv")
    Resource.objects.filter(pk=cast.resource.pk).update(update_cycle="monthly")
    DatasetVersion.objects.filter(dataset=dataset).update(at=timezone.now() - dt.timedelta(days=90))
    dataset = HostedDataset.objects.select_related("resource").get(pk=dataset.pk)
    assert do_measure_dataset_quality(dataset, actor=TEST_ACTOR).timeliness == "late"
    # The provider makes the entry irregular afterwards; the report still says
    # late against a monthly cycle, and the panel must not pair it with 不定期.
    Resource.objects.filter(pk=cast.resource.pk).update(update_cycle="irregular")
    panel = Client().get(f"/exchange/quality/resource/{cast.resource.slug}/").content.decode()
    assert "更新逾期" in panel
    assert "每月" in panel and "不定期" not in panel
