"""Storing HJ 212 uploads: batches of packets in one transaction, with one ledger entry.

The receiver hands over the packets it accepted since the last commit; they
are written together (readings, the points' counters, refused packets) and
the batch gets one ledger entry carrying the SHA-256 of its raw packets, so
the log proves what was received without an entry per packet. Only after
``store_batch`` returns does the receiver acknowledge the packets: a packet
acknowledged is a packet committed. Readings are unique per point, pollutant,
command and time, and the insert ignores a row already there, so a device
resending a packet whose answer it missed stores nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.db.models import F, Field
from django.utils import timezone
from django.utils.translation import gettext_noop

from zhengtong.core.actors import Actor
from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.i18n import stored_text
from zhengtong.core.sql import insert_sql, quoted_table
from zhengtong.ledger.actions import record_entry
from zhengtong.regulation.hj212 import HJ212Error, Packet
from zhengtong.regulation.models import (
    Alarm,
    AlarmKind,
    AlarmState,
    EmissionLimit,
    MonitoringPoint,
    Reading,
    RefusedPacket,
)

# The uploads whose values are stored as readings.
DATA_COMMANDS = frozenset({"2011", "2051", "2061", "2031"})
_VALUE_KINDS = {"Rtd": "rtd", "Avg": "avg", "Min": "min", "Max": "max", "Cou": "cou"}
_CONVERTED = {"ZsRtd", "ZsAvg"}
READING_FIELDS = (
    "point",
    "pollutant",
    "command",
    "data_time",
    "rtd",
    "avg",
    "min",
    "max",
    "cou",
    "zs",
    "flag",
    "received_at",
)


@dataclass(frozen=True, slots=True)
class Accepted:
    point_id: int
    packet: Packet
    raw: bytes
    received_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Refused:
    point_id: int | None
    mn: str
    error: HJ212Error
    peer: str
    raw: bytes
    received_at: dt.datetime


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def readings_of(accepted: Accepted) -> list[dict[str, Any]]:
    """Return the reading rows of an upload (none for other commands or without DataTime)."""
    packet = accepted.packet
    if packet.cn not in DATA_COMMANDS:
        return []
    local = packet.data_time
    if local is None:
        return []
    # Devices report local (Beijing) time.
    data_time = local.replace(tzinfo=SHANGHAI)
    # One pass over the data area (the receiver's hot path): a row per
    # pollutant code, filled from its code-Kind=value pairs.
    by_code: dict[str, dict[str, Any]] = {}
    for item in packet.items:
        for name, value in item:
            code, dash, kind = name.partition("-")
            if not (dash and code and kind):
                continue
            row = by_code.get(code)
            if row is None:
                row = by_code[code] = {
                    "point": accepted.point_id,
                    "pollutant": code[:16],
                    "command": packet.cn,
                    "data_time": data_time,
                    "rtd": None,
                    "avg": None,
                    "min": None,
                    "max": None,
                    "cou": None,
                    "zs": None,
                    "flag": "",
                    "received_at": accepted.received_at,
                }
            column = _VALUE_KINDS.get(kind)
            if column is not None:
                row[column] = _number(value)
            elif kind in _CONVERTED:
                row["zs"] = _number(value)
            elif kind == "Flag":
                row["flag"] = value[:1]
    return [
        row
        for row in by_code.values()
        if any(row[name] is not None for name in ("rtd", "avg", "min", "max", "cou", "zs"))
    ]


_reading_sql: dict[str, str] = {}


# PostgreSQL array types of READING_FIELDS, for the one-statement insert.
_PG_ARRAY_TYPES = (
    "bigint[]",
    "varchar[]",
    "varchar[]",
    "timestamptz[]",
    "float8[]",
    "float8[]",
    "float8[]",
    "float8[]",
    "float8[]",
    "float8[]",
    "varchar[]",
    "timestamptz[]",
)


def _insert_readings(rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    using = router.db_for_write(Reading)
    connection = connections[using]
    postgres = connection.vendor == "postgresql"
    sql = _reading_sql.get(using)
    if sql is None:
        if postgres:
            # One statement for the whole batch, a column per array: a row per
            # statement (executemany) costs a round trip each on PostgreSQL.
            table, columns = quoted_table(using, Reading)
            names = ", ".join(columns[name] for name in READING_FIELDS)
            arrays = ", ".join(f"%s::{kind}" for kind in _PG_ARRAY_TYPES)
            sql = (
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608
                "ON CONFLICT DO NOTHING"
            )
        else:
            # SQLite (3.24+) understands ON CONFLICT DO NOTHING too.
            sql = insert_sql(using, Reading, READING_FIELDS) + " ON CONFLICT DO NOTHING"
        _reading_sql[using] = sql
    # The values are already what the columns hold (ids, texts, floats or
    # None), except the times, which the database's adapter converts (SQLite
    # stores UTC text). Asking each model field to prepare each value was most
    # of the cost of a batch; a batch has few distinct times, adapted once each.
    adapt = connection.ops.adapt_datetimefield_value
    adapted: dict[dt.datetime, Any] = {}

    def moment(value: dt.datetime) -> Any:
        found = adapted.get(value)
        if found is None:
            found = adapted[value] = adapt(value)
        return found

    values = [
        (
            row["point"],
            row["pollutant"],
            row["command"],
            moment(row["data_time"]),
            row["rtd"],
            row["avg"],
            row["min"],
            row["max"],
            row["cou"],
            row["zs"],
            row["flag"],
            moment(row["received_at"]),
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(sql, [list(column) for column in zip(*values, strict=True)])
        else:
            cursor.executemany(sql, values)


def _over_limit_alarms(rows: Sequence[dict[str, Any]], now: dt.datetime) -> int:
    """Open or extend an over-limit alarm for each valid value above its point's limit.

    Only data flagged N (normal) counts: values measured during maintenance,
    calibration or a fault are flagged so and are not emissions to judge.
    Returns how many alarms were opened.
    """
    point_ids = {row["point"] for row in rows}
    if not point_ids:
        return 0
    limits = {
        (point_id, pollutant): upper
        for point_id, pollutant, upper in EmissionLimit.objects.filter(
            point_id__in=point_ids
        ).values_list("point_id", "pollutant", "upper")
    }
    worst: dict[tuple[int, str], tuple[float, float, dt.datetime, dt.datetime, int]] = {}
    for row in rows:
        upper = limits.get((row["point"], row["pollutant"]))
        if upper is None or row["flag"] not in ("N", ""):
            continue
        value = row["rtd"] if row["rtd"] is not None else row["avg"]
        if value is None or value <= upper:
            continue
        key = (row["point"], row["pollutant"])
        seen = worst.get(key)
        when = row["data_time"]
        if seen is None:
            worst[key] = (value, upper, when, when, 1)
        else:
            worst[key] = (
                max(seen[0], value),
                upper,
                min(seen[2], when),
                max(seen[3], when),
                seen[4] + 1,
            )
    if not worst:
        return 0
    open_alarms = {
        (alarm.point_id, alarm.pollutant): alarm
        for alarm in Alarm.objects.filter(
            point_id__in={k[0] for k in worst},
            kind=AlarmKind.OVER_LIMIT,
            state__in=(AlarmState.OPEN, AlarmState.ACKNOWLEDGED),
        )
    }
    opened = 0
    for (point_id, pollutant), (value, upper, first, last, count) in worst.items():
        alarm = open_alarms.get((point_id, pollutant))
        if alarm is None:
            Alarm.objects.create(
                point_id=point_id,
                pollutant=pollutant,
                kind=AlarmKind.OVER_LIMIT,
                value=value,
                limit=upper,
                count=count,
                first_at=first,
                last_at=last,
            )
            opened += 1
        else:
            Alarm.objects.filter(pk=alarm.pk).update(
                value=max(alarm.value or value, value),
                count=F("count") + count,
                last_at=max(alarm.last_at, last),
            )
    return opened


def printable(text: str) -> str:
    """Escape what a refused packet may carry that a text column must not (NUL, controls)."""
    return "".join(c if " " <= c <= "~" or c > "\x9f" else f"\\x{ord(c):02x}" for c in text)


def _count_packets(good: Counter[int], bad: Counter[int], now: dt.datetime) -> None:
    """Add the batch's packets to each point's counters: one statement, many rows."""
    using = router.db_for_write(MonitoringPoint)
    connection = connections[using]
    table, columns = quoted_table(using, MonitoringPoint)
    seen = MonitoringPoint._meta.get_field("last_seen_at")
    assert isinstance(seen, Field)
    stamp = seen.get_db_prep_save(now, connection)
    # Names come from the model; values are bound parameters.
    good_sql = (
        f"UPDATE {table} SET {columns['packets']} = {columns['packets']} + %s, "  # noqa: S608
        f"{columns['last_seen_at']} = %s WHERE {columns['id']} = %s"
    )
    bad_sql = (
        f"UPDATE {table} SET {columns['bad_packets']} = {columns['bad_packets']} + %s "  # noqa: S608
        f"WHERE {columns['id']} = %s"
    )
    with connection.cursor() as cursor:
        if good:
            cursor.executemany(good_sql, [(n, stamp, pk) for pk, n in sorted(good.items())])
        if bad:
            cursor.executemany(bad_sql, [(n, pk) for pk, n in sorted(bad.items())])


def store_batch(accepted: Sequence[Accepted], refused: Sequence[Refused], *, actor: Actor) -> int:
    """Commit a batch of accepted and refused packets; return the readings offered for insert."""
    if not accepted and not refused:
        return 0
    now = timezone.now()
    rows = [row for item in accepted for row in readings_of(item)]
    digest = hashlib.sha256()
    for item in accepted:
        digest.update(item.raw)
    good = Counter(item.point_id for item in accepted)
    bad = Counter(item.point_id for item in refused if item.point_id is not None)
    with transaction.atomic(durable=True):
        _insert_readings(rows)
        opened = _over_limit_alarms(rows, now)
        if good:
            # A point that reports again is no longer offline.
            Alarm.objects.filter(
                point_id__in=list(good),
                kind=AlarmKind.OFFLINE,
                state__in=(AlarmState.OPEN, AlarmState.ACKNOWLEDGED),
            ).update(
                state=AlarmState.CLOSED,
                closed_at=now,
                closed_by="system",
                note=stored_text(gettext_noop("恢复上报")),
            )
        _count_packets(good, bad, now)
        if refused:
            RefusedPacket.objects.bulk_create(
                RefusedPacket(
                    point_id=item.point_id,
                    mn=printable(item.mn)[:32],
                    code=str(item.error.code)[:32],
                    detail=printable(item.error.detail)[:300],
                    peer=printable(item.peer)[:64],
                    head=printable(item.raw[:80].decode("utf-8", "backslashreplace"))[:120],
                    received_at=item.received_at,
                )
                for item in refused
            )
        record_entry(
            actor=actor,
            action="regulation.receive_packets",
            subject_type="regulation.hj212_batch",
            subject_id=now.isoformat(timespec="microseconds"),
            data={
                "accepted": len(accepted),
                "refused": len(refused),
                "readings": len(rows),
                "alarms_opened": opened,
                "sha256": digest.hexdigest(),
            },
        )
    return len(rows)
