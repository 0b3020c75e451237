"""The HJ 212 receiver: an asyncio TCP server that stores uploads and answers after commit.

Each connection cuts its byte stream into frames (``FrameSplitter``), parses
and checks every frame, and authenticates it by MN and PW against the
registered monitoring points. Accepted and refused packets go to one queue;
a single writer takes what has gathered (up to ``batch_size`` packets or
``max_delay`` seconds), commits it in one transaction on a dedicated
database thread (``ingest.store_batch``) and only then sends the data
acknowledgements (9014) the packets' Flags asked for. A crash before the
commit loses only unacknowledged packets, which the devices resend; the
readings' unique key makes a resend harmless.

A bad frame is refused with its reason, logged, counted against the device
when its MN is known, and never answered; it never closes the connection or
touches another device's. Split uploads (Flag D bit, PNUM/PNO) are held
until all their packets have arrived and stored as one upload.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import logging
import re
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.db import connections
from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.regulation.hj212 import (
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
)
from zhengtong.regulation.ingest import Accepted, Refused, store_batch
from zhengtong.regulation.models import Edition, MonitoringPoint

logger = logging.getLogger(__name__)
T = TypeVar("T")

ACTOR = Actor.system("regulation.hj212_server")
_MN = re.compile(rb"MN=([^;]{0,40})")
# How long the pieces of a split upload may take to arrive.
SPLIT_TIMEOUT_S = 60.0
# Registered points are re-read this often, so new devices are let in.
POINTS_REFRESH_S = 30.0
UNKNOWN_REFRESH_S = 2.0


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
    """A packet waiting for the writer, with where to send its answer after commit."""

    accepted: Accepted | None
    refused: Refused | None
    writer: asyncio.StreamWriter | None
    answer: bytes | None


@dataclass(slots=True)
class _Split:
    pieces: dict[int, tuple[Packet, bytes]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class Stats:
    accepted: int = 0
    refused: int = 0
    committed_batches: int = 0
    acknowledged: int = 0
    by_variant: dict[str, int] = field(default_factory=dict)


class Receiver:
    def __init__(
        self,
        *,
        batch_size: int = 2000,
        max_delay: float = 0.005,
        store: Callable[[Sequence[Accepted], Sequence[Refused]], object] | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.max_delay = max_delay
        self._store = store or (lambda a, r: store_batch(a, r, actor=ACTOR))
        self.queue: asyncio.Queue[_Pending] = asyncio.Queue()
        # One thread for every database call, so the connection is reused.
        self.db = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hj212-db")
        self.points: dict[str, PointAuth] = {}
        self._points_loaded = 0.0
        self._verified: set[tuple[str, str]] = set()
        self._splits: dict[tuple[str, str], _Split] = {}
        self._unknown_seen = False
        self.stats = Stats()
        # Packets taken off the queue for the next batch, not yet being committed.
        self.gathering: list[_Pending] = []

    async def refresh_points(self, *, force: bool = False) -> None:
        age = time.monotonic() - self._points_loaded
        # An unknown MN may be a point registered a moment ago: look again, but
        # not more often than every few seconds, whatever a stranger sends.
        if (force and age > UNKNOWN_REFRESH_S) or age > POINTS_REFRESH_S:
            self._unknown_seen = False
            loop = asyncio.get_running_loop()
            self.points = await loop.run_in_executor(self.db, _fresh(load_points))
            self._verified.clear()
            self._points_loaded = time.monotonic()

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
                        HJ212Error(ErrorCode.BAD_FRAME, "bytes outside a frame"),
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
            packet = parse_packet(raw, crc_variants=variants)
            if auth is None:
                self._unknown_seen = True
                raise HJ212Error(ErrorCode.BAD_MN, f"MN {mn!r} is not a registered point")
            if (mn, packet.pw) not in self._verified:
                if password_digest(auth.salt, packet.pw) != auth.digest:
                    raise HJ212Error(ErrorCode.BAD_PW, f"wrong PW for MN {mn!r}")
                self._verified.add((mn, packet.pw))
            if packet.version is not None and packet.version != auth.flag_version:
                # A device speaks one edition; another edition's packet is a
                # misconfigured device (or a spoof), and answering it in the
                # wrong edition would not be understood either.
                raise HJ212Error(
                    ErrorCode.BAD_FLAG,
                    f"Flag version {packet.version} is not the device's edition "
                    f"(version {auth.flag_version})",
                )
        except HJ212Error as error:
            self._refuse(auth.point_id if auth else None, mn, error, peer, raw, received_at)
            return
        if packet.crc_variant is not CrcVariant.HJ212:
            variant = str(packet.crc_variant)
            self.stats.by_variant[variant] = self.stats.by_variant.get(variant, 0) + 1
            logger.info("HJ 212 packet from %s with CRC variant %s", mn, variant)
        if packet.cn in ("1013",):
            # A notice (time calibration request) is answered at once; nothing to store.
            writer.write(notice_ack(packet, version=auth.flag_version))
            return
        if packet.is_split:
            self._take_piece(packet, raw, auth, writer, received_at)
            return
        answer = data_ack(packet, version=auth.flag_version) if packet.needs_ack else None
        self._queue(Accepted(auth.point_id, packet, raw, received_at), writer, answer)

    def _take_piece(
        self,
        packet: Packet,
        raw: bytes,
        auth: PointAuth,
        writer: asyncio.StreamWriter,
        received_at: dt.datetime,
    ) -> None:
        key = (packet.mn, packet.qn or "")
        split = self._splits.setdefault(key, _Split())
        assert packet.pno is not None and packet.pnum is not None
        split.pieces[packet.pno] = (packet, raw)
        if len(split.pieces) < packet.pnum:
            self._expire_splits()
            return
        del self._splits[key]
        pieces = [split.pieces[n] for n in sorted(split.pieces)]
        first = pieces[0][0]
        whole = first._replace(
            items=tuple(item for piece, _raw in pieces for item in piece.items),
            pnum=None,
            pno=None,
        )
        combined_raw = b"".join(raw for _piece, raw in pieces)
        answers = b"".join(
            data_ack(piece, version=auth.flag_version) for piece, _raw in pieces if piece.needs_ack
        )
        self._queue(Accepted(auth.point_id, whole, combined_raw, received_at), writer, answers)

    def _expire_splits(self) -> None:
        now = time.monotonic()
        for key, split in list(self._splits.items()):
            if now - split.started > SPLIT_TIMEOUT_S:
                # Never acknowledged: the device resends the whole upload.
                logger.warning("split upload %s expired with %d pieces", key, len(split.pieces))
                del self._splits[key]

    def _queue(
        self, accepted: Accepted, writer: asyncio.StreamWriter, answer: bytes | None
    ) -> None:
        self.stats.accepted += 1
        self.queue.put_nowait(_Pending(accepted, None, writer, answer or None))

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
        self.queue.put_nowait(_Pending(None, refused, None, None))

    # --- the writer ----------------------------------------------------------------------

    async def write_forever(self) -> None:
        while True:
            self.gathering = [await self.queue.get()]
            waiting = self.queue.qsize()
            # Packets that gathered during the last commit (a sixteenth of a
            # full batch or more) are a batch already: waiting longer would
            # only hold their answers back.
            gathered = waiting >= max(1, self.batch_size // 16)
            if waiting + 1 < self.batch_size and not gathered:
                # Let a few more packets arrive: one commit (and fsync) for many.
                # One sleep per batch, not a timed wait per packet, which cost
                # more than parsing the packet.
                await asyncio.sleep(self.max_delay)
            batch = self.gathering
            while len(batch) < self.batch_size and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            # From here the commit owns the batch; a stop meanwhile lets it finish.
            self.gathering = []
            await self.commit(batch)

    async def commit(self, batch: list[_Pending]) -> None:
        accepted = [p.accepted for p in batch if p.accepted is not None]
        refused = [p.refused for p in batch if p.refused is not None]
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.db, _fresh(lambda: self._store(accepted, refused)))
        except Exception:
            logger.exception("HJ 212 batch of %d packets could not be stored", len(batch))
            # The record of refusals must never cost the good data: try without it.
            try:
                await loop.run_in_executor(self.db, _fresh(lambda: self._store(accepted, [])))
            except Exception:
                # Nothing is acknowledged: the devices resend. Keep serving.
                logger.exception("HJ 212 batch of %d uploads could not be stored", len(accepted))
                return
        self.stats.committed_batches += 1
        # One write per connection for the batch's answers, in the order received.
        answers: dict[asyncio.StreamWriter, list[bytes]] = {}
        for pending in batch:
            if pending.answer and pending.writer is not None:
                answers.setdefault(pending.writer, []).append(pending.answer)
        for writer, parts in answers.items():
            if not writer.is_closing():
                writer.write(b"".join(parts))
                self.stats.acknowledged += len(parts)


def _fresh(function: Callable[[], T]) -> Callable[[], T]:
    def run() -> T:
        _drop_broken_connections()
        return function()

    return run


def _drop_broken_connections() -> None:
    """Close the database thread's connections that failed; keep the working ones.

    The thread lives as long as the receiver and keeps its connection, with
    its page cache and its parsed schema: Django's ``close_old_connections``
    would also close it whenever it is older than ``CONN_MAX_AGE`` (0 by
    default), and every batch paid for a new connection and a cold cache. A
    connection on which a database error occurred (the server restarted, say)
    is closed, and the next call opens a new one: the batch is tried once more
    at once (``Receiver.commit``), and a batch that still fails is not
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
    await receiver.refresh_points(force=True)
    server = await asyncio.start_server(
        receiver.handle, host, port, limit=1 << 20, reuse_port=reuse_port or None
    )
    writer_task = asyncio.create_task(receiver.write_forever())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    logger.info("HJ 212 receiver listening on %s:%d", host, port)
    try:
        await stop.wait()
    finally:
        server.close()
        writer_task.cancel()
        # Packets accepted but not yet committed are stored now; their answers
        # are lost with the connections, and the devices' resends find them stored.
        remaining = receiver.gathering
        receiver.gathering = []
        while not receiver.queue.empty():
            remaining.append(receiver.queue.get_nowait())
        if remaining:
            await receiver.commit(remaining)
        receiver.db.shutdown(wait=True)
