"""The HJ 212 receiver: an asyncio TCP server that stores uploads and answers after commit.

Each connection cuts its byte stream into frames (``FrameSplitter``), parses
and checks every frame, and authenticates it by MN and PW against the
registered monitoring points. Accepted and refused packets go to the inbox
of a dedicated database thread, which takes what has gathered (up to
``batch_size`` packets, waiting at most ``max_delay`` seconds for more),
commits it in one transaction (``ingest.store_batch``) and only then has the
event loop send the data acknowledgements (9014) the packets' Flags asked
for. A crash before the
commit loses only unacknowledged packets, which the devices resend; the
readings' unique key makes a resend harmless.

A bad frame is refused with its reason, logged, counted against the device
when its MN is known, and never answered; it never closes the connection or
touches another device's. A piece of a split upload (Flag D bit,
PNUM/PNO) is stored and answered as it comes, with its own DataTime or that
of another piece under its QN (see ``Receiver._take_piece``); its readings
are merged with those of the upload's other pieces (``ingest.store_batch``).

A time calibration request (1013) is answered at once (9013) and followed on
the same connection by the command that sets the device's time (1012), which
is stored with the next batch. The device's answers to it (9011, 9012) are
counted with its packets, matched to the command by its QN (the command's
outcome is kept for the regulator), logged when they report a failure, and
never answered.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import logging
import math
import queue
import re
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext_noop

from zhengtong.core.actors import Actor
from zhengtong.core.calendar import SHANGHAI
from zhengtong.regulation.hj212 import (
    ANSWER_COMMANDS,
    COMMAND_RETURNS,
    FLAG_VERSION_2017,
    FLAG_VERSION_2025_DEFAULT,
    CrcVariant,
    ErrorCode,
    FrameSplitter,
    HJ212Error,
    Packet,
    data_ack,
    notice_ack,
    parse_packet,
    set_time_command,
)
from zhengtong.regulation.ingest import (
    DATA_COMMANDS,
    Accepted,
    OpenEnds,
    Refused,
    SentCommand,
    store_batch,
)
from zhengtong.regulation.models import Edition, MonitoringPoint

logger = logging.getLogger(__name__)
T = TypeVar("T")

ACTOR = Actor.system("regulation.hj212_server")
_MN = re.compile(rb"MN=([^;]{0,40})")
# How long the pieces of a split upload may take to arrive, and how long a
# stored one is remembered for a piece sent again (HJ 212-2017 table 1: a
# device waits 5 to 10 s for an answer and sends up to three times more).
SPLIT_TIMEOUT_S = 60.0
# Registered points are re-read this often, so new devices are let in.
POINTS_REFRESH_S = 30.0
UNKNOWN_REFRESH_S = 2.0
# The commands that are not uploads: a time calibration request and the answers.
_EXCHANGE_COMMANDS = ANSWER_COMMANDS | {"1013"}


def password_digest(salt: str, password: str) -> str:
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PointAuth:
    point_id: int
    salt: str
    digest: str
    variants: tuple[CrcVariant, ...]
    # The Flag version of the device's edition: expected in its uploads, used in the answers.
    flag_version: int = FLAG_VERSION_2017


def flag_version_of(edition: str) -> int:
    """The Flag version bits of an edition of the standard, as this installation is configured."""
    if edition == Edition.HJ212_2025:
        return int(getattr(settings, "HJ212_FLAG_VERSION_2025", FLAG_VERSION_2025_DEFAULT))
    return FLAG_VERSION_2017


def load_points() -> dict[str, PointAuth]:
    """Return the active monitoring points by MN, as the receiver checks them."""
    points = {}
    for point in MonitoringPoint.objects.filter(is_active=True).only(
        "pk", "mn", "password_salt", "password_hash", "crc_compat", "edition"
    ):
        variants: tuple[CrcVariant, ...] = (CrcVariant.HJ212,)
        if point.crc_compat:
            variants = (CrcVariant.HJ212, CrcVariant.MODBUS_SWAPPED)
        points[point.mn] = PointAuth(
            point.pk,
            point.password_salt,
            point.password_hash,
            variants,
            flag_version_of(point.edition),
        )
    return points


@dataclass(slots=True)
class _Pending:
    """A packet waiting for the writer, with where to send its answer after commit.

    Or a command sent to a device, to be stored with the batch.
    """

    accepted: Accepted | None
    refused: Refused | None
    writer: asyncio.StreamWriter | None
    answer: bytes | None
    command: SentCommand | None = None


@dataclass(slots=True)
class _Split:
    """The pieces of one split upload (one MN and QN) seen in the last minute."""

    pnum: int
    # Pieces waiting for the DataTime another piece carries, or for the rest
    # of an upload that is stored whole; by PNO.
    waiting: dict[int, tuple[Packet, bytes]] = field(default_factory=dict)
    # The DataTime a piece under this QN carried, for the pieces without one.
    data_time: str | None = None
    seen: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class Stats:
    accepted: int = 0
    refused: int = 0
    committed_batches: int = 0
    acknowledged: int = 0
    by_variant: dict[str, int] = field(default_factory=dict)


class _Call(Generic[T]):
    """A function to run on the database thread, with the future of its result."""

    __slots__ = ("function", "future")

    def __init__(self, function: Callable[[], T]) -> None:
        self.function = function
        self.future: concurrent.futures.Future[T] = concurrent.futures.Future()


# Tells the database thread to commit what it holds and end.
_STOP = object()


class Receiver:
    def __init__(
        self,
        *,
        batch_size: int = 2000,
        max_delay: float = 0.005,
        store: Callable[[Sequence[Accepted], Sequence[Refused], Sequence[SentCommand]], object]
        | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.max_delay = max_delay
        # The readings split uploads' pieces leave open, judged when the next piece comes.
        self._open_ends = OpenEnds(timeout=SPLIT_TIMEOUT_S)
        self._store = store or (
            lambda a, r, c: store_batch(a, r, actor=ACTOR, commands=c, open_ends=self._open_ends)
        )
        # Packets for the database thread, in the order received (and the
        # calls it runs between batches). A thread-safe queue: the database
        # thread takes the next batch the moment a commit ends, without
        # waiting for the event loop to finish what it is doing.
        self.inbox: queue.SimpleQueue[_Pending | _Call[Any] | object] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._db_thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.points: dict[str, PointAuth] = {}
        self._points_loaded: float | None = None  # when the points were last read
        self._points_loading: asyncio.Future[None] | None = None
        self._verified: set[tuple[str, str]] = set()
        self._splits: dict[tuple[str, str], _Split] = {}
        self._splits_swept = 0.0  # when the expired splits were last looked for
        self._unknown_seen = False
        self.stats = Stats()

    # --- the database thread -------------------------------------------------------------

    def start(self) -> None:
        """Start the database thread; call from the running event loop that serves devices."""
        self._loop = asyncio.get_running_loop()
        self._db_thread = threading.Thread(target=self._write_forever, name="hj212-db", daemon=True)
        self._db_thread.start()

    async def stop(self) -> None:
        """Commit (and answer) what was accepted, then end the database thread."""
        if self._db_thread is None:
            return
        self._stopping.set()
        self.inbox.put(_STOP)
        await asyncio.get_running_loop().run_in_executor(None, self._db_thread.join)
        self._db_thread = None

    async def call_in_db(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the database thread, between batches, with its connection."""
        call = _Call(function)
        self.inbox.put(call)
        return await asyncio.wrap_future(call.future)

    def _write_forever(self) -> None:
        try:
            stopped = False
            while not stopped:
                first = self.inbox.get()
                if isinstance(first, _Pending) and self.inbox.qsize() < max(
                    1, self.batch_size // 16
                ):
                    # Let a few more packets arrive: one commit (and fsync) for
                    # many. Packets that gathered during the last commit (a
                    # sixteenth of a full batch or more) are a batch already:
                    # waiting longer would only hold their answers back. A stop
                    # ends the wait.
                    self._stopping.wait(self.max_delay)
                stopped = self._take_batch(first)
            # Packets accepted but not yet committed are stored now; the
            # devices whose answers are lost with their connections find them
            # stored when they resend.
            while True:
                try:
                    first = self.inbox.get_nowait()
                except queue.Empty:
                    break
                self._take_batch(first)
        finally:
            connections.close_all()

    def _take_batch(self, first: _Pending | _Call[Any] | object) -> bool:
        """Commit ``first`` and what waits behind it, up to a batch; run the calls among them.

        Return whether the stop was among them.
        """
        batch: list[_Pending] = []
        calls: list[_Call[Any]] = []
        stopped = False
        item = first
        while True:
            if isinstance(item, _Pending):
                batch.append(item)
            elif isinstance(item, _Call):
                calls.append(item)
            else:
                stopped = True
            if len(batch) >= self.batch_size:
                break
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                break
        if batch:
            self._commit(batch)
        for call in calls:
            _run_call(call)
        return stopped

    def _commit(self, batch: list[_Pending]) -> None:
        accepted = [p.accepted for p in batch if p.accepted is not None]
        refused = [p.refused for p in batch if p.refused is not None]
        commands = [p.command for p in batch if p.command is not None]
        try:
            _drop_broken_connections()
            self._store(accepted, refused, commands)
        except Exception:
            logger.exception("HJ 212 batch of %d packets could not be stored", len(batch))
            # The record of refusals must never cost the good data: try
            # without it, on a new connection if that one broke.
            try:
                _drop_broken_connections()
                self._store(accepted, [], commands)
            except Exception:
                # Nothing is acknowledged: the devices resend. Keep serving.
                logger.exception("HJ 212 batch of %d uploads could not be stored", len(accepted))
                return
        self.stats.committed_batches += 1
        if self._loop is not None:
            # A closed loop took the connections, and their answers, with it.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._answer, batch)

    def _answer(self, batch: list[_Pending]) -> None:
        # One write per connection for the batch's answers, in the order received.
        answers: dict[asyncio.StreamWriter, list[bytes]] = {}
        for pending in batch:
            if pending.answer and pending.writer is not None:
                answers.setdefault(pending.writer, []).append(pending.answer)
        for writer, parts in answers.items():
            if not writer.is_closing():
                writer.write(b"".join(parts))
                self.stats.acknowledged += len(parts)

    async def refresh_points(self, *, force: bool = False) -> None:
        age = math.inf if self._points_loaded is None else time.monotonic() - self._points_loaded
        # An unknown MN may be a point registered a moment ago: look again, but
        # not more often than every few seconds, whatever a stranger sends.
        if not ((force and age > UNKNOWN_REFRESH_S) or age > POINTS_REFRESH_S):
            return
        # Every connection due for fresh points waits for the same reading.
        if self._points_loading is None:
            self._points_loading = asyncio.ensure_future(self._load_points())
        await asyncio.shield(self._points_loading)

    async def _load_points(self) -> None:
        try:
            self._unknown_seen = False
            self.points = await self.call_in_db(load_points)
            self._verified.clear()
            self._points_loaded = time.monotonic()
        except Exception:
            if self._points_loaded is None:
                raise  # at start: a receiver that cannot read its points does not serve
            # The database is away for a moment: the devices keep being served
            # with the points read before, and the reading is tried again soon.
            logger.exception("HJ 212 monitoring points could not be read again")
            self._points_loaded = time.monotonic() - POINTS_REFRESH_S + UNKNOWN_REFRESH_S
        finally:
            self._points_loading = None

    # --- per connection ----------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = str(writer.get_extra_info("peername") or "")[:64]
        splitter = FrameSplitter()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self.refresh_points(force=self._unknown_seen)
                # The packets of one read arrived together: one time for all.
                received_at = timezone.now()
                frames, junk = splitter.feed(data)
                for piece in junk:
                    self._refuse(
                        None,
                        "",
                        HJ212Error(ErrorCode.BAD_FRAME, gettext_noop("数据包帧之外的字节")),
                        peer,
                        piece,
                        received_at,
                    )
                for raw in frames:
                    self._take(raw, peer, writer, received_at)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            # One connection's surprise must not take the server down.
            logger.exception("HJ 212 connection from %s failed", peer)
        finally:
            writer.close()

    def _take(
        self, raw: bytes, peer: str, writer: asyncio.StreamWriter, received_at: dt.datetime
    ) -> None:
        found = _MN.search(raw)
        mn = found.group(1).decode("ascii", "replace") if found else ""
        auth = self.points.get(mn)
        variants = auth.variants if auth else (CrcVariant.HJ212,)
        try:
            packet = parse_packet(raw, crc_variants=variants, split_items=False)
            if auth is None:
                self._unknown_seen = True
                raise HJ212Error(
                    ErrorCode.BAD_MN,
                    gettext_noop("%(field)s %(value)s 不是已登记的监测点"),
                    field="MN",
                    value=repr(mn),
                )
            if (mn, packet.pw) not in self._verified:
                if password_digest(auth.salt, packet.pw) != auth.digest:
                    raise HJ212Error(
                        ErrorCode.BAD_PW,
                        gettext_noop("%(field)s 与 %(device)s %(value)s 登记的不符"),
                        field="PW",
                        device="MN",
                        value=repr(mn),
                    )
                self._verified.add((mn, packet.pw))
            if packet.version is not None and packet.version != auth.flag_version:
                # A device speaks one edition; another edition's packet is a
                # misconfigured device (or a spoof), and answering it in the
                # wrong edition would not be understood either.
                raise HJ212Error(
                    ErrorCode.BAD_FLAG,
                    gettext_noop(
                        "%(field)s 的版本号 %(version)d 与设备所用标准版本（%(expected)d）不符"
                    ),
                    field="Flag",
                    version=packet.version,
                    expected=auth.flag_version,
                )
            # A split upload's DataTime may be in another piece: judged once whole.
            if packet.cn in DATA_COMMANDS and "DataTime=" not in packet.cp and not packet.is_split:
                raise _no_data_time()
        except HJ212Error as error:
            self._refuse(auth.point_id if auth else None, mn, error, peer, raw, received_at)
            return
        if packet.crc_variant is not CrcVariant.HJ212:
            variant = str(packet.crc_variant)
            self.stats.by_variant[variant] = self.stats.by_variant.get(variant, 0) + 1
            logger.info("HJ 212 packet from %s with CRC variant %s", mn, variant)
        if packet.cn in _EXCHANGE_COMMANDS:
            # Rare: one look-up on the upload path, the rest apart.
            self._take_exchange(packet, raw, auth, peer, writer, received_at)
            return
        if packet.is_split:
            self._take_piece(packet, raw, auth, peer, writer, received_at)
            return
        answer = data_ack(packet, version=auth.flag_version) if packet.needs_ack else None
        self._queue(Accepted(auth.point_id, packet, raw, received_at), writer, answer)

    def _take_exchange(
        self,
        packet: Packet,
        raw: bytes,
        auth: PointAuth,
        peer: str,
        writer: asyncio.StreamWriter,
        received_at: dt.datetime,
    ) -> None:
        if packet.cn == "1013":
            try:
                command = set_time_command(
                    packet, timezone.now().astimezone(SHANGHAI), version=auth.flag_version
                )
            except HJ212Error as error:
                self._refuse(auth.point_id, packet.mn, error, peer, raw, received_at)
                return
            # The notice is answered at once, having nothing to store; then the
            # platform sets the device's clock, as HJ 212-2017 has it do after a
            # time calibration request (table C.4).
            writer.write(notice_ack(packet, version=auth.flag_version) + command)
            logger.info("HJ 212 device %s asked for its time to be set: 1012 sent", packet.mn)
            # Kept, so that the device's answers (same QN) show whether its clock was set.
            sent = parse_packet(command)
            self.inbox.put(
                _Pending(
                    None,
                    None,
                    None,
                    None,
                    SentCommand(auth.point_id, sent.qn or "", sent.cn, sent.cp, timezone.now()),
                )
            )
            return
        # A device's answer to the platform's command (9011, 9012), or to a
        # notice or data (9013, 9014). A refusal or a failure is worth a line
        # in the log: the command it answers has not taken effect.
        returned = COMMAND_RETURNS.get(packet.cn)
        if returned is not None:
            _log_return(packet, *returned)
        # Counted with the device's packets, but never answered, whatever its
        # Flag asks: two sides answering each other's answers would never stop.
        self._queue(Accepted(auth.point_id, packet, raw, received_at), writer, None)

    def _take_piece(
        self,
        packet: Packet,
        raw: bytes,
        auth: PointAuth,
        peer: str,
        writer: asyncio.StreamWriter,
        received_at: dt.datetime,
    ) -> None:
        """Take one piece of a split upload (Flag D bit, PNUM/PNO).

        A piece of readings that says when they were taken (DataTime) is
        stored and answered on its own: HJ 212-2017 tables C.49 and C.50
        send each piece under a QN of its own, each with its DataTime, and
        have the device wait for a piece's answer before it sends the next,
        so a receiver waiting for the whole would never get it. A piece
        without a DataTime takes the one of a piece under the same QN, at
        once if that came first, or when it comes. Anything else (another
        command) is stored whole once every piece arrived.
        """
        assert packet.pno is not None and packet.pnum is not None
        self._expire_splits()
        key = (packet.mn, packet.qn or "")
        split = self._splits.get(key)
        if split is None:
            split = self._splits[key] = _Split(packet.pnum)
        elif packet.pnum != split.pnum:
            # Pieces that disagree on how many there are: this one is refused,
            # unanswered, so the device sends it again; what was stored stands.
            error = HJ212Error(
                ErrorCode.BAD_PACKET_NUMBER,
                gettext_noop("%(name)s=%(value)d，而 %(qn)s 之前的分包为 %(name)s=%(said)d"),
                name="PNUM",
                value=packet.pnum,
                qn=f"QN {packet.qn}",
                said=split.pnum,
            )
            self._refuse(auth.point_id, packet.mn, error, peer, raw, received_at)
            return
        split.seen = time.monotonic()
        if packet.cn in DATA_COMMANDS:
            data_time = _data_time_text(packet)
            if data_time is not None:
                split.data_time = data_time
                self._queue_piece(packet, raw, auth, writer, received_at)
                for waiting, waiting_raw in split.waiting.values():
                    dated = _dated(waiting, data_time)
                    self._queue_piece(dated, waiting_raw, auth, writer, received_at)
                split.waiting.clear()
                return
            if split.data_time is not None:
                dated = _dated(packet, split.data_time)
                self._queue_piece(dated, raw, auth, writer, received_at)
                return
        split.waiting[packet.pno] = (packet, raw)
        if len(split.waiting) < packet.pnum:
            return
        del self._splits[key]
        pieces = [split.waiting[n] for n in sorted(split.waiting)]
        combined_raw = b"".join(raw for _piece, raw in pieces)
        if packet.cn in DATA_COMMANDS:
            # Every piece came and none said when its readings were taken.
            self._refuse(auth.point_id, packet.mn, _no_data_time(), peer, combined_raw, received_at)
            return
        first = pieces[0][0]
        whole = first._replace(
            items=tuple(item for piece, _raw in pieces for item in piece.all_items()),
            items_deferred=False,
            pnum=None,
            pno=None,
        )
        answers = b"".join(
            data_ack(piece, version=auth.flag_version) for piece, _raw in pieces if piece.needs_ack
        )
        self._queue(Accepted(auth.point_id, whole, combined_raw, received_at), writer, answers)

    def _queue_piece(
        self,
        packet: Packet,
        raw: bytes,
        auth: PointAuth,
        writer: asyncio.StreamWriter,
        received_at: dt.datetime,
    ) -> None:
        """Store a piece of readings as an upload of its own, answered after the commit.

        A piece sent again (the device missed its answer) is answered again;
        the readings' key stores nothing twice. Its readings are merged into
        those the upload's other pieces stored (``ingest.store_batch``), so
        that a pollutant's values split between two pieces make one reading.
        """
        answer = data_ack(packet, version=auth.flag_version) if packet.needs_ack else None
        self._queue(Accepted(auth.point_id, packet, raw, received_at), writer, answer)

    def _expire_splits(self) -> None:
        now = time.monotonic()
        if now - self._splits_swept < 1.0:
            return  # a sweep a second is enough for a timeout of a minute
        self._splits_swept = now
        for key, split in list(self._splits.items()):
            if now - split.seen > SPLIT_TIMEOUT_S:
                if split.waiting:
                    # Never acknowledged: the device sends those pieces again.
                    logger.warning(
                        "split upload %s expired with %d pieces waiting", key, len(split.waiting)
                    )
                del self._splits[key]

    def _queue(
        self, accepted: Accepted, writer: asyncio.StreamWriter, answer: bytes | None
    ) -> None:
        self.stats.accepted += 1
        self.inbox.put(_Pending(accepted, None, writer, answer or None))

    def _refuse(
        self,
        point_id: int | None,
        mn: str,
        error: HJ212Error,
        peer: str,
        raw: bytes,
        received_at: dt.datetime,
    ) -> None:
        self.stats.refused += 1
        logger.warning("HJ 212 packet refused from %s (MN %r): %s", peer, mn, error)
        refused = Refused(point_id, mn, error, peer, raw, received_at)
        self.inbox.put(_Pending(None, refused, None, None))


def _data_time_text(packet: Packet) -> str | None:
    """The DataTime the packet's data area carries, as sent (the last one, as ingest reads it)."""
    if "DataTime=" not in packet.cp:
        return None
    found = None
    for name, value in packet.pairs():
        if name == "DataTime":
            found = value
    return found


def _dated(packet: Packet, data_time: str) -> Packet:
    """A piece without a DataTime with the one its upload's other piece carried."""
    return packet._replace(
        items=((("DataTime", data_time),), *packet.all_items()), items_deferred=False
    )


def _log_return(packet: Packet, name: str, success: int) -> None:
    value = packet.data().get(name)
    if value != str(success):
        logger.info(
            "HJ 212 device %s answered the command QN %s with %s=%s",
            packet.mn,
            packet.qn,
            name,
            value,
        )


def _no_data_time() -> HJ212Error:
    # An upload's values are stored under its DataTime; without one they
    # would be acknowledged and then lost, and the device would never resend.
    return HJ212Error(
        ErrorCode.MISSING_FIELD, gettext_noop("数据上传缺少 %(field)s"), field="DataTime"
    )


def _run_call(call: _Call[Any]) -> None:
    try:
        _drop_broken_connections()
        call.future.set_result(call.function())
    except Exception as error:  # handed to the caller, who awaits the future
        call.future.set_exception(error)


def _drop_broken_connections() -> None:
    """Close the database thread's connections that failed; keep the working ones.

    The thread lives as long as the receiver and keeps its connection, with
    its page cache and its parsed schema: Django's ``close_old_connections``
    would also close it whenever it is older than ``CONN_MAX_AGE`` (0 by
    default), and every batch paid for a new connection and a cold cache. A
    connection on which a database error occurred (the server restarted, say)
    is closed, and the next call opens a new one: the batch is tried once more
    at once (``Receiver._commit``), and a batch that still fails is not
    acknowledged, so its devices send it again.
    """
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        autocommit_changed = connection.get_autocommit() != connection.settings_dict["AUTOCOMMIT"]
        if connection.errors_occurred or autocommit_changed:
            connection.close()


async def serve(
    host: str, port: int, receiver: Receiver | None = None, *, reuse_port: bool = False
) -> None:
    """Run the receiver until SIGTERM or SIGINT, then commit what was accepted and stop.

    With ``reuse_port`` several processes listen on the same port and the
    kernel spreads the devices' connections over them.
    """
    receiver = receiver or Receiver()
    receiver.start()
    try:
        await receiver.refresh_points(force=True)
        server = await asyncio.start_server(
            receiver.handle, host, port, limit=1 << 20, reuse_port=reuse_port or None
        )
    except BaseException:
        await receiver.stop()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    logger.info("HJ 212 receiver listening on %s:%d", host, port)
    try:
        await stop.wait()
    finally:
        server.close()
        # What was accepted is committed, and answered while the connections last.
        await receiver.stop()
