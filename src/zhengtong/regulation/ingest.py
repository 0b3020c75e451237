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
import functools
import hashlib
import sqlite3
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
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


def readings_of(accepted: Accepted) -> list[ReadingRow]:
    """Return the reading rows of an upload (none for other commands or without DataTime)."""
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
    rows = [row for row in by_code.values() if row[_RTD:_FLAG] != _NO_VALUES]
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

    Only data flagged N (normal) or T (over the measuring range) counts (see
    ``JUDGED_FLAGS``). The rows hold each reading once (``_first_copies``). Values
    are judged against the limit in force, whatever an open alarm was raised under.
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
        if upper is None or row[_FLAG] not in JUDGED_FLAGS:
            continue
        # The converted value (ZsRtd, ZsAvg: at the reference oxygen content)
        # when sent, since flue-gas limits are set for it and dilution air
        # lowers only the measured one; else the real-time value or average.
        value = row[_ZS]
        if value is None:
            value = row[_RTD] if row[_RTD] is not None else row[_AVG]
        if value is None or value <= upper:
            continue
        key = (row[_POINT], row[_POLLUTANT], row[_COMMAND], row[_DATA_TIME])
        found.setdefault(key, (key, value, upper))
    return list(found.values())


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
        if key in stored:
            continue
        point_pollutant, when = (key[0], key[1]), key[3]
        seen = worst.get(point_pollutant)
        if seen is None:
            worst[point_pollutant] = (value, upper, when, when, 1)
        else:
            worst[point_pollutant] = (
                max(seen[0], value),
                upper,
                min(seen[2], when),
                max(seen[3], when),
                seen[4] + 1,
            )
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


def _first_copies(accepted: Sequence[Accepted]) -> list[ReadingRow]:
    """The batch's reading rows, each reading once: the first copy sent, as the insert keeps it.

    A reading sent twice in one batch (a resend beside its original, or two
    uploads with the same DataTime) is stored once; the alarms must judge
    that copy, not a later one with another value. Uploads are compared by
    point, command and time, which all rows of an upload share, so only an
    upload repeated in the batch costs a look at its pollutants.
    """
    rows: list[ReadingRow] = []
    firsts: dict[tuple[int, str, dt.datetime], list[ReadingRow]] = {}
    taken: dict[tuple[int, str, dt.datetime], set[str]] = {}
    for item in accepted:
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
    return rows


def store_batch(
    accepted: Sequence[Accepted],
    refused: Sequence[Refused],
    *,
    actor: Actor,
    commands: Sequence[SentCommand] = (),
) -> int:
    """Commit a batch of accepted and refused packets and of the commands sent to devices.

    Return the readings offered for insert, a reading sent twice in the batch once. A
    command is stored before the batch's answers are matched, so an answer in the same
    batch finds it.
    """
    if not accepted and not refused and not commands:
        return 0
    now = timezone.now()
    rows = _first_copies(accepted)
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
                "readings": len(rows),
                "alarms_opened": opened,
                "commands_sent": len(commands),
                "commands_answered": answered,
                "sha256": digest.hexdigest(),
            },
        )
    return len(rows)
