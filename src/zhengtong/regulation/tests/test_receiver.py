"""The HJ 212 receiver over a real socket: store, answer after commit, refuse, split, resend."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connections
from django.db.models import ProtectedError
from django.utils import timezone

from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.testing import TEST_ACTOR, make_enterprise, make_person
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation import receiver as receiver_module
from zhengtong.regulation.actions import do_judge_open_readings, do_set_emission_limit
from zhengtong.regulation.hj212 import (
    Packet,
    crc16_modbus,
    data_ack,
    frame,
    parse_packet,
    segment_of,
)
from zhengtong.regulation.management.commands import hj212_server
from zhengtong.regulation.models import (
    Alarm,
    DeviceCommand,
    MonitoringPoint,
    Reading,
    RefusedPacket,
)
from zhengtong.regulation.receiver import Receiver, load_points, password_digest, serve
from zhengtong.regulation.simulator import (
    DeviceReport,
    PreparedUpload,
    points_for,
    prepare_uploads,
    run_device,
)
from zhengtong.regulation.tasks import judge_open_readings

MN = "010000A8900016F000169DC0"
PW = "123456"


def register(
    mn: str = MN, pw: str = PW, *, crc_compat: bool = False, edition: str = "2017"
) -> MonitoringPoint:
    salt = secrets.token_hex(8)
    enterprise = make_enterprise("长沙市某化工有限公司", legal_representative=make_person("钱老板"))
    return MonitoringPoint.objects.create(
        mn=mn,
        name="1号排放口",
        enterprise=enterprise,
        password_salt=salt,
        password_hash=password_digest(salt, pw),
        crc_compat=crc_compat,
        edition=edition,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def upload(
    minute: int, *, mn: str = MN, pw: str = PW, flag: int = 5, cn: str = "2011", **more: Any
) -> bytes:
    cp = more.pop(
        "cp",
        f"DataTime=2026030108{30 + minute:02d}00;a21026-Rtd={30 + minute}.5,a21026-Flag=N;"
        f"a34013-Rtd=8.{minute},a34013-Flag=N",
    )
    return frame(
        segment_of(
            qn=f"2026030108{30 + minute:02d}00000",
            st="31",
            cn=cn,
            pw=pw,
            mn=mn,
            flag=flag,
            cp=cp,
            **more,
        )
    )


def piece(qn: str, number: int, cp: str, *, cn: str = "2051") -> bytes:
    """One of two pieces of a split upload that asks for answers (Flag 7)."""
    st = "32" if cn == "2061" else "31"
    return frame(segment_of(qn=qn, st=st, cn=cn, pw=PW, mn=MN, flag=7, pnum=2, pno=number, cp=cp))


def run(test: Callable[[Receiver, int], Coroutine[Any, Any, None]], **options: Any) -> None:
    async def main() -> None:
        receiver = Receiver(**{"max_delay": 0.001, **options})
        receiver.start()
        try:
            await receiver.refresh_points(force=True)
            server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            try:
                await asyncio.wait_for(test(receiver, port), 20)
            finally:
                server.close()
        finally:
            # The database thread closes its connection as it ends, so that
            # the test database can be dropped.
            await receiver.stop()

    asyncio.run(main())


async def exchange(port: int, payload: bytes, answers: int) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    lines = [await reader.readuntil(b"\r\n") for _ in range(answers)]
    writer.close()
    return lines


pytestmark = pytest.mark.django_db(transaction=True)


def test_uploads_are_stored_then_acknowledged() -> None:
    point = register()

    async def scenario(receiver: Receiver, port: int) -> None:
        answers = await exchange(port, upload(1) + upload(2), 2)
        acks = [parse_packet(a) for a in answers]
        assert [a.cn for a in acks] == ["9014", "9014"]
        # Answered after commit: the readings are there when the answer arrives.
        count = await receiver.call_in_db(lambda: Reading.objects.filter(point=point).count())
        assert count == 4

    run(scenario)
    reading = Reading.objects.get(point=point, pollutant="a21026", data_time__minute=31)
    assert (reading.rtd, reading.flag, reading.command) == (31.5, "N", "2011")
    # DataTime is Beijing time: 08:31 there is 00:31 UTC, whatever the database's form.
    assert reading.data_time == dt.datetime(2026, 3, 1, 0, 31, tzinfo=dt.UTC)
    assert abs(reading.received_at - timezone.now()) < dt.timedelta(minutes=5)
    point.refresh_from_db()
    assert point.packets == 2 and point.last_seen_at is not None
    assert LedgerEntry.objects.filter(action="regulation.receive_packets").exists()


def test_minute_data_stores_each_kind_of_value_in_its_column() -> None:
    point = register()
    cp = (
        "DataTime=20260301083000;a21026-Avg=30.5,a21026-Min=28,a21026-Max=33.25,"
        "a21026-Cou=1.5e2,a21026-ZsAvg=40.1,a21026-Flag=M;w01008-SampleTime=20260301083000;"
        "a34013-Avg=.5,a34013-Flag=T"
    )

    async def scenario(receiver: Receiver, port: int) -> None:
        answers = await exchange(port, upload(0, cn="2051", cp=cp), 1)
        assert parse_packet(answers[0]).cn == "9014"

    run(scenario)
    stored = {
        row[0]: row[1:]
        for row in Reading.objects.filter(point=point, command="2051").values_list(
            "pollutant", "rtd", "avg", "min", "max", "cou", "zs", "flag"
        )
    }
    # The sample time is no reading; the other names fill their pollutant's row.
    assert stored == {
        "a21026": (None, 30.5, 28.0, 33.25, 150.0, 40.1, "M"),
        "a34013": (None, 0.5, None, None, None, None, "T"),
    }


def test_a_resent_packet_is_acknowledged_but_stored_once() -> None:
    point = register()

    async def scenario(receiver: Receiver, port: int) -> None:
        await exchange(port, upload(3), 1)
        # Resent beside a new one, most likely in the same batch: the new one is stored.
        answers = await exchange(port, upload(3) + upload(4), 2)
        assert [parse_packet(a).cn for a in answers] == ["9014", "9014"]

    run(scenario)
    values = Reading.objects.filter(point=point).values_list("rtd", flat=True)
    assert sorted(value for value in values if value is not None) == [8.3, 8.4, 33.5, 34.5]


def test_a_point_with_readings_cannot_be_deleted() -> None:
    point = register()

    async def scenario(receiver: Receiver, port: int) -> None:
        await exchange(port, upload(5), 1)

    run(scenario)
    # Readings are evidence; the table keeps no foreign-key constraint, so
    # Django's PROTECT is what stands between a deleted point and orphans.
    with pytest.raises(ProtectedError):
        point.delete()
    assert Reading.objects.filter(point_id=point.pk).count() == 2


def test_the_database_connection_is_kept_and_a_broken_one_opened_again() -> None:
    if connections["default"].vendor == "sqlite":
        # Django refuses to close it, and the database would end with it.
        pytest.skip("the SQLite test database lives in memory (PostgreSQL runs this)")
    point = register()

    async def scenario(receiver: Receiver, port: int) -> None:
        def driver_connection() -> Any:
            return connections["default"].connection

        await exchange(port, upload(1), 1)
        first = await receiver.call_in_db(driver_connection)
        await exchange(port, upload(2), 1)
        # Kept from batch to batch, with its page cache.
        assert await receiver.call_in_db(driver_connection) is first
        # The connection breaks under the receiver: the batch fails, is tried
        # again on a new connection, and only then answered.
        await receiver.call_in_db(first.close)
        answers = await exchange(port, upload(3), 1)
        assert parse_packet(answers[0]).cn == "9014"
        assert await receiver.call_in_db(driver_connection) is not first

    run(scenario)
    assert Reading.objects.filter(point=point, pollutant="a21026").count() == 3


def test_packets_arriving_apart_within_the_delay_are_committed_together() -> None:
    register()

    async def scenario(receiver: Receiver, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for minute in (1, 2, 3):
            writer.write(upload(minute))
            await writer.drain()
            await asyncio.sleep(0.02)  # separate reads, well within the writer's wait
        for _ in range(3):
            await reader.readuntil(b"\r\n")
        writer.close()
        # Even with a small batch size the first packet waited for the others.
        assert receiver.stats.committed_batches == 1

    run(scenario, batch_size=8, max_delay=0.5)


def test_bad_packets_are_refused_counted_and_do_not_disturb_others() -> None:
    point = register()
    corrupt = bytearray(upload(4))
    corrupt[-8] = ord("0") if corrupt[-8] != ord("0") else ord("1")

    async def scenario(receiver: Receiver, port: int) -> None:
        # Garbage, a corrupt CRC, a wrong password and an unknown device, then a good packet:
        # the only answer is the good packet's.
        payload = (
            b"\x00\xffjunk"
            + bytes(corrupt)
            + upload(5, pw="999999")
            + upload(6, mn="UNKNOWN0001")
            + upload(7)
        )
        (answer,) = await exchange(port, payload, 1)
        assert parse_packet(answer).qn == parse_packet(upload(7)).qn

    run(scenario)
    codes = sorted(RefusedPacket.objects.values_list("code", flat=True))
    assert codes == ["bad_crc", "bad_frame", "bad_mn", "bad_pw"]
    point.refresh_from_db()
    assert (point.packets, point.bad_packets) == (1, 2)


def test_an_upload_without_a_data_time_is_refused_not_acknowledged() -> None:
    point = register()
    # Values with no DataTime have no time to be stored under: acknowledging
    # them would tell the device they were kept, and it would never resend.
    timeless = upload(1, cp="a21026-Rtd=31.5,a21026-Flag=N")

    async def scenario(receiver: Receiver, port: int) -> None:
        (answer,) = await exchange(port, timeless + upload(2), 1)
        assert parse_packet(answer).qn == parse_packet(upload(2)).qn

    run(scenario)
    refused = RefusedPacket.objects.get()
    assert (refused.code, refused.point_id) == ("missing_field", point.pk)
    assert "DataTime" in refused.detail
    point.refresh_from_db()
    assert (point.packets, point.bad_packets) == (1, 1)


def test_a_split_upload_without_a_data_time_is_refused_whole() -> None:
    point = register()

    def dateless(number: int) -> bytes:
        return upload(1, flag=7, pnum=2, pno=number, cp=f"a2102{number}-Rtd=1.{number}")

    async def scenario(receiver: Receiver, port: int) -> None:
        (answer,) = await exchange(port, dateless(1) + dateless(2) + upload(3), 1)
        assert parse_packet(answer).qn == parse_packet(upload(3)).qn

    run(scenario)
    assert list(RefusedPacket.objects.values_list("code", flat=True)) == ["missing_field"]
    assert not Reading.objects.filter(point=point, pollutant__in=("a21021", "a21022")).exists()


def test_a_piece_that_disagrees_on_the_number_of_pieces_is_refused() -> None:
    point = register()
    first = upload(1, flag=7, pnum=3, pno=1, cp="DataTime=20260301083100;a21021-Rtd=1.1")
    second = upload(1, flag=7, pnum=2, pno=2, cp="a21022-Rtd=1.2")

    async def scenario(receiver: Receiver, port: int) -> None:
        # The first piece says when and is answered; the second, which
        # contradicts it, is not; the upload after them is.
        answers = await exchange(port, first + second + upload(3), 2)
        assert [parse_packet(a).qn for a in answers] == [
            parse_packet(first).qn,
            parse_packet(upload(3)).qn,
        ]

    run(scenario)
    refused = RefusedPacket.objects.get()
    assert (refused.code, refused.point_id) == ("bad_packet_number", point.pk)
    stored = Reading.objects.filter(point=point, pollutant__in=("a21021", "a21022"))
    assert list(stored.values_list("pollutant", flat=True)) == ["a21021"]


def test_devices_due_for_fresh_points_share_one_reading_of_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    points = points_for(20, prefix="REFRESH")
    for point in points:
        register(point.mn, point.pw)
    readings: list[int] = []

    def counted_load() -> Any:
        readings.append(1)
        return load_points()

    monkeypatch.setattr(receiver_module, "load_points", counted_load)
    monkeypatch.setattr(receiver_module, "POINTS_REFRESH_S", 1.0)
    start = dt.datetime(2026, 3, 1, 10, 0)
    step = dt.timedelta(minutes=1)

    async def scenario(receiver: Receiver, port: int) -> None:
        assert len(readings) == 1  # at start
        await asyncio.sleep(1.1)
        # Every device's upload arrives when the points are due to be read again.
        reports = await asyncio.gather(
            *(
                run_device(point, "127.0.0.1", port, count=1, start=start, step=step)
                for point in points
            )
        )
        assert sum(report.acknowledged for report in reports) == 20
        assert len(readings) == 2

    run(scenario)


def test_a_failed_reading_of_the_points_keeps_the_devices_served(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    point = register()
    failures: list[int] = []

    def failing_load() -> Any:
        if failures:
            return load_points()
        failures.append(1)
        raise DatabaseError("the database is restarting")

    monkeypatch.setattr(receiver_module, "POINTS_REFRESH_S", 0.5)

    async def scenario(receiver: Receiver, port: int) -> None:
        monkeypatch.setattr(receiver_module, "load_points", failing_load)
        await asyncio.sleep(0.6)
        # The reading fails: the upload is still taken with the points read before.
        answers = await exchange(port, upload(1), 1)
        assert parse_packet(answers[0]).cn == "9014"
        assert failures == [1]
        assert "could not be read again" in caplog.text

    run(scenario)
    assert Reading.objects.filter(point=point, pollutant="a21026").count() == 1


def test_no_answer_when_the_flag_does_not_ask_for_one() -> None:
    point = register()

    async def scenario(receiver: Receiver, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(upload(8, flag=4) + upload(9, flag=5))
        (answer,) = [await reader.readuntil(b"\r\n")]
        assert parse_packet(answer).qn == parse_packet(upload(9)).qn
        writer.close()

    run(scenario)
    assert Reading.objects.filter(point=point).count() == 4


def interaction(cn: str, cp: str, *, qn: str = "20260301090000123", flag: int = 4) -> bytes:
    """A packet of the device's that is not an upload: a notice or an answer."""
    st = "31" if cn == "1013" else "91"
    return frame(segment_of(qn=qn, st=st, cn=cn, pw=PW, mn=MN, flag=flag, cp=cp))


@pytest.mark.parametrize(("cp", "pol_id"), [("PolId=w01018", "w01018"), ("", None)])
def test_a_time_calibration_request_is_answered_then_the_device_time_is_set(
    cp: str, pol_id: str | None
) -> None:
    point = register()
    notice = interaction("1013", cp, flag=5)

    async def scenario(receiver: Receiver, port: int) -> None:
        answer, command = await exchange(port, notice, 2)
        assert parse_packet(answer).cn == "9013"
        assert parse_packet(answer).qn == parse_packet(notice).qn
        # parse_packet checks the frame, the length and the CRC.
        request = parse_packet(command)
        assert (request.cn, request.st, request.pw, request.mn) == ("1012", "31", PW, MN)
        # HJ 212-2017, and an answer wanted: the device's 9011 and 9012.
        assert (request.flag, request.version, request.needs_ack) == (5, 1, True)
        data = request.data()
        assert data.get("PolId") == pol_id
        assert set(data) - {"PolId"} == {"SystemTime"}
        beijing = timezone.localtime(timezone.now(), SHANGHAI).replace(tzinfo=None)
        sent = dt.datetime.strptime(data["SystemTime"], "%Y%m%d%H%M%S")
        assert abs(sent - beijing) < dt.timedelta(minutes=1)
        # A fresh QN for the new exchange, of the same moment.
        assert request.qn is not None and request.qn != parse_packet(notice).qn
        assert request.qn[:14] == data["SystemTime"]

    run(scenario)
    assert not RefusedPacket.objects.exists()
    assert not Reading.objects.filter(point=point).exists()


def test_a_time_calibration_request_naming_no_pollutant_code_is_refused() -> None:
    point = register()
    notice = interaction("1013", "PolId=w01018=1", flag=5)

    async def scenario(receiver: Receiver, port: int) -> None:
        # Only the upload behind it is answered.
        (answer,) = await exchange(port, notice + upload(1), 1)
        assert parse_packet(answer).qn == parse_packet(upload(1)).qn

    run(scenario)
    refused = RefusedPacket.objects.get()
    assert (refused.code, refused.point_id) == ("bad_value", point.pk)
    assert "PolId" in refused.detail


def test_the_device_answers_to_a_command_are_taken_without_an_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    point = register()
    qn = "20260301090000123"
    # Flag=5 asks for an answer, which an answer never gets.
    answers = (
        interaction("9011", "QnRtn=1", qn=qn, flag=5)
        + interaction("9012", "ExeRtn=1", qn=qn)
        + interaction("9011", "QnRtn=1", qn="20260301090100456")
        + interaction("9012", "ExeRtn=6", qn="20260301090100456")
        + interaction("9014", "", qn="20260301090200789", flag=5)
    )
    caplog.set_level(logging.INFO, logger=receiver_module.__name__)

    async def scenario(receiver: Receiver, port: int) -> None:
        # Answers go out in the order received: the upload's is the first.
        (answer,) = await exchange(port, answers + upload(1), 1)
        assert parse_packet(answer).qn == parse_packet(upload(1)).qn

    run(scenario)
    assert not RefusedPacket.objects.exists()
    point.refresh_from_db()
    assert (point.packets, point.bad_packets) == (6, 0)
    assert Reading.objects.filter(point=point).count() == 2
    failures = [r.getMessage() for r in caplog.records if "answered the command" in r.getMessage()]
    assert failures == [
        f"HJ 212 device {MN} answered the command QN 20260301090100456 with ExeRtn=6"
    ]


@pytest.mark.parametrize(
    ("replies", "outcome"),
    [
        (("QnRtn=1", "ExeRtn=1"), ("executed", "1", "1")),
        (("QnRtn=1", None), ("accepted", "1", "")),
        (("QnRtn=2", None), ("failed", "2", "")),
        (("QnRtn=1", "ExeRtn=6"), ("failed", "1", "6")),
        ((None, None), ("sent", "", "")),
    ],
)
def test_the_device_answers_to_the_time_it_was_sent_are_matched_to_that_command(
    replies: tuple[str | None, str | None], outcome: tuple[str, str, str]
) -> None:
    point = register()
    ready, done = replies

    async def scenario(receiver: Receiver, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(interaction("1013", "PolId=w01018", flag=5))
        await reader.readuntil(b"\r\n")  # 9013
        command = parse_packet(await reader.readuntil(b"\r\n"))
        assert command.cn == "1012" and command.qn is not None
        answers = b""
        if ready is not None:
            answers += interaction("9011", ready, qn=command.qn)
        if done is not None:
            answers += interaction("9012", done, qn=command.qn)
        # An answer to a command never sent is taken and matched to nothing.
        answers += interaction("9012", "ExeRtn=1", qn="20260301090100456")
        # The upload's acknowledgement comes after the commit of what came before it.
        writer.write(answers + upload(1))
        await reader.readuntil(b"\r\n")
        writer.close()

    run(scenario)
    sent = DeviceCommand.objects.get()
    assert (sent.point_id, sent.cn) == (point.pk, "1012")
    assert "PolId=w01018" in sent.parameters and "SystemTime=" in sent.parameters
    assert (sent.state, sent.qn_rtn, sent.exe_rtn) == outcome
    assert (sent.answered_at is not None) == (ready is not None)
    assert (sent.executed_at is not None) == (done is not None)
    assert not RefusedPacket.objects.exists()


def test_a_split_upload_is_stored_whole_once_every_piece_arrived() -> None:
    point = register()
    qn = "20260301084000000"

    async def scenario(receiver: Receiver, port: int) -> None:
        answers = await exchange(
            port,
            piece(qn, 1, "DataTime=20260301083000;a21026-Avg=30.1,a21026-Flag=N")
            + piece(qn, 2, "a21002-Avg=80.2,a21002-Flag=N"),
            2,
        )
        assert {parse_packet(a).cn for a in answers} == {"9014"}

    run(scenario)
    assert sorted(Reading.objects.filter(point=point).values_list("pollutant", flat=True)) == [
        "a21002",
        "a21026",
    ]


def test_swapped_modbus_crc_is_accepted_for_a_device_in_compatibility_mode() -> None:
    register(crc_compat=True)
    register(mn="OTHER000000000000000001")
    segment = segment_of(
        qn="20260301085000000",
        st="31",
        cn="2011",
        pw=PW,
        mn=MN,
        flag=5,
        cp="DataTime=20260301085000;a21026-Rtd=1.0",
    ).encode()
    value = crc16_modbus(segment)
    swapped = ((value & 0xFF) << 8) | (value >> 8)
    raw = b"##%04d" % len(segment) + segment + b"%04X\r\n" % swapped
    other = raw.replace(MN.encode(), b"OTHER000000000000000001")
    other_raw = b"##%04d" % (len(other) - 12) + other[6:]

    async def scenario(receiver: Receiver, port: int) -> None:
        await exchange(port, other_raw + raw, 1)
        assert receiver.stats.by_variant == {"modbus_swapped": 1}

    run(scenario)
    assert RefusedPacket.objects.get().code == "bad_crc"  # the other device is not in that mode


def test_a_device_of_the_2025_edition_is_answered_in_its_edition_and_held_to_it(
    settings: Any,
) -> None:
    settings.HJ212_FLAG_VERSION_2025 = 3
    point = register(edition="2025")
    # Version bits 3, no split, answer wanted; and a 2017-edition packet (version 1).
    own, other = (3 << 2) | 1, (1 << 2) | 1

    async def scenario(receiver: Receiver, port: int) -> None:
        (answer,) = await exchange(port, upload(11, flag=other) + upload(12, flag=own), 1)
        ack = parse_packet(answer)
        assert ack.cn == "9014" and ack.qn == "20260301084200000"
        assert ack.version == 3 and not ack.needs_ack

    run(scenario)
    assert Reading.objects.filter(point=point, data_time__minute=42).exists()
    assert not Reading.objects.filter(point=point, data_time__minute=41).exists()
    refused = RefusedPacket.objects.get(point=point)
    assert refused.code == "bad_flag"
    assert refused.detail == "Flag 的版本号 1 与设备所用标准版本（3）不符"


def test_simulated_devices_are_answered_for_every_upload_built_ahead_or_not() -> None:
    points = points_for(3, prefix="SIMT")
    for point in points:
        register(point.mn, point.pw)
    start = dt.datetime(2026, 3, 1, 8, 0)
    step = dt.timedelta(seconds=30)

    async def scenario(receiver: Receiver, port: int) -> None:
        prepared = prepare_uploads(points[0], count=30, start=start, step=step)
        # The answer built ahead is the receiver's, byte for byte.
        first = await exchange(port, prepared[0].packet, 1)
        assert first == [prepared[0].answer + b"\r\n"]
        later = prepare_uploads(points[2], count=30, start=start, step=step)

        def device(n: int, built: list[PreparedUpload] | None) -> Awaitable[DeviceReport]:
            return run_device(
                points[n],
                "127.0.0.1",
                port,
                count=30,
                start=start,
                step=step,
                window=7,
                prepared=built,
            )

        reports = await asyncio.gather(
            device(0, prepared),
            device(1, None),
            # Answers unlike the ones built ahead are read in full, and still count.
            device(2, [upload._replace(answer=b"QN=0;CN=9014") for upload in later]),
        )
        for report in reports:
            assert (report.sent, report.acknowledged, report.resent) == (30, 30, 0)
        assert reports[0].acked[0] == (points[0].mn, "20260301080000")
        assert reports[2].acked[-1] == (points[2].mn, "20260301081430")

    run(scenario)
    # The first upload went twice (alone, then from its device), and is stored once.
    flows = Reading.objects.filter(pollutant__in=("a00000", "w00000"))
    assert flows.count() == 90


def test_a_simulated_device_answers_the_command_setting_its_time() -> None:
    (point,) = points_for(1, prefix="CLOCK")
    qn = "20260301090000123"
    command = frame(
        segment_of(
            qn=qn,
            st="31",
            cn="1012",
            pw=point.pw,
            mn=point.mn,
            flag=5,
            cp="SystemTime=20260301090000",
        )
    )

    async def main() -> list[Packet]:
        answers: asyncio.Future[list[Packet]] = asyncio.get_running_loop().create_future()

        async def platform(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            upload = parse_packet(await reader.readuntil(b"\r\n"))
            writer.write(command + data_ack(upload))
            lines = [await reader.readuntil(b"\r\n") for _ in range(2)]
            answers.set_result([parse_packet(line) for line in lines])
            writer.close()

        server = await asyncio.start_server(platform, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        start = dt.datetime(2026, 3, 1, 9, 0)
        async with server:
            report = await asyncio.wait_for(
                run_device(
                    point, "127.0.0.1", port, count=1, start=start, step=dt.timedelta(seconds=30)
                ),
                10,
            )
            assert report.acknowledged == 1
            return await asyncio.wait_for(answers, 10)

    ready, done = asyncio.run(main())
    assert (ready.cn, ready.qn, ready.data()) == ("9011", qn, {"QnRtn": "1"})
    assert (done.cn, done.qn, done.data()) == ("9012", qn, {"ExeRtn": "1"})
    assert ready.mn == point.mn and ready.st == "91"


def test_the_simulate_command_dates_its_uploads_in_beijing_time_on_a_machine_in_utc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The demo's collectors run on the platform's machine, whose clock may
    # keep UTC; the receiver reads a DataTime as Beijing time.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    (point,) = points_for(1)
    register(point.mn, point.pw)

    async def scenario(receiver: Receiver, port: int) -> None:
        await asyncio.to_thread(
            call_command, "hj212_simulate", port=port, points=1, count=1, interval=1, speed=100
        )

    try:
        run(scenario)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    stored = Reading.objects.filter(point__mn=point.mn).values_list("data_time", flat=True)
    assert stored
    for data_time in stored:
        assert abs(data_time - timezone.now()) < dt.timedelta(minutes=2)


def test_a_stop_commits_what_was_accepted_but_not_yet_committed() -> None:
    point = register()
    port = _free_port()

    async def main() -> None:
        # A long batching delay: the uploads wait in the batch being gathered.
        receiver = Receiver(max_delay=30)
        serving = asyncio.create_task(serve("127.0.0.1", port, receiver))
        for _ in range(100):
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        writer.write(upload(21, flag=4) + upload(22, flag=4))
        await writer.drain()
        while receiver.stats.accepted < 2:
            await asyncio.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(serving, 20)
        writer.close()
        await asyncio.get_running_loop().run_in_executor(None, connections.close_all)

    asyncio.run(main())
    assert Reading.objects.filter(point=point, data_time__minute__in=(51, 52)).count() == 4


@pytest.mark.parametrize(
    ("batch", "reason"),
    [("0", "not between 1 and 10,000"), ("20000", "not between"), ("x", "not a whole number")],
)
def test_the_server_refuses_a_batch_size_out_of_range(batch: str, reason: str) -> None:
    with pytest.raises(CommandError, match=reason):
        call_command("hj212_server", "--batch", batch)


def test_a_split_piece_resent_after_its_upload_was_stored_is_acknowledged_once_more() -> None:
    point = register()
    qn = "20260301084100000"

    first = piece(qn, 1, "DataTime=20260301084000;a21026-Avg=30.1,a21026-Flag=N")
    second = piece(qn, 2, "a21002-Avg=80.2,a21002-Flag=N")

    async def scenario(receiver: Receiver, port: int) -> None:
        await exchange(port, first + second, 2)
        # The device missed the second piece's answer and sends that piece
        # again, on a new connection: it waits for the answer, not for a
        # first piece it already had answered.
        (answer,) = await asyncio.wait_for(exchange(port, second, 1), 5)
        acked = parse_packet(answer)
        assert (acked.cn, acked.qn) == ("9014", qn)

    run(scenario)
    rows = Reading.objects.filter(point=point).values_list("pollutant", "avg")
    assert sorted(rows) == [("a21002", 80.2), ("a21026", 30.1)]
    assert not RefusedPacket.objects.exists()


def test_a_changed_piece_under_a_stored_uploads_qn_does_not_overwrite_its_reading() -> None:
    point = register()
    qn = "20260301084200000"

    async def scenario(receiver: Receiver, port: int) -> None:
        await exchange(
            port,
            piece(qn, 1, "DataTime=20260301084000;a21026-Avg=30.1,a21026-Flag=N")
            + piece(qn, 2, "a21002-Avg=80.2,a21002-Flag=N"),
            2,
        )
        # Another second piece under the same QN is answered (the device
        # would send it for ever), but the reading stored first stands.
        await exchange(port, piece(qn, 2, "a21002-Avg=99.9,a21002-Flag=N"), 1)

    run(scenario)
    assert Reading.objects.get(point=point, pollutant="a21002").avg == 80.2


def test_pieces_each_under_their_own_qn_are_stored_and_answered_one_by_one() -> None:
    # HJ 212-2017 table C.50: hourly data sent in two pieces, each with a QN
    # and the DataTime of its own, the device waiting for the first piece's
    # answer before it sends the second.
    point = register()

    first = piece(
        "20260301085857534",
        1,
        "DataTime=20260301080000;w00000-Cou=63.0,w00000-Min=16.4,w00000-Avg=17.5,"
        "w00000-Max=20.1,w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,"
        "w01001-Flag=N",
        cn="2061",
    )
    second = piece(
        "20260301085857535",
        2,
        "DataTime=20260301080000;w01018-Cou=63.0,w01018-Min=40.1,w01018-Avg=40.1,"
        "w01018-Max=40.1,w01018-Flag=N",
        cn="2061",
    )

    async def scenario(receiver: Receiver, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for sent, qn in ((first, "20260301085857534"), (second, "20260301085857535")):
            writer.write(sent)
            await writer.drain()
            answer = parse_packet(await asyncio.wait_for(reader.readuntil(b"\r\n"), 5))
            assert (answer.cn, answer.qn) == ("9014", qn)
        writer.close()

    run(scenario)
    stored = Reading.objects.filter(point=point, command="2061")
    assert sorted(stored.values_list("pollutant", "avg")) == [
        ("w00000", 17.5),
        ("w01001", 7.5),
        ("w01018", 40.1),
    ]
    assert not RefusedPacket.objects.exists()


def test_a_piece_that_comes_before_the_one_saying_when_is_stored_with_it() -> None:
    point = register()
    qn = "20260301084300000"

    async def scenario(receiver: Receiver, port: int) -> None:
        answers = await exchange(
            port,
            piece(qn, 2, "a21002-Avg=80.2,a21002-Flag=N")
            + piece(qn, 1, "DataTime=20260301084000;a21026-Avg=30.1,a21026-Flag=N"),
            2,
        )
        assert sorted(parse_packet(a).cn for a in answers) == ["9014", "9014"]

    run(scenario)
    stored = Reading.objects.filter(point=point).values_list("pollutant", "data_time")
    assert {pollutant for pollutant, _at in stored} == {"a21002", "a21026"}
    assert len({at for _pollutant, at in stored}) == 1


@pytest.mark.parametrize(("copies", "stored"), [((30.0, 50.0), 30.0), ((50.0, 30.0), 50.0)])
def test_the_value_stored_for_a_reading_sent_twice_in_a_batch_is_the_one_judged(
    copies: tuple[float, float], stored: float
) -> None:
    point = register()
    do_set_emission_limit(point, "a21026", 35.0, actor=TEST_ACTOR, unit="mg/m3")
    same_reading = [
        upload(7, cp=f"DataTime=20260301083700;a21026-Rtd={value},a21026-Flag=N")
        for value in copies
    ]

    async def scenario(receiver: Receiver, port: int) -> None:
        # One write, one batch: the receiver waits long enough for both.
        await exchange(port, b"".join(same_reading), 2)

    run(scenario, max_delay=0.2)
    assert Reading.objects.get(point=point, pollutant="a21026").rtd == stored
    alarms = list(Alarm.objects.filter(point=point).values_list("value", "count"))
    assert alarms == ([(stored, 1)] if stored > 35 else [])


@pytest.mark.parametrize(
    ("delay", "reason"),
    [
        ("inf", "not between 0 and 1,000"),
        ("nan", "not between 0 and 1,000"),
        ("-1", "not between 0 and 1,000"),
        ("1e300", "not between 0 and 1,000"),
        ("x", "not a number"),
    ],
)
def test_the_server_refuses_a_max_delay_out_of_range(
    delay: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def serve_nothing(*args: Any, **kwargs: Any) -> None:
        # Were the value taken, the command would return here instead of serving.
        return None

    monkeypatch.setattr(hj212_server, "serve", serve_nothing)
    with pytest.raises(CommandError, match=reason):
        call_command("hj212_server", "--max-delay-ms", delay)


# --- a reading whose fields are split across two pieces ---------------------------------------

# HJ 212-2017 table C.50: hourly data in two pieces, each under a QN and with
# the DataTime of its own; here w01018's values begin at the end of the first
# piece and go on at the start of the second.
SPLIT_QNS = ("20260301085857534", "20260301085857535")
SPLIT_TIME = "DataTime=20260301080000"


def split_pieces(first: str, second: str) -> tuple[bytes, bytes]:
    return (
        piece(SPLIT_QNS[0], 1, f"{SPLIT_TIME};w01001-Avg=7.5,w01001-Flag=N;{first}", cn="2061"),
        piece(SPLIT_QNS[1], 2, f"{SPLIT_TIME};{second};w21003-Avg=1.2,w21003-Flag=N", cn="2061"),
    )


async def send_one_by_one(port: int, *packets: bytes) -> None:
    """Send each packet once the one before it is answered, as a device that waits does."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for packet in packets:
        writer.write(packet)
        await writer.drain()
        answer = parse_packet(await asyncio.wait_for(reader.readuntil(b"\r\n"), 5))
        assert (answer.cn, answer.qn) == ("9014", parse_packet(packet).qn)
    writer.close()


def stored_w01018(point: MonitoringPoint) -> tuple[Any, ...]:
    return Reading.objects.filter(point=point, pollutant="w01018").values_list(
        "min", "avg", "max", "zs", "flag"
    )[0]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("w01018-Cou=63.0,w01018-Min=40.1", "w01018-Avg=41.2,w01018-Max=42.3,w01018-Flag=N"),
        # The second piece begins with the flag alone.
        ("w01018-Cou=63.0,w01018-Min=40.1,w01018-Avg=41.2,w01018-Max=42.3", "w01018-Flag=N"),
    ],
    ids=["values", "flag"],
)
@pytest.mark.parametrize("together", [False, True], ids=["one_by_one", "in_one_batch"])
def test_a_reading_split_across_two_pieces_is_stored_with_the_fields_of_both(
    first: str, second: str, together: bool
) -> None:
    point = register()
    pieces = split_pieces(first, second)

    async def scenario(receiver: Receiver, port: int) -> None:
        if together:
            await exchange(port, b"".join(pieces), 2)
        else:
            await send_one_by_one(port, *pieces)

    run(scenario, max_delay=0.2 if together else 0.001)
    stored = Reading.objects.filter(point=point, command="2061")
    assert sorted(stored.values_list("pollutant", flat=True)) == ["w01001", "w01018", "w21003"]
    assert stored_w01018(point) == (40.1, 41.2, 42.3, None, "N")
    assert Reading.objects.get(point=point, pollutant="w01018").cou == 63.0
    assert not RefusedPacket.objects.exists()


def test_pieces_of_a_split_reading_sent_again_change_nothing_and_keep_the_first_values() -> None:
    point = register()
    first, second = split_pieces("w01018-Min=40.1", "w01018-Avg=41.2,w01018-Flag=N")
    # A second piece sent again under its QN with another value: the value
    # stored first stands, as for any reading sent again.
    _same, changed = split_pieces("w01018-Min=40.1", "w01018-Avg=99.9,w01018-Max=50,w01018-Flag=D")

    async def scenario(receiver: Receiver, port: int) -> None:
        await send_one_by_one(port, first, second, second, first, changed)

    run(scenario)
    assert Reading.objects.filter(point=point).count() == 3
    # Only the field not stored before is taken from the changed piece.
    assert stored_w01018(point) == (40.1, 41.2, 50.0, None, "N")


@pytest.mark.parametrize(
    ("first", "second", "alarm"),
    [
        # The value over the limit is in the first piece, its data flag in the
        # second: maintenance (M) is not an emission measured.
        ("w01018-Min=10,w01018-Avg=50", "w01018-Max=60,w01018-Flag=M", None),
        ("w01018-Min=10,w01018-Avg=50", "w01018-Max=60,w01018-Flag=N", (50.0, 1)),
        # The converted value, in the second piece, is the one judged.
        ("w01018-Avg=50", "w01018-ZsAvg=30,w01018-Flag=N", None),
        ("w01018-Avg=30", "w01018-ZsAvg=50,w01018-Flag=N", (50.0, 1)),
        # The first piece holds no value to judge; the merged reading is over.
        ("w01018-Min=10", "w01018-Avg=50,w01018-Max=60,w01018-Flag=N", (50.0, 1)),
        # The flag alone begins the second piece.
        ("w01018-Min=10,w01018-Avg=50,w01018-Max=60", "w01018-Flag=D", None),
        ("w01018-Min=10,w01018-Avg=50,w01018-Max=60", "w01018-Flag=N", (50.0, 1)),
        # A device that sends no data flags: judged once the second piece came.
        ("w01018-Min=10,w01018-Avg=50", "w01018-Max=60", (50.0, 1)),
    ],
)
@pytest.mark.parametrize("together", [False, True], ids=["one_by_one", "in_one_batch"])
def test_a_reading_split_across_pieces_is_judged_against_its_limit_once_merged(
    first: str, second: str, alarm: tuple[float, int] | None, together: bool
) -> None:
    point = register()
    do_set_emission_limit(point, "w01018", 40.0, actor=TEST_ACTOR, unit="mg/L")
    pieces = split_pieces(first, second)

    async def scenario(receiver: Receiver, port: int) -> None:
        if together:
            await exchange(port, b"".join(pieces), 2)
        else:
            # Sent again after: no second exceedance.
            await send_one_by_one(port, *pieces, pieces[1], pieces[0])

    run(scenario, max_delay=0.2 if together else 0.001)
    alarms = list(Alarm.objects.filter(point=point).values_list("value", "count"))
    assert alarms == ([alarm] if alarm else [])


def test_a_reading_ending_a_piece_without_a_flag_is_judged_when_the_next_piece_comes() -> None:
    # A device that sends no data flags: w01018 may go on in the next piece,
    # which begins with another pollutant instead.
    point = register()
    do_set_emission_limit(point, "w01018", 40.0, actor=TEST_ACTOR, unit="mg/L")
    first, second = split_pieces("w01018-Avg=50", "w21011-Avg=0.3")

    async def scenario(receiver: Receiver, port: int) -> None:
        def alarms() -> int:
            return Alarm.objects.filter(point=point).count()

        await send_one_by_one(port, first)
        assert await receiver.call_in_db(alarms) == 0
        await send_one_by_one(port, second, first, second)
        assert await receiver.call_in_db(alarms) == 1

    run(scenario)
    alarm = Alarm.objects.get(point=point)
    assert (alarm.pollutant, alarm.value, alarm.count) == ("w01018", 50.0, 1)


def test_a_reading_left_open_by_a_piece_never_followed_is_judged_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(receiver_module, "SPLIT_TIMEOUT_S", 0.0)
    point = register()
    do_set_emission_limit(point, "w01018", 40.0, actor=TEST_ACTOR, unit="mg/L")
    first, _second = split_pieces("w01018-Avg=50", "w21011-Avg=0.3")

    async def scenario(receiver: Receiver, port: int) -> None:
        await send_one_by_one(port, first)
        # The next batch, whatever it holds, finds the piece's end timed out.
        await send_one_by_one(port, upload(1))

    run(scenario)
    assert list(Alarm.objects.filter(point=point).values_list("pollutant", "value")) == [
        ("w01018", 50.0)
    ]


# --- readings left open, whichever receiver gets the next piece, or none ----------------------


def run_two(test: Callable[[Receiver, int, Receiver, int], Coroutine[Any, Any, None]]) -> None:
    """Run ``test`` against two receivers at once, as two processes of ``--workers 2``."""

    async def main() -> None:
        receivers: list[Receiver] = []
        servers: list[asyncio.Server] = []
        try:
            for _ in range(2):
                receiver = Receiver(max_delay=0.001)
                receiver.start()
                receivers.append(receiver)
                await receiver.refresh_points(force=True)
                servers.append(await asyncio.start_server(receiver.handle, "127.0.0.1", 0))
            ports = [server.sockets[0].getsockname()[1] for server in servers]
            await asyncio.wait_for(test(receivers[0], ports[0], receivers[1], ports[1]), 20)
        finally:
            for server in servers:
                server.close()
            for receiver in receivers:
                await receiver.stop()

    asyncio.run(main())


def over_limit_alarms(point: MonitoringPoint) -> list[tuple[str, float | None, int]]:
    return list(Alarm.objects.filter(point=point).values_list("pollutant", "value", "count"))


def test_a_reading_left_open_before_a_restart_is_judged_when_the_next_piece_comes() -> None:
    point = register()
    do_set_emission_limit(point, "w01018", 40.0, actor=TEST_ACTOR, unit="mg/L")
    # w01018 ends the first piece without a flag: it may go on in the next.
    first, second = split_pieces("w01018-Avg=50", "w21011-Avg=0.3")

    async def before_restart(receiver: Receiver, port: int) -> None:
        await send_one_by_one(port, first)

    async def after_restart(receiver: Receiver, port: int) -> None:
        await send_one_by_one(port, second)
        assert await receiver.call_in_db(lambda: over_limit_alarms(point)) == [("w01018", 50.0, 1)]
        # Sent again, to this receiver and the next: nothing is judged twice.
        await send_one_by_one(port, second, first, second)

    run(before_restart)
    assert over_limit_alarms(point) == []
    run(after_restart)
    run(after_restart)
    assert over_limit_alarms(point) == [("w01018", 50.0, 1)]


def test_a_reading_going_on_across_three_pieces_and_restarts_is_judged_once_on_all_of_them() -> (
    None
):
    point = register()
    do_set_emission_limit(point, "w01018", 40.0, actor=TEST_ACTOR, unit="mg/L")
    # w01018 ends the first piece and is all of the second: open until the third.
    parts = ("w01018-Min=10", "w01018-Avg=50", "w21011-Avg=0.3")
    pieces = [
        frame(
            segment_of(
                qn=f"2026030108585753{number}",
                st="32",
                cn="2061",
                pw=PW,
                mn=MN,
                flag=7,
                pnum=3,
                pno=number,
                cp=f"{SPLIT_TIME};{part}",
            )
        )
        for number, part in enumerate(parts, start=1)
    ]
    for sent in pieces:

        async def scenario(receiver: Receiver, port: int, sent: bytes = sent) -> None:
            await send_one_by_one(port, sent)

        run(scenario)
        if sent is not pieces[-1]:
            assert over_limit_alarms(point) == []
    assert over_limit_alarms(point) == [("w01018", 50.0, 1)]


def test_a_reading_whose_next_piece_never_comes_is_judged_by_the_task_once_its_receiver_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    point = register()
    do_set_emission_limit(point, "w01018", 40.0, actor=TEST_ACTOR, unit="mg/L")
    first, _second = split_pieces("w01018-Avg=50", "w21011-Avg=0.3")
    sent_at = timezone.now()

    async def scenario(receiver: Receiver, port: int) -> None:
        await send_one_by_one(port, first)

    run(scenario)
    # Within the timeout the next piece may still come: nothing is judged.
    assert do_judge_open_readings(actor=TEST_ACTOR, now=sent_at) == 0
    assert over_limit_alarms(point) == []
    monkeypatch.setattr(receiver_module, "SPLIT_TIMEOUT_S", 0.0)
    assert judge_open_readings.call() == 1
    assert over_limit_alarms(point) == [("w01018", 50.0, 1)]
    assert LedgerEntry.objects.get(action="regulation.judge_open_readings").subject_type == (
        "regulation.alarm"
    )
    # Run again (an extra run of the scheduler): nothing more is opened or extended.
    assert judge_open_readings.call() == 0
    assert over_limit_alarms(point) == [("w01018", 50.0, 1)]
    assert LedgerEntry.objects.filter(action="regulation.judge_open_readings").count() == 1


def test_a_reading_left_open_by_one_receiver_is_judged_once_when_the_next_piece_reaches_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Timed out at once: the receiver that opened a reading would judge it
    # itself at its next batch, and must find it judged already.
    monkeypatch.setattr(receiver_module, "SPLIT_TIMEOUT_S", 0.0)
    point = register()
    do_set_emission_limit(point, "w01018", 40.0, actor=TEST_ACTOR, unit="mg/L")

    def hour_pieces(hour: int) -> tuple[bytes, bytes]:
        data_time = f"DataTime=202603010{hour}0000"
        return (
            piece(f"20260301{hour:02d}5857534", 1, f"{data_time};w01018-Avg=5{hour}", cn="2061"),
            piece(f"20260301{hour:02d}5857535", 2, f"{data_time};w21011-Avg=0.3", cn="2061"),
        )

    async def scenario(first: Receiver, first_port: int, other: Receiver, other_port: int) -> None:
        def alarms() -> list[tuple[str, float | None, int]]:
            return over_limit_alarms(point)

        # The next piece reaches only the other receiver.
        opening, next_piece = hour_pieces(1)
        await send_one_by_one(first_port, opening)
        await send_one_by_one(other_port, next_piece)
        assert await other.call_in_db(alarms) == [("w01018", 51.0, 1)]
        # The first receiver's next batch finds the reading judged.
        await send_one_by_one(first_port, upload(1))
        assert await first.call_in_db(alarms) == [("w01018", 51.0, 1)]
        # The next piece of another hour reaches both (a device resending on
        # a new connection): judged by one of them only. At once on
        # PostgreSQL; SQLite's test database, in memory, refuses a second
        # writer instead of making it wait, so there one after the other.
        opening, next_piece = hour_pieces(2)
        await send_one_by_one(first_port, opening)
        sends = (
            send_one_by_one(first_port, next_piece),
            send_one_by_one(other_port, next_piece),
        )
        if connections["default"].vendor == "postgresql":
            await asyncio.gather(*sends)
        else:
            for send in sends:
                await send

    run_two(scenario)
    assert over_limit_alarms(point) == [("w01018", 52.0, 2)]
    assert judge_open_readings.call() == 0
    assert over_limit_alarms(point) == [("w01018", 52.0, 2)]
