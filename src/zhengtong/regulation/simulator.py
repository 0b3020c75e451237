"""Simulated HJ 212 data collectors: realistic uploads from N monitoring points over TCP.

Each simulated point is an air (flue gas: SO2 a21026, NOx a21002, particulate
a34013, flow a00000) or water (COD w01018, ammonia nitrogen w21003, flow
w00000) outlet. Values follow a daily cycle with noise; now and then a
pollutant rises over its limit, and a point may freeze on one value (a
fault the regulator should notice). Real-time uploads (2011) carry Flag=5, so
the receiver must answer each with a data acknowledge (9014); a device keeps
at most ``window`` packets unanswered and resends those not answered within
``timeout`` seconds, as field devices do (OverTime/ReCount of table 1).
A device answers the platform's command setting its time (1012) with a
request answer (9011) and an execution result (9012), both successes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from zhengtong.regulation.hj212 import (
    EXE_RTN_SUCCESS,
    QN_RTN_READY,
    TRAILER,
    HJ212Error,
    crc16_fast,
    data_ack,
    execution_result,
    frame,
    frame_bounds,
    parse_packet,
    request_answer,
    segment_of,
)

AIR = (("a21026", 20.0, 35.0), ("a21002", 32.0, 50.0), ("a34013", 6.0, 10.0))
WATER = (("w01018", 30.0, 50.0), ("w21003", 3.0, 5.0))
# Shares of readings that go over the limit, and of points stuck on one value.
OVER_LIMIT_SHARE = 0.01


@dataclass(slots=True)
class SimulatedPoint:
    mn: str
    pw: str
    water: bool = False
    stuck: bool = False
    rng: random.Random = field(default_factory=random.Random)

    @property
    def system_code(self) -> str:
        return "32" if self.water else "31"

    @property
    def pollutants(self) -> tuple[tuple[str, float, float], ...]:
        return WATER if self.water else AIR

    def data_area(self, when: dt.datetime) -> str:
        """The CP of a real-time upload at ``when``: each pollutant's value and flag."""
        hour = when.hour + when.minute / 60
        daily = 1 + 0.25 * math.sin((hour - 8) / 24 * 2 * math.pi)
        items = [f"DataTime={when:%Y%m%d%H%M%S}"]
        for code, typical, limit in self.pollutants:
            if self.stuck:
                value = typical
            elif self.rng.random() < OVER_LIMIT_SHARE:
                value = limit * (1.1 + self.rng.random())
            else:
                value = max(0.0, typical * daily * (1 + self.rng.gauss(0, 0.08)))
            items.append(f"{code}-Rtd={value:.3f},{code}-Flag=N")
        flow = "w00000" if self.water else "a00000"
        items.append(f"{flow}-Rtd={self.rng.uniform(80, 120):.2f},{flow}-Flag=N")
        return ";".join(items)

    def upload(self, when: dt.datetime, sequence: int) -> tuple[str, bytes]:
        """Return (QN, packet) of a real-time upload that asks for an answer."""
        qn = f"{when:%Y%m%d%H%M%S}{sequence % 1000:03d}"
        segment = segment_of(
            qn=qn,
            st=self.system_code,
            cn="2011",
            pw=self.pw,
            mn=self.mn,
            flag=5,
            cp=self.data_area(when),
        )
        return qn, frame(segment)


def points_for(count: int, *, seed: int = 212, prefix: str = "SIM") -> list[SimulatedPoint]:
    """Return ``count`` simulated points with stable MNs, passwords and kinds."""
    # Reproducible simulated traffic, not secrets.
    rng = random.Random(seed)  # noqa: S311
    points = []
    for n in range(count):
        mn = f"{prefix}{n:0{24 - len(prefix)}d}"
        points.append(
            SimulatedPoint(
                mn=mn,
                pw=f"{rng.randrange(10**6):06d}",
                water=n % 3 == 2,
                stuck=n % 97 == 13,
                rng=random.Random(seed * 1000 + n),  # noqa: S311
            )
        )
    return points


@dataclass(slots=True)
class DeviceReport:
    sent: int = 0
    resent: int = 0
    acknowledged: int = 0
    # (MN, DataTime) of every acknowledged upload.
    acked: list[tuple[str, str]] = field(default_factory=list)


class PreparedUpload(NamedTuple):
    qn: str
    packet: bytes
    data_time: str
    # The expected data acknowledge without CR LF; b"" when not known ahead.
    answer: bytes


_ANSWER_FIELDS = re.compile(rb"(?:^|;)(QN|CN)=(\d+)")


def _answer_of(raw: bytes) -> tuple[str, str]:
    """The QN and CN of an answer whose frame and CRC are right, else two empty texts.

    A device needs no more of an answer than which upload it answers: this
    is all a collector checks, at a fraction of a full parse.
    """
    try:
        start, end = frame_bounds(raw)
    except HJ212Error:
        return "", ""
    segment = raw[start:end]
    if raw[end : end + 4].upper() != b"%04X" % crc16_fast(segment):
        return "", ""
    fields = {name.decode(): value.decode() for name, value in _ANSWER_FIELDS.findall(segment)}
    return fields.get("QN", ""), fields.get("CN", "")


def _time_set(raw: bytes) -> bytes:
    """The answers of a device to the command setting its time: ready (9011), done (9012)."""
    try:
        command = parse_packet(raw)
    except HJ212Error:
        return b""  # a device ignores what it cannot read, and the platform asks again
    # A simulated device has no clock of its own to set: it keeps the host's.
    return request_answer(command, QN_RTN_READY) + execution_result(command, EXE_RTN_SUCCESS)


def prepare_uploads(
    point: SimulatedPoint, *, count: int, start: dt.datetime, step: dt.timedelta
) -> list[PreparedUpload]:
    """Build a device's ``count`` uploads ahead, with the answer each should get.

    A benchmark builds them before it starts the clock, because real devices
    are other machines: their packet building is not the receiver's cost.
    """
    uploads = []
    for index in range(count):
        when = start + step * index
        qn, packet = point.upload(when, index)
        # The data acknowledge the standard asks for, byte for byte (CRC
        # included), without its CR LF: the device compares an answer line
        # with it instead of parsing the line.
        answer = data_ack(parse_packet(packet))[: -len(TRAILER)]
        uploads.append(PreparedUpload(qn, packet, f"{when:%Y%m%d%H%M%S}", answer))
    return uploads


async def run_device(
    point: SimulatedPoint,
    host: str,
    port: int,
    *,
    count: int,
    start: dt.datetime,
    step: dt.timedelta,
    window: int = 50,
    timeout: float = 5.0,
    pause: float = 0.0,
    should_stop: Callable[[], bool] = lambda: False,
    on_ack: Callable[[], None] = lambda: None,
    prepared: Sequence[PreparedUpload] | None = None,
) -> DeviceReport:
    """Send ``count`` uploads (DataTime start, start+step, ...) and collect the answers.

    Reconnects when the connection drops, and resends what was not answered.
    ``prepared`` are the uploads built ahead by ``prepare_uploads``.
    """
    report = DeviceReport()
    pending: dict[str, tuple[bytes, str, float]] = {}  # QN -> (packet, DataTime, sent at)
    # Expected answer line -> QN, for the uploads whose answer is known ahead.
    expected: dict[bytes, str] = {}
    next_index = 0

    def next_upload() -> tuple[str, bytes, str]:
        if prepared is not None:
            upload = prepared[next_index]
            if upload.answer:
                expected[upload.answer] = upload.qn
            return upload.qn, upload.packet, upload.data_time
        when = start + step * next_index
        qn, packet = point.upload(when, next_index)
        return qn, packet, f"{when:%Y%m%d%H%M%S}"

    def take_answer(line: bytes) -> bytes:
        """Take an answer to an upload; return what the device sends back (b"" mostly)."""
        qn = expected.pop(line, None)
        cn = "9014"
        if qn is None:  # not the expected acknowledge: read it
            qn, cn = _answer_of(line + TRAILER)
            if cn == "1012":
                return _time_set(line + TRAILER)
        done = pending.pop(qn, None)
        if done is not None and cn == "9014":
            report.acknowledged += 1
            report.acked.append((point.mn, done[1]))
            on_ack()
        return b""

    while (next_index < count or pending) and not should_stop():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        buffer = b""
        try:
            # Resend what the previous connection left unanswered.
            now = time.monotonic()
            for qn, (packet, data_time, _sent) in list(pending.items()):
                writer.write(packet)
                pending[qn] = (packet, data_time, now)
                report.resent += 1
            while (next_index < count or pending) and not should_stop():
                # Unpaced, what fits in the window goes out in one write, as a
                # TCP stack coalesces small sends: one system call, not one per upload.
                outgoing: list[bytes] = []
                now = time.monotonic()
                while next_index < count and len(pending) < window:
                    qn, packet, data_time = next_upload()
                    pending[qn] = (packet, data_time, now)
                    report.sent += 1
                    next_index += 1
                    if pause:
                        writer.write(packet)
                        await writer.drain()
                        await asyncio.sleep(pause)
                        now = time.monotonic()
                    else:
                        outgoing.append(packet)
                if outgoing:
                    writer.write(b"".join(outgoing))
                await writer.drain()
                try:
                    # Whatever answers have arrived, several at a time.
                    async with asyncio.timeout(timeout):
                        data = await reader.read(65536)
                except TimeoutError:
                    now = time.monotonic()
                    for qn, (packet, data_time, sent) in list(pending.items()):
                        if now - sent >= timeout:
                            writer.write(packet)
                            pending[qn] = (packet, data_time, now)
                            report.resent += 1
                    continue
                if not data:
                    raise asyncio.IncompleteReadError(buffer, None)
                *lines, buffer = (buffer + data).split(TRAILER)
                for line in lines:
                    reply = take_answer(line)
                    if reply:
                        writer.write(reply)
        except (OSError, asyncio.IncompleteReadError):
            await asyncio.sleep(0.2)
        finally:
            writer.close()
    return report
