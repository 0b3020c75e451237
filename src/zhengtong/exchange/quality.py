"""The data quality of hosted datasets: completeness, validity, timeliness and duplicates.

Definitions, the allowances per update cycle and the score formula are in
docs/exchange-quality.md. In short, over a dataset's active (not deleted)
records:

* completeness: the share of records with a non-empty value, per item and
  over all required items (every item except binary ones);
* validity: the share of stored values that still pass ``rows.clean_value``
  for their item today, so that values loaded before a rule or an item's
  definition changed show up; a value under a code that is no item of the
  resource any more is invalid;
* timeliness: the time since the last load against the resource's update
  cycle: on time, due (past the expected update, within the grace period)
  or late;
* duplicates: records whose non-key values are all equal to another
  record's, most likely one subject under two keys.

Datasets can hold a million records, so the records are streamed in chunks
(at most two passes, the second only when there are duplicates), and the
measurement runs as a background task (``exchange.tasks``), never in a request.
Figures never contain record values; example keys are kept for the provider's
officers and the data bureau, and the pages show them to nobody else.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from zhengtong.catalog.models import DataType, InformationItem, UpdateCycle
from zhengtong.core.actors import Actor
from zhengtong.core.calendar import SHANGHAI, add_working_days
from zhengtong.exchange.models import (
    DatasetVersion,
    HostedDataset,
    QualityReport,
    Record,
    Timeliness,
)
from zhengtong.exchange.rows import BadValue, clean_value
from zhengtong.ledger.actions import record_entry

CHUNK_SIZE = 2000
# Example keys kept per finding, and duplicate groups given with examples.
EXAMPLE_KEYS = 5
EXAMPLE_GROUPS = 5
# Verdicts remembered per item: enumerations and booleans repeat a lot, and
# the bound keeps memory flat for items whose values are all different.
_VERDICT_CACHE = 10_000
# Measurements of one dataset when loads commit while its records are read.
MEASURE_ATTEMPTS = 3

# Points of the 0-100 score; see docs/exchange-quality.md.
WEIGHTS = {"completeness": 30, "validity": 30, "timeliness": 25, "uniqueness": 15}
TIMELINESS_CREDIT = {Timeliness.ON_TIME: 1.0, Timeliness.DUE: 0.5, Timeliness.LATE: 0.0}
# Worst first, for sorting.
TIMELINESS_RANK = {Timeliness.LATE: 0, Timeliness.DUE: 1, Timeliness.ON_TIME: 2}


@dataclass(frozen=True, slots=True)
class Allowance:
    """How long after a load the next one is expected, and how long it may then be late.

    The period is counted in working days (``working_days``) for cycles of a
    day or less, so that weekends and public holidays are not counted against
    the provider, and in calendar days or months otherwise. ``grace`` is in
    working days after the expected update.
    """

    grace: int
    working_days: int = 0
    days: int = 0
    months: int = 0


ALLOWANCES: dict[str, Allowance] = {
    UpdateCycle.REALTIME: Allowance(grace=1, working_days=1),
    UpdateCycle.DAILY: Allowance(grace=1, working_days=1),
    UpdateCycle.WEEKLY: Allowance(grace=2, days=7),
    UpdateCycle.MONTHLY: Allowance(grace=5, months=1),
    UpdateCycle.QUARTERLY: Allowance(grace=10, months=3),
    UpdateCycle.HALF_YEARLY: Allowance(grace=10, months=6),
    UpdateCycle.YEARLY: Allowance(grace=20, months=12),
}


@dataclass(frozen=True, slots=True)
class Schedule:
    state: Timeliness
    expected: dt.datetime | None
    late_after: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Measurement:
    measured_at: dt.datetime
    score: int
    timeliness: Timeliness
    figures: dict[str, Any]


# --- Timeliness ----------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=SHANGHAI)


def schedule(update_cycle: str, last_update: dt.datetime, now: dt.datetime) -> Schedule:
    """Say whether a dataset last loaded at ``last_update`` is on time, due or late at ``now``."""
    allowance = ALLOWANCES.get(update_cycle)
    if allowance is None:  # irregular: no update is ever expected
        return Schedule(Timeliness.ON_TIME, None, None)
    if allowance.working_days:
        expected = add_working_days(last_update, allowance.working_days)
    else:
        day = last_update.astimezone(SHANGHAI).date()
        expected = _end_of(_add_months(day, allowance.months) + dt.timedelta(days=allowance.days))
    late_after = add_working_days(expected, allowance.grace)
    if now <= expected:
        state = Timeliness.ON_TIME
    elif now <= late_after:
        state = Timeliness.DUE
    else:
        state = Timeliness.LATE
    return Schedule(state, expected, late_after)


def last_update(dataset: HostedDataset) -> dt.datetime:
    """When the dataset's data last changed or was confirmed by a load.

    A load whose rows were all rejected does not count; a dataset never
    loaded counts from its registration.
    """
    latest = DatasetVersion.objects.filter(
        Q(accepted__gt=0) | Q(deleted__gt=0), dataset=dataset
    ).aggregate(at=Max("at"))["at"]
    return latest or dataset.created_at


# --- Records -------------------------------------------------------------------


def _active_records(dataset: HostedDataset) -> Iterator[tuple[str, Any]]:
    rows = (
        Record.objects.filter(dataset=dataset, deleted=False)
        .order_by("pk")
        .values_list("key", "values")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for key, values in rows:
        yield key, values if isinstance(values, dict) else {}


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _fingerprint(values: Mapping[str, Any], key_code: str) -> int | None:
    """A 64-bit fingerprint of a record's non-empty non-key values; None if it has none.

    Records without any value besides their key are a completeness problem,
    not duplicates of each other.
    """
    rest = {c: v for c, v in values.items() if c != key_code and not _is_empty(v)}
    if not rest:
        return None
    text = json.dumps(rest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class _Validator:
    """Whether a stored value still passes its item's check, remembering recent verdicts."""

    def __init__(self, item: InformationItem) -> None:
        self.item = item
        self.verdicts: dict[str, bool] = {}

    def valid(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        verdict = self.verdicts.get(value)
        if verdict is None:
            try:
                clean_value(self.item, value)
                verdict = True
            except BadValue:
                verdict = False
            if len(self.verdicts) < _VERDICT_CACHE:
                self.verdicts[value] = verdict
        return verdict


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _percent(fraction: float) -> float:
    return float(Decimal(str(fraction * 100)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _duplicate_groups(hashes: array[int]) -> list[tuple[int, int]]:
    """(fingerprint, size) of every fingerprint that more than one record has."""
    groups: list[tuple[int, int]] = []
    ordered = sorted(hashes)
    start = 0
    for index in range(1, len(ordered) + 1):
        if index == len(ordered) or ordered[index] != ordered[start]:
            if index - start > 1:
                groups.append((ordered[start], index - start))
            start = index
    return groups


def _example_keys(
    records: Iterable[tuple[str, Any]], key_code: str, wanted: Sequence[tuple[int, int]]
) -> list[list[str]]:
    """The first keys of each wanted (fingerprint, size) group; stops once all are found."""
    keys: dict[int, list[str]] = {fingerprint: [] for fingerprint, _ in wanted}
    needed = {fingerprint: min(size, EXAMPLE_KEYS) for fingerprint, size in wanted}
    open_groups = len(wanted)
    for key, values in records:
        fingerprint = _fingerprint(values, key_code)
        if fingerprint is None or fingerprint not in keys:
            continue
        found = keys[fingerprint]
        if len(found) >= needed[fingerprint]:
            continue
        found.append(key)
        if len(found) == needed[fingerprint]:
            open_groups -= 1
            if not open_groups:
                break
    return [keys[fingerprint] for fingerprint, _ in wanted]


# --- Measuring -----------------------------------------------------------------


def _latest_version(dataset: HostedDataset) -> int:
    return int(dataset.versions.aggregate(n=Max("number"))["n"] or 0)


def measure_dataset(dataset: HostedDataset, *, now: dt.datetime | None = None) -> Measurement:
    """Measure a dataset's quality over its active records; writes nothing.

    The records are read outside any transaction, so a load may commit while
    they are read. The version and the last update are therefore read before
    the records, and the measurement is made again when the version moved
    meanwhile: the report's figures must be those of the version it names.
    """
    version = _latest_version(dataset)
    measurement = _measure_version(dataset, version, now=now)
    for _attempt in range(1, MEASURE_ATTEMPTS):
        moved = _latest_version(dataset)
        if moved == version:
            break
        version = moved
        measurement = _measure_version(dataset, version, now=now)
    # Should loads keep coming, the last measurement stands under the version it
    # began with; the measurement each load queues follows it.
    return measurement


def _measure_version(
    dataset: HostedDataset, latest_version: int, *, now: dt.datetime | None
) -> Measurement:
    now = now or timezone.now()
    updated_at = last_update(dataset)
    resource = dataset.resource
    key_code = dataset.key_item_code
    items = list(resource.items.order_by("position"))
    validators = {item.code: _Validator(item) for item in items}
    filled: Counter[str] = Counter()
    invalid: Counter[str] = Counter()
    invalid_keys: dict[str, list[str]] = {}
    unknown: Counter[str] = Counter()
    hashes: array[int] = array("Q")
    records = 0
    for key, values in _active_records(dataset):
        records += 1
        for code, value in values.items():
            if _is_empty(value):
                continue
            validator = validators.get(code)
            if validator is None:
                unknown[code] += 1
                continue
            filled[code] += 1
            if not validator.valid(value):
                invalid[code] += 1
                examples = invalid_keys.setdefault(code, [])
                if len(examples) < EXAMPLE_KEYS:
                    examples.append(key)
        fingerprint = _fingerprint(values, key_code)
        if fingerprint is not None:
            hashes.append(fingerprint)

    groups = _duplicate_groups(hashes)
    del hashes
    duplicate_records = sum(size for _, size in groups)
    surplus = duplicate_records - len(groups)
    largest = sorted(groups, key=lambda group: (-group[1], group[0]))[:EXAMPLE_GROUPS]
    duplicate_keys = _example_keys(_active_records(dataset), key_code, largest) if largest else []

    required = [item for item in items if item.data_type != DataType.BINARY]
    completeness = _share(sum(filled[item.code] for item in required), records * len(required))
    checked = sum(filled.values()) + sum(unknown.values())
    wrong = sum(invalid.values()) + sum(unknown.values())
    validity = _share(checked - wrong, checked)
    uniqueness = 1 - _share(surplus, records) if records else 1.0
    timing = schedule(resource.update_cycle, updated_at, now)
    if records:
        points = (
            WEIGHTS["completeness"] * completeness
            + WEIGHTS["validity"] * validity
            + WEIGHTS["timeliness"] * TIMELINESS_CREDIT[timing.state]
            + WEIGHTS["uniqueness"] * uniqueness
        )
        score = int(Decimal(str(points)).quantize(Decimal("1"), ROUND_HALF_UP))
    else:
        score = 0  # an empty dataset serves nobody, whatever else holds
    figures: dict[str, Any] = {
        "records": records,
        "version": latest_version,
        "completeness": {
            "percent": _percent(completeness) if records else None,
            "items": [
                {
                    "code": item.code,
                    "name": item.name,
                    "required": item.data_type != DataType.BINARY,
                    "filled": filled[item.code],
                    "percent": _percent(_share(filled[item.code], records)) if records else None,
                }
                for item in items
            ],
        },
        "validity": {
            "percent": _percent(validity) if records else None,
            "checked": checked,
            "invalid": wrong,
            "items": [
                {
                    "code": item.code,
                    "name": item.name,
                    "checked": filled[item.code],
                    "invalid": invalid[item.code],
                    "example_keys": invalid_keys.get(item.code, []),
                }
                for item in items
                if invalid[item.code]
            ],
            "unknown_items": [{"code": c, "values": n} for c, n in sorted(unknown.items())],
        },
        "timeliness": {
            "state": timing.state.value,
            "update_cycle": resource.update_cycle,
            "last_update": updated_at.isoformat(),
            "expected": timing.expected.isoformat() if timing.expected else None,
            "late_after": timing.late_after.isoformat() if timing.late_after else None,
        },
        "duplicates": {
            "records": duplicate_records,
            "groups": len(groups),
            "surplus": surplus,
            "percent": _percent(_share(duplicate_records, records)) if records else None,
            "example_keys": duplicate_keys,
        },
        "score_parts": {
            "completeness": round(WEIGHTS["completeness"] * completeness, 2) if records else 0,
            "validity": round(WEIGHTS["validity"] * validity, 2) if records else 0,
            "timeliness": WEIGHTS["timeliness"] * TIMELINESS_CREDIT[timing.state] if records else 0,
            "uniqueness": round(WEIGHTS["uniqueness"] * uniqueness, 2) if records else 0,
        },
    }
    return Measurement(measured_at=now, score=score, timeliness=timing.state, figures=figures)


def do_measure_dataset_quality(dataset: HostedDataset, *, actor: Actor) -> QualityReport:
    """Measure a dataset's quality and keep the report beside the earlier ones.

    The records are read before the transaction opens, so that a long
    measurement holds no lock and blocks no load.
    """
    measurement = measure_dataset(dataset)
    figures = measurement.figures
    with transaction.atomic(durable=True):
        report = QualityReport.objects.create(
            dataset=dataset,
            measured_at=measurement.measured_at,
            score=measurement.score,
            timeliness=measurement.timeliness,
            figures=figures,
        )
        # A summary only: the report row keeps the figures, example keys among them.
        record_entry(
            actor=actor,
            action="exchange.measure_quality",
            subject_type="exchange.HostedDataset",
            subject_id=dataset.pk,
            data={
                "resource": dataset.resource.code,
                "report": report.pk,
                "version": figures["version"],
                "records": figures["records"],
                "score": report.score,
                "completeness": figures["completeness"]["percent"],
                "validity": figures["validity"]["percent"],
                "timeliness": report.timeliness,
                "duplicates": figures["duplicates"]["records"],
            },
        )
    return report


# --- Reads ---------------------------------------------------------------------


def latest_report(dataset: HostedDataset) -> QualityReport | None:
    """The dataset's newest quality report."""
    return dataset.quality_reports.order_by("-measured_at", "-pk").first()


def report_history(dataset: HostedDataset, limit: int = 10) -> list[QualityReport]:
    """The dataset's newest reports, newest first, without their figures."""
    return list(dataset.quality_reports.order_by("-measured_at", "-pk").defer("figures")[:limit])


def datasets_with_latest_report(
    datasets: QuerySet[HostedDataset],
) -> list[tuple[HostedDataset, QualityReport | None]]:
    """Each dataset with its newest report (None if never measured), in two queries."""
    newest = QualityReport.objects.filter(dataset=OuterRef("pk")).order_by("-measured_at", "-pk")
    rows = list(
        datasets.select_related("resource__provider").annotate(
            latest_report_id=Subquery(newest.values("pk")[:1])
        )
    )
    ids = [row.latest_report_id for row in rows if row.latest_report_id]
    reports = QualityReport.objects.in_bulk(ids)
    return [(row, reports.get(row.latest_report_id)) for row in rows]
