"""Writing governed calls' access-log rows and ledger entries, with group commit.

Every governed call must have its ledger entry and access-log row durably
committed before its answer leaves. Committed one call per transaction, the
calls of a busy server queue behind the ledger head lock and pay one disk
flush each. Here concurrent calls of one process share transactions instead:
the first thread to arrive with nothing being written becomes the leader and
writes everything queued, in one transaction with one ``append_entries``
append; threads that arrive meanwhile queue and wait, and the next leader
writes them as the next batch. Each caller returns only once the transaction
holding its own entry has committed, so nothing is answered that the log could
lose. If that transaction fails for anything but the database being out of
reach (``_retry_alone``), each of its calls is written again in a transaction
of its own, so that one call's entry that cannot be written fails that call
only, not every other system's call that happened to share its batch.

A caller already inside a transaction (an action composing calls, or a test)
writes its row in that transaction instead, as any action would.

The leaders of different processes queue for a write turn and take their
batch once they have it: on SQLite as every transaction does (``core/sqlite/``:
a blocking file lock instead of SQLite's sleep and retry), on PostgreSQL on an
advisory lock (``_take_write_turn``).

The rate limit is counted here too, in the same transaction: every call that
passed authorisation counts against its grant's one-minute window, answered or
refused afterwards (an unknown key too, or the limit would leave an unlimited
oracle of which keys exist), and the calls of a batch that find the window
full are logged as ``rate_limited`` instead. The count only counts a grant
still in force: the calls of a grant revoked or expired since they were
authorised are logged as ``grant_revoked`` or ``grant_expired``. Calls that no
grant counts (a provider system's reads of its own department's resource, and
any system's reads of 无条件共享 items without a grant in force) are counted the
same way on an ``UngrantedReadWindow`` row per system and resource. The caller
answers as its call was logged (``LogEntry.result``).
"""

import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, router, transaction
from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.sql import (
    driver_cursor,
    driver_sql,
    insert_rows,
    insert_sql,
    quoted_table,
    rows_statement,
)
from zhengtong.exchange.models import AccessLog, AccessSubject, Grant, UngrantedReadWindow
from zhengtong.ledger.actions import PendingEntry, append_entries

OK = "ok"
RATE_LIMITED = "rate_limited"
GRANT_REVOKED = "grant_revoked"
GRANT_EXPIRED = "grant_expired"
# Upper bound on the calls one transaction carries, so that one batch's
# latency stays bounded under any load.
MAX_BATCH = 500


@dataclass(slots=True)
class LogEntry:
    """One governed call as it is written: the access-log row and its ledger entry.

    ``data`` is what the ledger entry is made of; its ``"result"`` is set when
    the entry is written, since the rate count may turn a counted call's result
    into ``rate_limited``, ``grant_revoked`` or ``grant_expired``.
    """

    actor: Actor
    action: str
    subject_type: str
    subject_id: str | int
    client_id: int
    resource_id: int | None
    grant_id: int | None
    operation: str
    result: str
    data: dict[str, Any]
    outcomes: Mapping[str, str]
    # The calls per minute allowed to an authorised call that no grant counts
    # (a provider system reading its own department's resource, or any system
    # reading 无条件共享 items without a grant), counted on the system's window
    # for the resource; ``None`` for every other call. A call with a
    # ``grant_id`` passed authorisation under that grant: both count against
    # their rate.
    ungranted_rate: int | None = None
    # Set once written.
    seq: int | None = None
    error: BaseException | None = None


_LOG_FIELDS = ("ledger_seq", "at", "client", "resource", "grant", "operation", "result", "data")


@dataclass(frozen=True, slots=True)
class _Statements:
    """The writer's statements for one database, written once for the driver's cursor."""

    count_rate: str
    # Why a grant's count found no row: its revocation time, if any.
    grant_lapse: str
    count_ungranted_rate: str
    insert_log: str
    # What the access-log INSERT returns: each row's ledger_seq and id.
    log_ids: str
    insert_subject: str


@cache
def _statements(using: str) -> _Statements:
    connection = connections[using]
    least = "MIN" if connection.vendor == "sqlite" else "LEAST"
    grant, g = quoted_table(using, Grant)
    window, w = quoted_table(using, UngrantedReadWindow)
    _, c = quoted_table(using, AccessLog)
    return _Statements(
        # One statement, so that the grant's row is locked for one round trip
        # less: the window's count goes up by the batch's calls, on top of the
        # count so far capped at the rate, which tells the calls within the
        # rate from those over it and keeps the count bounded. Only a grant
        # still in force is counted: one revoked or expired since its calls
        # were authorised must not answer them.
        count_rate=driver_sql(
            using,
            f"UPDATE {grant} SET {g['window_count']} = CASE WHEN {g['window_start']} = %s"  # noqa: S608
            f" THEN {least}({g['window_count']}, {g['rate_per_minute']}) ELSE 0 END + %s,"
            f" {g['window_start']} = %s WHERE {g['id']} = %s"
            f" AND {g['revoked_at']} IS NULL AND {g['expires_at']} > %s"
            f" RETURNING {g['window_count']}, {g['rate_per_minute']}",
        ),
        grant_lapse=driver_sql(
            using,
            f"SELECT {g['revoked_at']} FROM {grant} WHERE {g['id']} = %s",  # noqa: S608
        ),
        # The same count for the reads no grant counts; the first such call
        # of a system on a resource makes the row.
        count_ungranted_rate=driver_sql(
            using,
            f"INSERT INTO {window} ({w['client']}, {w['resource']}, {w['window_start']},"  # noqa: S608
            f" {w['window_count']}) VALUES (%s, %s, %s, %s)"
            f" ON CONFLICT ({w['client']}, {w['resource']}) DO UPDATE SET {w['window_count']} ="
            f" CASE WHEN {window}.{w['window_start']} = excluded.{w['window_start']}"
            f" THEN {least}({window}.{w['window_count']}, %s) ELSE 0 END"
            f" + excluded.{w['window_count']}, {w['window_start']} = excluded.{w['window_start']}"
            f" RETURNING {w['window_count']}",
        ),
        insert_log=driver_sql(using, insert_sql(using, AccessLog, _LOG_FIELDS)),
        log_ids=f" RETURNING {c['ledger_seq']}, {c['id']}",
        insert_subject=driver_sql(
            using, insert_sql(using, AccessSubject, ("log", "key_hash", "outcome"))
        ),
    )


def _count_rates(using: str, cursor: Any, entries: Sequence[LogEntry], window: int) -> None:
    """Count the authorised calls against their grants' or ungranted windows; mark those refused.

    Every call that passed authorisation counts, whatever came of it after:
    were a key that names no record free, a caller over its limit could still
    tell existing keys from missing ones.
    """
    by_grant: dict[int, list[LogEntry]] = defaultdict(list)
    by_window: dict[tuple[int, int], list[LogEntry]] = defaultdict(list)
    for entry in entries:
        if entry.grant_id is not None:
            by_grant[entry.grant_id].append(entry)
        elif entry.ungranted_rate is not None and entry.resource_id is not None:
            by_window[(entry.client_id, entry.resource_id)].append(entry)
    if not by_grant and not by_window:
        return
    statements = _statements(using)
    now = connections[using].ops.adapt_datetimefield_value(timezone.now()) if by_grant else None
    for grant_id, calls in by_grant.items():
        cursor.execute(statements.count_rate, [window, len(calls), window, grant_id, now])
        row = cursor.fetchone()
        if row is None:
            _mark_lapsed(cursor, statements, grant_id, calls)
            continue
        _mark_over_rate(calls, int(row[0]), int(row[1]))
    for (client_id, resource_id), calls in by_window.items():
        # A system is the resource's provider or it is not: the calls of one
        # window share their rate.
        rate = calls[0].ungranted_rate or 0
        cursor.execute(
            statements.count_ungranted_rate, [client_id, resource_id, window, len(calls), rate]
        )
        row = cursor.fetchone()
        _mark_over_rate(calls, int(row[0]), rate)


def _mark_lapsed(
    cursor: Any, statements: _Statements, grant_id: int, calls: Sequence[LogEntry]
) -> None:
    """Mark the calls of a grant that is no longer in force as refused, as the grant lapsed.

    The calls were authorised while it was; it was revoked or it expired
    before their entries were written, and what is logged is what they answer.
    """
    cursor.execute(statements.grant_lapse, [grant_id])
    row = cursor.fetchone()
    if row is None:  # the grant was deleted: nothing to count against
        return
    result = GRANT_REVOKED if row[0] is not None else GRANT_EXPIRED
    for entry in calls:
        entry.result = result


def _mark_over_rate(calls: Sequence[LogEntry], count: int, rate: int) -> None:
    """Mark the calls beyond the rate, given the window's count with them added."""
    # The window's count before this batch, as far as it matters: at most the rate.
    before = count - len(calls)
    allowed = max(0, min(len(calls), rate - before))
    for entry in calls[allowed:]:
        entry.result = RATE_LIMITED


def write_entries(entries: Sequence[LogEntry]) -> None:
    """Write the calls' rate counts, ledger entries and access-log rows; call in a transaction."""
    if not entries:
        return
    using = router.db_for_write(AccessLog)
    connection = connections[using]
    statements = _statements(using)
    cursor = driver_cursor(using)
    _count_rates(using, cursor, entries, int(time.time() // 60))
    for entry in entries:
        entry.data["result"] = entry.result
    appended = append_entries(
        [PendingEntry(e.actor, e.action, e.subject_type, e.subject_id, e.data) for e in entries]
    )
    at = connection.ops.adapt_datetimefield_value(appended.recorded_at)
    prepare_data = AccessLog._meta.get_field("data").get_db_prep_save
    rows = []
    for seq, entry in enumerate(entries, appended.first_seq):
        entry.seq = seq
        rows.append(
            (
                seq,
                at,
                entry.client_id,
                entry.resource_id,
                entry.grant_id,
                entry.operation,
                entry.result,
                prepare_data(entry.data, connection),
            )
        )
    subject_rows = [
        (e.seq, digest, outcome) for e in entries for digest, outcome in e.outcomes.items()
    ]
    if not subject_rows:
        insert_rows(cursor, statements.insert_log, rows)
        return
    if connection.vendor == "postgresql" and len(rows) * len(_LOG_FIELDS) <= _ONE_STATEMENT_VALUES:
        # The log rows and their subjects in one statement: a round trip
        # fewer while the ledger head's row is locked. The subjects go as
        # three arrays, so that the statement's text does not grow with them.
        seqs, digests, outcomes = (list(column) for column in zip(*subject_rows, strict=True))
        cursor.execute(
            _log_with_subjects_sql(using, len(rows)),
            [*(value for row in rows for value in row), seqs, digests, outcomes],
        )
        return
    # The log rows' ids by ledger_seq, for their subjects.
    log_id = dict(insert_rows(cursor, statements.insert_log, rows, statements.log_ids))
    insert_rows(
        cursor,
        statements.insert_subject,
        [(log_id[seq], digest, outcome) for seq, digest, outcome in subject_rows],
    )


# Bound values of the log rows in the one statement with their subjects; a
# larger batch goes in several.
_ONE_STATEMENT_VALUES = 8_000
_LOG_WITH_SUBJECTS: dict[tuple[str, int], str] = {}


def _log_with_subjects_sql(using: str, logs: int) -> str:
    """PostgreSQL: INSERT ``logs`` access-log rows and their subject rows in one go.

    The subjects come as three arrays (ledger_seq of their log row, key
    hash, outcome), joined to the ids the log INSERT returns. A statement
    with a placeholder per subject value (3,000 for a batch look-up of 1,000
    keys) cost the driver more to rewrite for the server, every time, than
    the server took to run it.
    """
    key = (using, logs)
    sql = _LOG_WITH_SUBJECTS.get(key)
    if sql is None:
        statements = _statements(using)
        subject, s = quoted_table(using, AccessSubject)
        _, c = quoted_table(using, AccessLog)
        sql = (
            f"WITH l AS ({rows_statement(statements.insert_log, logs)}{statements.log_ids})"  # noqa: S608
            f" INSERT INTO {subject} ({s['log']}, {s['key_hash']}, {s['outcome']})"
            f" SELECT l.{c['id']}, v.key_hash, v.outcome"
            " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v (seq, key_hash, outcome)"
            f" JOIN l ON l.{c['ledger_seq']} = v.seq"
        )
        if len(_LOG_WITH_SUBJECTS) >= 256:  # batch sizes vary; keep the common ones
            _LOG_WITH_SUBJECTS.clear()
        _LOG_WITH_SUBJECTS[key] = sql
    return sql


def _take_write_turn(using: str) -> None:
    """PostgreSQL: wait for the other processes' audit batches to commit first.

    Without it each process's leader takes its batch at once and then waits
    on the grant's and the ledger head's row locks with that batch fixed;
    waiting here instead, the calls that arrive meanwhile join the batch, so
    the processes write fewer, larger batches. SQLite's transactions already
    begin with the write turn (core/sqlite/).
    """
    if connections[using].vendor != "postgresql" or not settings.EXCHANGE_PG_WRITE_TURN:
        return
    driver_cursor(using).execute("SELECT pg_advisory_xact_lock(%s)", [_WRITE_TURN_KEY])


# The advisory lock's key: the eight bytes of "exchange" as a number, halved to
# fit PostgreSQL's signed bigint.
_WRITE_TURN_KEY = int.from_bytes(b"exchange", "big") >> 1


class _Waiter:
    """A queued call's thread, asleep on its own lock until it is woken for its one reason."""

    __slots__ = ("entry", "lead", "wake")

    def __init__(self, entry: LogEntry) -> None:
        self.entry = entry
        # Woken to write the next batch rather than because its entry is written.
        self.lead = False
        self.wake = threading.Lock()
        self.wake.acquire()


class _GroupCommit:
    """The queue of one process's calls waiting to be written, and who is writing.

    ``arriving`` counts the calls of this process that have started and will
    queue an entry soon. A leader waits up to ``EXCHANGE_GROUP_COMMIT_WAIT_MS``
    for them before it writes, as PostgreSQL's ``commit_delay`` does: on a busy
    server the calls are CPU-bound and would otherwise reach the queue one at a
    time, each paying a whole transaction of its own.

    Each thread is woken once, for its own reason: a queued call when its
    batch is committed or when it is to lead the next one, the leader when the
    calls it waits for have all queued. A condition shared by all of them woke
    every waiting thread at every arrival, and the threads' waking and sleeping
    again cost the server more than writing their entries.
    """

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.queue: list[_Waiter] = []
        # A leader is chosen or writing; queued calls wait for it.
        self.writing = False
        self.arriving = 0
        # The leader's lock while it waits for arriving calls.
        self.leader_wake: threading.Lock | None = None

    def arrive(self) -> None:
        with self.mutex:
            self.arriving += 1

    def leave(self) -> None:
        with self.mutex:
            self.arriving -= 1
            self._wake_leader_if_ready()

    def _wake_leader_if_ready(self) -> None:
        """Wake a leader waiting for arrivals once there is none left or the batch is full."""
        if self.leader_wake is not None and (self.arriving <= 0 or len(self.queue) >= MAX_BATCH):
            self.leader_wake.release()
            self.leader_wake = None

    def submit(self, entry: LogEntry, wait_s: float) -> None:
        waiter = _Waiter(entry)
        with self.mutex:
            self.arriving -= 1
            self.queue.append(waiter)
            lead = waiter.lead = not self.writing
            if lead:
                self.writing = True
            else:
                self._wake_leader_if_ready()
        if not lead:
            waiter.wake.acquire()
            lead = waiter.lead
        if lead:
            self._lead(wait_s)
        if entry.error is not None:
            raise entry.error

    def _lead(self, wait_s: float) -> None:
        """Write the queue as one batch (this thread's own entry among it), then hand over."""
        with self.mutex:
            if self.arriving > 0 and len(self.queue) < MAX_BATCH:
                wake = self.leader_wake = threading.Lock()
                wake.acquire()
            else:
                wake = None
        if wake is not None:
            woken = wake.acquire(timeout=wait_s)
            with self.mutex:
                if not woken and self.leader_wake is wake:
                    self.leader_wake = None
        batch: list[_Waiter] = []
        results: list[str] = []
        # Each entry of the batch carries its own outcome, written alone.
        alone = False
        error: BaseException | None = RuntimeError("the access log was not written")
        try:
            using = router.db_for_write(AccessLog)
            try:
                with transaction.atomic(using=using, durable=True):
                    _take_write_turn(using)
                    # Taken only now that this process has the database's write
                    # turn (on SQLite by beginning the transaction, core/sqlite/):
                    # calls that queued meanwhile ride in this one.
                    with self.mutex:
                        batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
                    # As the calls asked to be logged, before the rate count
                    # changes them, should they have to be written again.
                    results = [w.entry.result for w in batch]
                    write_entries([w.entry for w in batch])
            except Exception as failed:
                if len(batch) < 2 or not _retry_alone(failed):
                    raise
                alone = True
                _write_each_alone(using, [w.entry for w in batch], results)
            error = None
        except Exception as failed:  # every call of the batch fails with it
            error = failed
        finally:
            with self.mutex:
                if not batch:  # failed before taking a batch: fail those queued
                    batch, self.queue = self.queue, []
                if not alone:
                    for written in batch:
                        written.entry.error = error
                # The next leader is chosen now, so that it starts as soon as woken.
                successor = self.queue[0] if self.queue else None
                self.writing = successor is not None
                if successor is not None:
                    successor.lead = True
            for written in batch:
                if written.lead:
                    continue  # this thread
                written.wake.release()
            if successor is not None:
                successor.wake.release()


def _retry_alone(failed: Exception) -> bool:
    """Whether a failed batch's calls are worth writing again, each on its own.

    A batch fails as a whole for one call's entry that cannot be written (a
    value its row refuses); written alone, the others succeed. A database
    that cannot be reached, or a lock that timed out, would fail each of them
    again, one after another, while every caller waits.
    """
    return not isinstance(failed, OperationalError | InterfaceError)


def _write_each_alone(using: str, entries: Sequence[LogEntry], results: Sequence[str]) -> None:
    """Write each entry of a failed batch in its own transaction; fail only those that fail."""
    for entry in entries:  # until written: nothing is answered that the log lacks
        entry.error = RuntimeError("the access log was not written")
    for entry, result in zip(entries, results, strict=True):
        # The failed transaction was rolled back: the entry is counted and
        # numbered afresh.
        entry.result, entry.seq = result, None
        try:
            with transaction.atomic(using=using, durable=True):
                _take_write_turn(using)
                write_entries([entry])
            entry.error = None
        except Exception as failed:  # this call fails, and it alone
            entry.error = failed


_group = _GroupCommit()


class Arrival:
    """A governed call of this process that will log an entry; see ``arriving``."""

    def __init__(self) -> None:
        self.queued = False


@contextmanager
def arriving() -> Iterator[Arrival]:
    """Wrap a governed call, from its start to its log write, so leaders wait for it."""
    arrival = Arrival()
    _group.arrive()
    try:
        yield arrival
    finally:
        if not arrival.queued:
            _group.leave()


def log_call(entry: LogEntry, arrival: Arrival | None = None) -> str:
    """Write one call's entry durably before returning; return its result as logged."""
    using = router.db_for_write(AccessLog)
    if connections[using].in_atomic_block or not settings.EXCHANGE_GROUP_COMMIT:
        with transaction.atomic(using=using):
            write_entries([entry])
        return entry.result
    if arrival is None:
        _group.arrive()
    else:
        arrival.queued = True
    _group.submit(entry, settings.EXCHANGE_GROUP_COMMIT_WAIT_MS / 1000)
    return entry.result
