"""Storing HJ 212 uploads: batches of packets in one transaction, with one ledger entry.

The receiver hands over the packets it accepted since the last commit; they
are written together (readings, the points' counters, refused packets) and
the batch gets one ledger entry carrying the SHA-256 of its raw packets, so
the log proves what was received without an entry per packet. Only after
``store_batch`` returns does the receiver acknowledge the packets: a packet
acknowledged is a packet committed. Readings are unique per point, pollutant,
command and time, and the insert ignores a row already there, so a device
resending a packet whose answer it missed stores nothing twice.

A piece of a split upload (Flag D bit, PNUM/PNO) may end in the middle of an
item, the next piece carrying the rest of that pollutant's fields under the
same DataTime. Its readings are merged into the stored ones instead: a field
not stored yet is filled in, a field stored keeps its first value (as a
resent reading does), and the reading is judged against its limit on the
merged values once no piece may still add to it. A reading a piece leaves
open is kept as an ``OpenReading`` until then, so that whichever receiver
process gets the next piece, or the periodic task after the timeout
(``judge_open_readings``), judges it, once.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import sqlite3
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Field
from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.i18n import message_of, stored_text
from zhengtong.core.sql import (
    driver_cursor,
    driver_sql,
    execute_rows,
    insert_sql,
    quoted_table,
    rows_statement,
)
from zhengtong.ledger.actions import record_entry
from zhengtong.regulation.hj212 import COMMAND_RETURNS, HJ212Error, Packet, timestamp
from zhengtong.regulation.models import (
    Alarm,
    AlarmKind,
    AlarmState,
    CommandState,
    DeviceCommand,
    EmissionLimit,
    MonitoringPoint,
    OpenReading,
    Reading,
    RefusedPacket,
)

# The uploads whose values are stored as readings.
DATA_COMMANDS = frozenset({"2011", "2051", "2061", "2031"})
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


@dataclass(frozen=True, slots=True)
class SentCommand:
    """A command the receiver sent a device (1012), stored so that its answers can be matched."""

    point_id: int
    qn: str
    cn: str
    parameters: str
    sent_at: dt.datetime


# The data flags (HJ 212-2017 table 8) of values judged against the limit:
# N (normal), T (above the instrument's measuring range: the emission was at
# least that high) and none sent. M, C, D, F, S and B mark maintenance,
# calibration, a fault, a stop, a value set by hand or a broken link: not
# emissions measured.
JUDGED_FLAGS = frozenset({"N", "T", ""})

# A reading row is a list in READING_FIELDS order; the positions used here.
_POINT, _POLLUTANT, _COMMAND, _DATA_TIME, _RTD, _AVG, _ZS, _FLAG, _RECEIVED_AT = (
    0, 1, 2, 3, 4, 5, 9, 10, 11,
)  # fmt: skip
# The column of each value kind (code-Kind=value); ZsRtd and ZsAvg are the converted value.
_COLUMN_OF_KIND = {"Rtd": 4, "Avg": 5, "Min": 6, "Max": 7, "Cou": 8, "ZsRtd": 9, "ZsAvg": 9}
_NO_VALUES = [None] * 6
ReadingRow = list[Any]


# What each data-area name (``a21026-Rtd``) fills: its pollutant code and the
# row's column, or None for a name not stored (``SampleTime``, no "-"). A
# device sends the same few names in every upload: one look-up per pair
# instead of splitting each name again. Bounded, whatever names arrive.
_SLOTS: dict[str, tuple[str, int] | None] = {}
_SLOTS_MAX = 10_000


def _slot_of(name: str) -> tuple[str, int] | None:
    code, _dash, kind = name.partition("-")
    column = _COLUMN_OF_KIND.get(kind)
    if column is None and kind == "Flag":
        column = _FLAG
    slot = (code[:16], column) if code and column is not None else None
    if len(_SLOTS) < _SLOTS_MAX:
        _SLOTS[name] = slot
    return slot


def readings_of(accepted: Accepted, *, flag_only: bool = False) -> list[ReadingRow]:
    """Return the reading rows of an upload (none for other commands or without DataTime).

    A pollutant sent with no value is no reading, unless ``flag_only`` keeps
    those with a data flag: a piece of a split upload may begin with the
    flag that ends the values of the piece before it.
    """
    packet = accepted.packet
    if packet.cn not in DATA_COMMANDS:
        return []
    point_id, command, received_at = accepted.point_id, packet.cn, accepted.received_at
    # One pass over the data area (the receiver's hot path): a row per
    # pollutant code, filled from its code-Kind=value pairs; the DataTime,
    # the last one sent as ``Packet.data_time`` takes it, is set at the end.
    by_code: dict[str, ReadingRow] = {}
    slots = _SLOTS
    data_time_text = None
    for name, text in packet.pairs():
        slot = slots[name] if name in slots else _slot_of(name)
        if slot is None:
            if name == "DataTime":
                data_time_text = text
            continue
        code, column = slot
        value: Any
        if column == _FLAG:
            value = text[:1]
        else:
            try:
                value = float(text)
            except ValueError:  # the parser let only numbers through
                value = None
        row = by_code.get(code)
        if row is None:
            row = by_code[code] = [
                point_id,
                code,
                command,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "",
                received_at,
            ]
        row[column] = value
    if data_time_text is None:
        return []
    data_time = _local_time(data_time_text)
    rows = [
        row
        for row in by_code.values()
        if row[_RTD:_FLAG] != _NO_VALUES or (flag_only and row[_FLAG])
    ]
    for row in rows:
        row[_DATA_TIME] = data_time
    return rows


@functools.lru_cache(maxsize=4096)
def _local_time(text: str) -> dt.datetime:
    # Devices report local (Beijing) time; an upload's DataTime was checked by
    # the parser, and the uploads of a batch share few of them.
    return timestamp(text, "DataTime").replace(tzinfo=SHANGHAI)


# The SQLite INSERT of a full chunk, by database and rows.
_full_insert_sql: dict[tuple[str, int], str] = {}


# On PostgreSQL the rows are copied (COPY) in the binary format: binding them
# as arrays spent half of the receiver's CPU in psycopg's array dumper, a
# Python loop per value, and the text format cost the receiver 3.7–4.6 µs a
# row (times and floats written out as text) against 0.5–0.7, and the server more
# to read them back. A COPY cannot skip a reading already
# stored (a device resending an upload whose answer it missed), so it runs
# under a savepoint; when it meets one, the batch is copied instead into a
# staging table of the session and moved with one INSERT … SELECT that skips
# those. The staging table empties at every commit and is created when
# missing in the same transaction, so a rolled-back batch or a new connection
# (or a pooler's other session) simply creates it again.
_PG_STAGING = "zhengtong_hj212_staged_readings"


@dataclass(frozen=True, slots=True)
class _PgStatements:
    copy_in: str  # straight into the readings
    create_staging: str
    copy_to_staging: str
    move: str  # from the staging table into the readings, skipping those stored
    types: tuple[int, ...]  # the columns' type ids, which the binary format needs


@functools.cache  # per database: built once, not on every batch
def _pg_statements(using: str) -> _PgStatements:
    table, columns = quoted_table(using, Reading)
    names = ", ".join(columns[name] for name in READING_FIELDS)
    # The binary format carries no type names: each value is written as its
    # column's type, read from the table itself rather than assumed.
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        type_of = dict(cursor.fetchall())
    column_of = {field.name: field.column for field in Reading._meta.concrete_fields}
    types = tuple(type_of[column_of[name]] for name in READING_FIELDS)
    return _PgStatements(
        copy_in=f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)",
        create_staging=(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_PG_STAGING} ON COMMIT DELETE ROWS"  # noqa: S608
            f" AS SELECT {names} FROM {table} WITH NO DATA"
        ),
        copy_to_staging=f"COPY {_PG_STAGING} ({names}) FROM STDIN (FORMAT BINARY)",
        move=(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {_PG_STAGING}"  # noqa: S608
            " ON CONFLICT DO NOTHING"
        ),
        types=types,
    )


def _pg_copy(using: str, sql: str, types: Sequence[int], rows: Sequence[ReadingRow]) -> None:
    connection = connections[using]
    # Django's error wrapper marks the connection as broken on an error
    # (other than an integrity error), for the receiver to replace it.
    with (
        connection.wrap_database_errors,
        connection.connection.cursor() as cursor,
        cursor.copy(sql) as copy,
    ):
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _pg_insert_readings(rows: Sequence[ReadingRow], using: str) -> None:
    statements = _pg_statements(using)
    try:
        with transaction.atomic(using=using):  # a savepoint
            _pg_copy(using, statements.copy_in, statements.types, rows)
        return
    except IntegrityError:
        pass  # a reading already stored: the batch goes by the staging table
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(statements.create_staging)
    _pg_copy(using, statements.copy_to_staging, statements.types, rows)
    with connection.cursor() as cursor:
        cursor.execute(statements.move)


# Rows per INSERT on SQLite, at most. The driver lets go of the interpreter
# lock around each statement: a row per statement (executemany) meant taking
# the lock back for every row from the thread parsing packets, and the
# batch's write turn lasted several times its work. 12 values a row; fewer
# rows where the SQLite library takes fewer bound values (32,766 by default
# since 3.32, 999 before). The last statement of a batch is compiled anew
# (about 1.7 µs a row), so larger statements gain less.
SQLITE_ROWS_PER_INSERT = 1000


def _adapt_times(rows: Sequence[ReadingRow], using: str) -> None:
    """Turn the rows' times into what the database takes, in place, before the write turn.

    The other values are already what the columns hold (ids, texts, floats
    or None); the times go through the database's adapter (SQLite stores UTC
    text). Asking each model field to prepare each value was most of the cost
    of a batch; a batch has few distinct times, adapted once each.
    """
    adapt = connections[using].ops.adapt_datetimefield_value
    adapted: dict[dt.datetime, Any] = {}
    for row in rows:
        for column in (_DATA_TIME, _RECEIVED_AT):
            moment = row[column]
            found = adapted.get(moment)
            if found is None:
                found = adapted[moment] = adapt(moment)
            row[column] = found


def _reading_inserts(values: Sequence[ReadingRow], using: str) -> list[tuple[str, list[Any]]]:
    """The SQLite statements (with parameters) inserting the rows, skipping any already stored.

    Built before the write turn, which then only runs them; the rows' times
    are already adapted (``_adapt_times``). None on PostgreSQL, where
    ``_insert_readings`` copies the rows.
    """
    connection = connections[using]
    if not values or connection.vendor == "postgresql":
        return []
    insert = driver_sql(using, insert_sql(using, Reading, READING_FIELDS))
    connection.ensure_connection()
    bound_values = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    size = max(1, min(SQLITE_ROWS_PER_INSERT, bound_values // len(READING_FIELDS)))
    statements = []
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        # Only the full-size statement is kept: the last chunk's size varies.
        full = len(chunk) == size
        sql = _full_insert_sql.get((using, size), "") if full else ""
        if not sql:
            # SQLite (3.24+) understands ON CONFLICT DO NOTHING too.
            sql = rows_statement(insert, len(chunk)) + " ON CONFLICT DO NOTHING"
            if full:
                _full_insert_sql[using, size] = sql
        statements.append((sql, list(chain.from_iterable(chunk))))
    return statements


def _insert_readings(
    statements: Sequence[tuple[str, list[Any]]], rows: Sequence[ReadingRow], using: str
) -> None:
    """Run the statements of ``_reading_inserts`` (SQLite), or copy the rows (PostgreSQL)."""
    if not rows:
        return
    connection = connections[using]
    if connection.vendor == "postgresql":
        _pg_insert_readings(rows, using)
        return
    # The driver's own cursor (``driver_cursor``) costs less than Django's wrapper.
    cursor = driver_cursor(using)
    try:
        for sql, parameters in statements:
            cursor.execute(sql, parameters)
    finally:
        cursor.close()


def _in_list(values: Collection[int]) -> str:
    """Placeholders for ``IN (...)`` over ``values``; a batch holds at most a few thousand."""
    return ", ".join(["%s"] * len(values))


def _limits_of(point_ids: Collection[int]) -> dict[tuple[int, str], float]:
    """The emission limits of the batch's points, by (point, pollutant)."""
    using = router.db_for_read(EmissionLimit)
    table, columns = quoted_table(using, EmissionLimit)
    # Plain SQL: on every batch, building the query through the ORM cost
    # more than running it. Names come from the model; values are bound.
    sql = (
        f"SELECT {columns['point']}, {columns['pollutant']}, {columns['upper']} "  # noqa: S608
        f"FROM {table} WHERE {columns['point']} IN ({_in_list(point_ids)})"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, list(point_ids))
        return {(point_id, pollutant): upper for point_id, pollutant, upper in cursor.fetchall()}


def _mark_offline_recovered(point_ids: Collection[int], now: dt.datetime) -> None:
    """Note on the open offline alarms of points that report again when they did.

    The alarm stays open: an outage of the monitoring is the regulator's to
    judge (a device fault reported in time, or data withheld), as an
    exceedance is, and only their closing puts it on the credit file.
    """
    using = router.db_for_write(Alarm)
    connection = connections[using]
    table, columns = quoted_table(using, Alarm)
    sql = (
        f"UPDATE {table} SET {columns['recovered_at']} = %s "  # noqa: S608
        f"WHERE {columns['state']} IN (%s, %s) AND {columns['kind']} = %s "
        f"AND {columns['recovered_at']} IS NULL "
        f"AND {columns['point']} IN ({_in_list(point_ids)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                connection.ops.adapt_datetimefield_value(now),
                AlarmState.OPEN.value,
                AlarmState.ACKNOWLEDGED.value,
                AlarmKind.OFFLINE.value,
                *point_ids,
            ],
        )


# Per (point, pollutant): highest value, limit, first and last time over it, how often.
Exceedances = dict[tuple[int, str], tuple[float, float, dt.datetime, dt.datetime, int]]
# A value over its limit: its reading's key (point, pollutant, command, data time), value, limit.
OverLimit = tuple[tuple[int, str, str, dt.datetime], float, float]


def _over_limit_values(rows: Sequence[ReadingRow]) -> list[OverLimit]:
    """The valid values above their point's limit, worked out before the write turn.

    The value judged is ``_judged_value``'s. The rows hold each reading once
    (``_first_copies``). Values are judged against the limit in force,
    whatever an open alarm was raised under.
    """
    point_ids = {row[_POINT] for row in rows}
    if not point_ids:
        return []
    limits = _limits_of(point_ids)
    if not limits:
        return []
    found: dict[tuple[int, str, str, dt.datetime], OverLimit] = {}
    for row in rows:
        upper = limits.get((row[_POINT], row[_POLLUTANT]))
        if upper is None:
            continue
        value = _judged_value(row)
        if value is None or value <= upper:
            continue
        key = (row[_POINT], row[_POLLUTANT], row[_COMMAND], row[_DATA_TIME])
        found.setdefault(key, (key, value, upper))
    return list(found.values())


def _judged_value(row: ReadingRow) -> float | None:
    """The value of a reading judged against its limit, or None when it has none to judge.

    Only data flagged N (normal) or T (over the measuring range) counts (see
    ``JUDGED_FLAGS``). The converted value (ZsRtd, ZsAvg: at the reference
    oxygen content) when sent, since flue-gas limits are set for it and
    dilution air lowers only the measured one; else the real-time value or average.
    """
    if row[_FLAG] not in JUDGED_FLAGS:
        return None
    value: float | None = row[_ZS]
    if value is None:
        value = row[_RTD] if row[_RTD] is not None else row[_AVG]
    return value


def _add_exceedance(
    worst: Exceedances, key: tuple[int, str], value: float, upper: float, when: dt.datetime
) -> None:
    seen = worst.get(key)
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


def _exceedances(over: Sequence[OverLimit]) -> Exceedances:
    """Sum up the over-limit values not stored before: a device's resend is not a new excess.

    Runs in the write turn, before the batch's insert, and reads only the few
    readings that are over a limit.
    """
    if not over:
        return {}
    stored = set(
        Reading.objects.filter(
            point_id__in={key[0] for key, _value, _upper in over},
            pollutant__in={key[1] for key, _value, _upper in over},
            data_time__in={key[3] for key, _value, _upper in over},
        ).values_list("point_id", "pollutant", "command", "data_time")
    )
    worst: Exceedances = {}
    for key, value, upper in over:
        if key not in stored:
            _add_exceedance(worst, (key[0], key[1]), value, upper, key[3])
    return worst


def _over_limit_alarms(worst: Exceedances) -> int:
    """Open or extend an over-limit alarm for each exceedance; return how many were opened."""
    if not worst:
        return 0
    # An alarm belongs to the limit it was raised under: after a change, values
    # over the new limit raise an alarm of their own, and the earlier alarm
    # stays as it was for the regulator (an exceedance of the limit then in
    # force stays one, whatever the limit is now).
    open_alarms = {
        (alarm.point_id, alarm.pollutant, alarm.limit): alarm
        for alarm in Alarm.objects.filter(
            point_id__in={k[0] for k in worst},
            kind=AlarmKind.OVER_LIMIT,
            state__in=(AlarmState.OPEN, AlarmState.ACKNOWLEDGED),
        )
    }
    opened = 0
    for (point_id, pollutant), (value, upper, first, last, count) in worst.items():
        alarm = open_alarms.get((point_id, pollutant, upper))
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
            # Late data (a device sending what it held during an outage) can
            # be older than the alarm's start: the episode began then.
            Alarm.objects.filter(pk=alarm.pk).update(
                value=max(alarm.value or value, value),
                count=F("count") + count,
                first_at=min(alarm.first_at, first),
                last_at=max(alarm.last_at, last),
            )
    return opened


def printable(text: str) -> str:
    """Escape what a refused packet may carry that a text column must not (NUL, controls)."""
    return "".join(c if " " <= c <= "~" or c > "\x9f" else f"\\x{ord(c):02x}" for c in text)


# How much of a value sent (a field, a part of the data area) a refusal's detail keeps.
REFUSAL_VALUE_MAX = 120


def refusal_text(error: HJ212Error) -> tuple[str, dict[str, Any] | None]:
    """A refusal's detail in the platform's language, and what it was made from.

    Made as the batch is stored, before its write turn, not where the parser
    raised the error: the loop parsing packets pays nothing for it. The
    values sent are escaped and shortened as the other columns are, so that
    the record (a JSON column) holds nothing PostgreSQL refuses (NUL).
    """
    values = {
        name: printable(value)[:REFUSAL_VALUE_MAX] if isinstance(value, str) else value
        for name, value in error.values.items()
    }
    # The message is the code's own text, so with the values escaped the
    # whole is.
    text = stored_text(error.message, **values)
    return text[:300], message_of(text)


def _refused_row(item: Refused) -> RefusedPacket:
    detail, message = refusal_text(item.error)
    return RefusedPacket(
        point_id=item.point_id,
        mn=printable(item.mn)[:32],
        code=str(item.error.code)[:32],
        detail=detail,
        detail_message=message,
        peer=printable(item.peer)[:64],
        head=printable(item.raw[:80].decode("utf-8", "backslashreplace"))[:120],
        received_at=item.received_at,
    )


def _count_packets(good: Counter[int], bad: Counter[int], now: dt.datetime) -> None:
    """Add the batch's packets to each point's counters: a statement per distinct count.

    One ``UPDATE … WHERE id IN (…)`` for all the points that sent the same
    number of packets (usually one each), not a statement per point: each
    statement lets go of the interpreter lock on SQLite, and taking it back
    from the thread parsing packets could take milliseconds, all inside the
    write turn the other receiver processes wait for.
    """
    using = router.db_for_write(MonitoringPoint)
    connection = connections[using]
    table, columns = quoted_table(using, MonitoringPoint)
    seen = MonitoringPoint._meta.get_field("last_seen_at")
    assert isinstance(seen, Field)
    stamp = seen.get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        for n, point_ids in _by_count(good):
            cursor.execute(
                # Names come from the model; values are bound parameters.
                f"UPDATE {table} SET {columns['packets']} = {columns['packets']} + %s, "  # noqa: S608
                f"{columns['last_seen_at']} = %s WHERE {columns['id']} IN ({_in_list(point_ids)})",
                [n, stamp, *point_ids],
            )
        for n, point_ids in _by_count(bad):
            cursor.execute(
                f"UPDATE {table} SET {columns['bad_packets']} = {columns['bad_packets']} + %s "  # noqa: S608
                f"WHERE {columns['id']} IN ({_in_list(point_ids)})",
                [n, *point_ids],
            )


def _by_count(counts: Counter[int]) -> list[tuple[int, list[int]]]:
    """The points grouped by their count, in a fixed order (so that updates lock alike)."""
    groups: dict[int, list[int]] = {}
    for point_id, n in sorted(counts.items()):
        groups.setdefault(n, []).append(point_id)
    return sorted(groups.items())


def _store_commands(commands: Sequence[SentCommand]) -> None:
    DeviceCommand.objects.bulk_create(
        [
            DeviceCommand(
                point_id=command.point_id,
                qn=command.qn[:20],
                cn=command.cn[:4],
                parameters=command.parameters[:200],
                sent_at=command.sent_at,
            )
            for command in commands
        ],
        # A command is stored once, whatever a retried batch does.
        ignore_conflicts=True,
    )


def _match_command_answers(accepted: Sequence[Accepted]) -> int:
    """Record the 9011 and 9012 answers on the commands they answer (by point and QN).

    Return how many answered a stored command. Answers come in the order the
    device sent them; an execution result decides the outcome whatever came
    before it, and a late request answer does not undo one.
    """
    answers = [item for item in accepted if item.packet.cn in COMMAND_RETURNS and item.packet.qn]
    if not answers:
        return 0
    commands = {
        (command.point_id, command.qn): command
        for command in DeviceCommand.objects.filter(
            point_id__in={item.point_id for item in answers},
            qn__in={item.packet.qn for item in answers},
        )
    }
    changed: dict[int, DeviceCommand] = {}
    for item in answers:
        command = commands.get((item.point_id, item.packet.qn or ""))
        if command is None:
            continue  # not one of ours, or sent before commands were kept
        name, returned = COMMAND_RETURNS[item.packet.cn]
        code = (item.packet.data().get(name) or "")[:8]
        success = str(returned)
        if item.packet.cn == "9011":
            command.qn_rtn = code
            command.answered_at = item.received_at
            if command.state in (CommandState.SENT, CommandState.ACCEPTED):
                command.state = CommandState.ACCEPTED if code == success else CommandState.FAILED
        else:
            command.exe_rtn = code
            command.executed_at = item.received_at
            command.state = CommandState.EXECUTED if code == success else CommandState.FAILED
        changed[command.pk] = command
    DeviceCommand.objects.bulk_update(
        list(changed.values()), ["state", "qn_rtn", "exe_rtn", "answered_at", "executed_at"]
    )
    return len(changed)


# A reading's key: point, pollutant, command and data time.
ReadingKey = tuple[int, str, str, dt.datetime]


# An upload's point, command and data time, which all its readings share.
UploadKey = tuple[int, str, dt.datetime]
# A piece of a split upload: its upload and PNO.
PieceKey = tuple[UploadKey, int]


@dataclass(slots=True)
class PieceReading:
    """A reading from the pieces of a split upload in a batch, their fields merged.

    ``open`` while it may go on in a piece not yet received: it came only
    from a piece's last item (``end`` is that piece), the piece was not the
    last one (PNO < PNUM) and has not been followed yet, and no data flag,
    which ends an item (HJ 212-2017 §6.3.3), was sent. It is stored, but
    judged against its limit only once the next piece came (and merged into
    it whatever continued it), lest a value be judged without the flag or
    the converted value sent after it. ``closing``: that next piece came
    now, so the reading is judged even if nothing is added to it.
    """

    row: ReadingRow
    open: bool
    end: PieceKey | None = None
    closing: bool = False


@dataclass(slots=True)
class OpenEnds:
    """The readings this receiver process left open (``PieceReading.open``), by the piece they end.

    Each is stored as an ``OpenReading`` too, in the batch that left it
    open: the next piece, whichever receiver process gets it, claims and
    judges it there. This memory only lets the process judge the readings it
    opened at its first batch after ``timeout`` seconds, without looking in
    the database on every batch; one left by a process that ended, or
    forgotten here, is judged by the periodic task (``judge_open_readings``).
    """

    ends: dict[PieceKey, tuple[ReadingKey, float]] = field(default_factory=dict)
    timeout: float = 60.0
    # Bounded, whatever devices send: the oldest is forgotten here (the task judges it).
    limit: int = 10_000

    def expired(self) -> dict[PieceKey, ReadingKey]:
        """The ends older than the timeout: the upload was left unfinished, judged as it is."""
        if not self.ends:
            return {}
        before = time.monotonic() - self.timeout
        return {end: key for end, (key, since) in self.ends.items() if since <= before}

    def remember(self, pieces: Sequence[PieceReading], closed: Collection[PieceKey]) -> None:
        """After the batch's commit: forget the ends it closed, remember those it left open."""
        for end in closed:
            self.ends.pop(end, None)
        now = time.monotonic()
        for piece in pieces:
            if piece.open and piece.end is not None:
                self.ends[piece.end] = (_key(piece.row), now)
        while len(self.ends) > self.limit:
            del self.ends[next(iter(self.ends))]


def _key(row: ReadingRow) -> ReadingKey:
    return (row[_POINT], row[_POLLUTANT], row[_COMMAND], row[_DATA_TIME])


def _fill(row: ReadingRow, values: Sequence[Any]) -> None:
    """Fill ``row``'s values not sent yet (None, or no flag) from ``values``, the same reading's.

    A value already there keeps it: the first value sent stands, as it does
    for a reading sent again.
    """
    for column in range(_RTD, _FLAG):
        if row[column] is None:
            row[column] = values[column]
    if not row[_FLAG]:
        row[_FLAG] = values[_FLAG]


def _last_code(packet: Packet) -> str | None:
    """The pollutant code of a piece's last item, when a later piece may go on with it."""
    if packet.pno is None or packet.pnum is None or packet.pno >= packet.pnum:
        return None
    last = None
    for name, _text in packet.pairs():
        last = name
    if last is None:
        return None
    slot = _SLOTS[last] if last in _SLOTS else _slot_of(last)
    return None if slot is None else slot[0]


def _merge_piece(
    pieces: dict[ReadingKey, PieceReading], rows: Sequence[ReadingRow], packet: Packet
) -> PieceKey | None:
    """Merge a piece's rows into the batch's piece readings; return the piece's key."""
    if not rows or packet.pno is None:
        return None
    head = rows[0]
    piece_key = ((head[_POINT], head[_COMMAND], head[_DATA_TIME]), packet.pno)
    last_code = _last_code(packet)
    for row in rows:
        trailing = row[_POLLUTANT] == last_code
        key = _key(row)
        merged = pieces.get(key)
        if merged is None:
            open_end = trailing and not row[_FLAG]
            pieces[key] = PieceReading(row, open_end, piece_key if open_end else None)
            continue
        _fill(merged.row, row)
        # Open only while every part came from the end of a piece: a part
        # from the start or middle of one is where the reading goes on.
        if not (trailing and not merged.row[_FLAG]):
            merged.open, merged.end = False, None
    return piece_key


def _close_followed(pieces: dict[ReadingKey, PieceReading], seen: set[PieceKey]) -> None:
    """Close the open readings whose next piece is in the same batch."""
    for piece in pieces.values():
        if piece.open and piece.end is not None:
            upload, number = piece.end
            if (upload, number + 1) in seen:
                piece.open, piece.end = False, None


def _first_copies(
    accepted: Sequence[Accepted],
) -> tuple[list[ReadingRow], dict[ReadingKey, PieceReading], set[PieceKey]]:
    """The batch's reading rows, each reading once: the first copy sent, as the insert keeps it.

    A reading sent twice in one batch (a resend beside its original, or two
    uploads with the same DataTime) is stored once; the alarms must judge
    that copy, not a later one with another value. Uploads are compared by
    point, command and time, which all rows of an upload share, so only an
    upload repeated in the batch costs a look at its pollutants.

    The readings of split uploads' pieces come apart, each once with the
    fields of all its copies in the batch (``_merge_piece``), to be merged
    into what is stored (``_store_pieces``); and the pieces seen, whose
    predecessors' open readings the batch closes (``_claim_open_readings``).
    """
    rows: list[ReadingRow] = []
    pieces: dict[ReadingKey, PieceReading] = {}
    seen: set[PieceKey] = set()
    firsts: dict[tuple[int, str, dt.datetime], list[ReadingRow]] = {}
    taken: dict[tuple[int, str, dt.datetime], set[str]] = {}
    for item in accepted:
        if item.packet.pnum is not None:
            piece_key = _merge_piece(pieces, readings_of(item, flag_only=True), item.packet)
            if piece_key is not None:
                seen.add(piece_key)
            continue
        item_rows = readings_of(item)
        if not item_rows:
            continue
        head = item_rows[0]
        upload = (head[_POINT], head[_COMMAND], head[_DATA_TIME])
        first = firsts.setdefault(upload, item_rows)
        if first is not item_rows:
            codes = taken.get(upload)
            if codes is None:
                codes = taken[upload] = {row[_POLLUTANT] for row in first}
            item_rows = [row for row in item_rows if row[_POLLUTANT] not in codes]
            codes.update(row[_POLLUTANT] for row in item_rows)
        rows.extend(item_rows)
    if seen:
        _close_followed(pieces, seen)
    return rows, pieces, seen


def _claim_open_readings(
    pieces: dict[ReadingKey, PieceReading],
    seen: Collection[PieceKey],
    expired: Collection[ReadingKey],
    using: str,
) -> tuple[list[PieceKey], set[ReadingKey]]:
    """Claim the stored open readings the batch closes, to judge them in it (in the write turn).

    Those whose next piece is among the batch's, whichever process left them
    open, and those ``expired`` (this process's, after the timeout). Each
    is judged on what is stored merged with what the batch adds to it: a
    reading the batch does not hold is added to ``pieces``, one that goes
    on in the batch's last piece stays open under that piece. Return the
    ends claimed and the readings still open so.
    """
    followed = {(upload, number - 1) for upload, number in seen if number > 1}
    if not followed and not expired:
        return [], set()
    # Rows stay for a minute at most, a few per point: the point's are read
    # and matched here rather than by a condition per piece.
    candidates = {
        pk: ((point_id, pollutant, command, data_time), ((point_id, command, data_time), number))
        for pk, point_id, pollutant, command, data_time, number in OpenReading.objects.filter(
            point_id__in={upload[0] for upload, _number in followed} | {key[0] for key in expired}
        ).values_list("pk", "point_id", "pollutant", "command", "data_time", "piece_number")
    }
    wanted = [pk for pk, (key, end) in candidates.items() if end in followed or key in expired]
    ends = []
    still_open: set[ReadingKey] = set()
    for pk in _delete_open_readings(wanted, using):
        key, end = candidates[pk]
        ends.append(end)
        upload, number = end
        found = pieces.get(key)
        if found is None:
            # Judged as stored (``_piece_exceedances``): a row with no values adds nothing.
            pieces[key] = PieceReading([*key, *_NO_VALUES, "", None], False, closing=True)
        elif found.open and (upload, number + 1) in seen:
            still_open.add(key)  # it goes on to the end of the batch's piece
        else:
            found.open, found.end, found.closing = False, None, True
    return ends, still_open


def _delete_open_readings(pks: Sequence[int], using: str) -> list[int]:
    """Delete the open readings ``pks``; return those deleted here, and so claimed.

    Another receiver process, or the periodic task, may claim the same row
    at the same moment: the DELETE of the second waits for the first to
    commit and then finds nothing (SQLite lets one writer at a time), so
    that a reading is judged once.
    """
    if not pks:
        return []
    table, columns = quoted_table(using, OpenReading)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {columns['id']} IN ({_in_list(pks)})"  # noqa: S608
            f" RETURNING {columns['id']}",
            list(pks),
        )
        return [pk for (pk,) in cursor.fetchall()]


def _open_rows(pieces: Sequence[PieceReading], opened_at: dt.datetime) -> list[OpenReading]:
    return [
        OpenReading(
            point_id=piece.row[_POINT],
            pollutant=piece.row[_POLLUTANT],
            command=piece.row[_COMMAND],
            data_time=piece.row[_DATA_TIME],
            piece_number=piece.end[1],
            opened_at=opened_at,
        )
        for piece in pieces
        if piece.open and piece.end is not None
    ]


def judge_open_readings(opened_before: dt.datetime) -> tuple[int, Exceedances, int]:
    """Claim and judge, as stored, the open readings opened before ``opened_before``.

    For the periodic task, in its transaction: the readings whose next piece
    never came, left by a receiver process that ended (or forgot them).
    Return how many were judged, the exceedances found, and how many over-
    limit alarms were opened (the others extended).
    """
    using = router.db_for_write(OpenReading)
    candidates = {
        pk: (point_id, pollutant, command, data_time)
        for pk, point_id, pollutant, command, data_time in OpenReading.objects.filter(
            opened_at__lte=opened_before
        ).values_list("pk", "point_id", "pollutant", "command", "data_time")
    }
    claimed = _delete_open_readings(list(candidates), using)
    if not claimed:
        return 0, {}, 0
    pieces = [
        PieceReading([*candidates[pk], *_NO_VALUES, "", None], False, closing=True)
        for pk in claimed
    ]
    worst: Exceedances = {}
    _piece_exceedances(pieces, _stored_values(pieces), worst)
    return len(claimed), worst, _over_limit_alarms(worst)


# The stored values of a reading, as ``_stored_values`` selects them.
_STORED_FIELDS = ("rtd", "avg", "min", "max", "cou", "zs", "flag")


def _stored_values(pieces: Sequence[PieceReading]) -> dict[ReadingKey, ReadingRow]:
    """The stored readings the pieces' readings are merged into, as rows, locked for the merge."""
    keys = [_key(piece.row) for piece in pieces]
    found = (
        Reading.objects.filter(
            point_id__in={key[0] for key in keys},
            pollutant__in={key[1] for key in keys},
            command__in={key[2] for key in keys},
            data_time__in={key[3] for key in keys},
        )
        .select_for_update()
        .values_list("point_id", "pollutant", "command", "data_time", *_STORED_FIELDS)
    )
    wanted = set(keys)
    stored: dict[ReadingKey, ReadingRow] = {}
    for point_id, pollutant, command, data_time, *values in found:
        key = (point_id, pollutant, command, data_time)
        if key in wanted:
            stored[key] = [point_id, pollutant, command, data_time, *values, None]
    return stored


def _piece_exceedances(
    pieces: Sequence[PieceReading], stored: dict[ReadingKey, ReadingRow], worst: Exceedances
) -> None:
    """Add to ``worst`` the pieces' readings over their limit once merged with what is stored.

    A reading is judged when the merge adds to it and no piece may still do
    so (not ``open``), and counted unless what was stored was over the limit
    already and judged then: a stored reading with its data flag was, one
    without it was the open end of a piece. A piece sent again adds nothing.
    """
    limits = _limits_of({piece.row[_POINT] for piece in pieces})
    if not limits:
        return
    for piece in pieces:
        row = piece.row
        upper = limits.get((row[_POINT], row[_POLLUTANT]))
        if upper is None or piece.open:
            continue
        key = _key(row)
        before = stored.get(key)
        merged = row
        if before is not None:
            merged = list(before)
            _fill(merged, row)
            if merged == before and not piece.closing:
                continue
        value = _judged_value(merged)
        if value is None or value <= upper:
            continue
        if before is not None and before[_FLAG]:
            earlier = _judged_value(before)
            if earlier is not None and earlier > upper:
                continue
        _add_exceedance(worst, (key[0], key[1]), value, upper, key[3])


@functools.cache  # per database
def _merge_sql(using: str) -> str:
    """The INSERT of a reading that fills the fields a stored one lacks, keeping those it has."""
    table, columns = quoted_table(using, Reading)
    key = ", ".join(columns[name] for name in ("point", "pollutant", "command", "data_time"))
    fills = [
        f"{columns[name]} = COALESCE({table}.{columns[name]}, EXCLUDED.{columns[name]})"
        for name in _STORED_FIELDS
        if name != "flag"
    ]
    flag = columns["flag"]
    fills.append(
        f"{flag} = CASE WHEN {table}.{flag} = '' THEN EXCLUDED.{flag} ELSE {table}.{flag} END"
    )
    return (
        insert_sql(using, Reading, READING_FIELDS)
        + f" ON CONFLICT ({key}) DO UPDATE SET "
        + ", ".join(fills)
    )


def _store_pieces(
    pieces: Sequence[PieceReading],
    worst: Exceedances,
    using: str,
    *,
    still_open: Collection[ReadingKey],
    now: dt.datetime,
) -> None:
    """Merge the pieces' readings into the stored ones (in the write turn), judging them as merged.

    Few uploads are split: a statement per reading. The merge itself is
    done by the database, so that a reading another receiver process
    stores at the same moment loses no field either. A reading left open
    is kept (``OpenReading``) with it, unless it was stored before and is
    not ``still_open``.
    """
    stored = _stored_values(pieces)
    for piece in pieces:
        key = _key(piece.row)
        if piece.open and key in stored and key not in still_open:
            # A piece sent again: its reading is open still, or was closed
            # and judged already.
            piece.end = None
    _piece_exceedances(pieces, stored, worst)
    opened = _open_rows(pieces, now)
    if opened:
        OpenReading.objects.bulk_create(opened, ignore_conflicts=True)
    # A data flag with no value is merged into a reading, never one of its own.
    # Copies: the times are adapted for the database, and the pieces' rows
    # keep theirs (``OpenEnds.remember`` keys by them).
    rows = [
        list(piece.row)
        for piece in pieces
        if piece.row[_RTD:_FLAG] != _NO_VALUES or (piece.row[_FLAG] and _key(piece.row) in stored)
    ]
    if not rows:
        return
    _adapt_times(rows, using)
    with connections[using].cursor() as cursor:
        execute_rows(cursor, _merge_sql(using), rows)


def store_batch(
    accepted: Sequence[Accepted],
    refused: Sequence[Refused],
    *,
    actor: Actor,
    commands: Sequence[SentCommand] = (),
    open_ends: OpenEnds | None = None,
) -> int:
    """Commit a batch of accepted and refused packets and of the commands sent to devices.

    Return the readings offered for insert, a reading sent twice in the batch once. A
    command is stored before the batch's answers are matched, so an answer in the same
    batch finds it. ``open_ends``: the caller's memory of the readings that split
    uploads' pieces left open, updated once the batch is committed, for it to judge
    them after the timeout (without it, the periodic task does).
    """
    if not accepted and not refused and not commands:
        return 0
    now = timezone.now()
    rows, pieces, seen = _first_copies(accepted)
    expired = open_ends.expired() if open_ends is not None else {}
    digest = hashlib.sha256()
    for item in accepted:
        digest.update(item.raw)
    good = Counter(item.point_id for item in accepted)
    bad = Counter(item.point_id for item in refused if item.point_id is not None)
    using = router.db_for_write(Reading)
    # What needs no write is worked out before the write turn, which other
    # receiver processes wait for: the exceedances while the rows still hold
    # times, then the times as the database stores them, then the statements.
    over = _over_limit_values(rows)
    _adapt_times(rows, using)
    inserts = _reading_inserts(rows, using)
    refused_rows = [_refused_row(item) for item in refused]
    with transaction.atomic(durable=True, using=using):
        worst = _exceedances(over)
        _insert_readings(inserts, rows, using)
        claimed: list[PieceKey] = []
        still_open: set[ReadingKey] = set()
        if seen or expired:
            claimed, still_open = _claim_open_readings(pieces, seen, set(expired.values()), using)
        if pieces:
            _store_pieces(list(pieces.values()), worst, using, still_open=still_open, now=now)
        opened = _over_limit_alarms(worst)
        if good:
            # A point that reports again is no longer offline.
            _mark_offline_recovered(list(good), now)
        if commands:
            _store_commands(commands)
        answered = _match_command_answers(accepted)
        _count_packets(good, bad, now)
        if refused_rows:
            RefusedPacket.objects.bulk_create(refused_rows)
        record_entry(
            actor=actor,
            action="regulation.receive_packets",
            subject_type="regulation.hj212_batch",
            subject_id=now.isoformat(timespec="microseconds"),
            data={
                "accepted": len(accepted),
                "refused": len(refused),
                "readings": len(rows) + len(pieces),
                "alarms_opened": opened,
                "commands_sent": len(commands),
                "commands_answered": answered,
                "sha256": digest.hexdigest(),
            },
        )
    if open_ends is not None and (pieces or expired):
        open_ends.remember(list(pieces.values()), [*claimed, *expired])
    return len(rows) + len(pieces)
