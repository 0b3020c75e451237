"""HJ 212-2017 packets: the standard's own example, packets from the field, and every refusal."""

from __future__ import annotations

import contextlib
import datetime as dt
import random

import pytest

from zhengtong.regulation.hj212 import (
    CrcVariant,
    ErrorCode,
    FrameSplitter,
    HJ212Error,
    Packet,
    crc16,
    crc16_fast,
    crc16_modbus,
    data_ack,
    execution_result,
    frame,
    parse_packet,
    request_answer,
    segment_of,
    set_time_command,
)
from zhengtong.regulation.ingest import Accepted, readings_of
from zhengtong.regulation.simulator import points_for

# Appendix A's worked example (its prose mistypes the CRC as 1C08; 1C80 is right).
STANDARD_SEGMENT = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&"
)
STANDARD_PACKET = b"##0101" + STANDARD_SEGMENT + b"1C80\r\n"

# Packets published with public HJ 212 implementations and device logs.
FIELD_PACKETS = [
    # HJ/T 212-2005 style: no QN, no Flag, 2005 pollutant codes, DataTime with milliseconds.
    b"##0139ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;"
    b"B01-Rtd=36.91;011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&4980\r\n",
    b"##0162QN=20231008123340461;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&DataTime=20231008123340;w01008-SampleTime=20231008123340,"
    b"w01008-Rtd=123.456&&F441\r\n",
]


def upload(cp: str, *, flag: int = 5, cn: str = "2011", **extra: int) -> bytes:
    return frame(
        segment_of(
            qn="20260301083000123",
            st="31",
            cn=cn,
            pw="123456",
            mn="010000A8900016F000169DC0",
            flag=flag,
            cp=cp,
            **extra,
        )
    )


def refused(raw: bytes, **options: object) -> HJ212Error:
    with pytest.raises(HJ212Error) as caught:
        parse_packet(raw, **options)  # type: ignore[arg-type]
    return caught.value


def test_the_crc_is_the_one_of_appendix_a() -> None:
    assert crc16(STANDARD_SEGMENT) == 0x1C80
    # It is not CRC-16/MODBUS, whose check value for "123456789" is 4B37.
    assert crc16_modbus(b"123456789") == 0x4B37
    assert crc16(b"123456789") != crc16_modbus(b"123456789")
    rng = random.Random(212)
    for _ in range(500):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        assert crc16_fast(data) == crc16(data)
    # The fast CRC folds the bytes in powers of two of 8-byte words: every
    # size up to a few words, and around each larger power of two.
    sizes = [*range(0, 130), 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 1030]
    for size in sizes:
        for data in (bytes(size), b"\xff" * size, rng.randbytes(size)):
            assert crc16_fast(data) == crc16(data), size


def test_the_standards_example_parses() -> None:
    packet = parse_packet(STANDARD_PACKET)
    assert (packet.qn, packet.st, packet.cn, packet.pw) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
    )
    assert packet.mn == "010000A8900016F000169DC0"
    assert packet.flag == 5 and packet.needs_ack and not packet.is_split
    assert packet.version == 1
    assert packet.data() == {"RtdInterval": "30"}
    assert packet.crc_variant is CrcVariant.HJ212


@pytest.mark.parametrize("raw", FIELD_PACKETS)
def test_packets_from_the_field_parse(raw: bytes) -> None:
    packet = parse_packet(raw)
    assert packet.cn == "2011"
    assert packet.data_time is not None
    assert packet.readings()


def test_readings_are_grouped_by_pollutant() -> None:
    packet = parse_packet(
        upload(
            "DataTime=20260301082900;a21026-Rtd=35.2,a21026-ZsRtd=40.1,a21026-Flag=N;"
            "a34013-Rtd=-0.5,a34013-Flag=D"
        )
    )
    assert packet.data_time == dt.datetime(2026, 3, 1, 8, 29)
    assert packet.readings() == {
        "a21026": {"Rtd": "35.2", "ZsRtd": "40.1", "Flag": "N"},
        "a34013": {"Rtd": "-0.5", "Flag": "D"},
    }


def test_length_and_crc_count_bytes_not_characters() -> None:
    raw = upload("DataTime=20260301082900;i12001-Info=设备维护中")
    assert raw[2:6] == b"%04d" % (len(raw) - 12)
    packet = parse_packet(raw)
    assert packet.data()["i12001-Info"] == "设备维护中"
    # One Chinese character is three bytes: a length counted in characters is refused.
    wrong = b"##%04d" % (len(raw) - 12 - 10) + raw[6:]
    assert refused(wrong).code is ErrorCode.BAD_LENGTH


def test_answers_echo_the_request_and_parse() -> None:
    packet = parse_packet(upload("DataTime=20260301082900;a21026-Rtd=35.2"))
    ack = parse_packet(data_ack(packet))
    assert (ack.qn, ack.st, ack.cn, ack.mn, ack.flag, ack.cp) == (
        packet.qn,
        "91",
        "9014",
        packet.mn,
        4,
        "",
    )
    assert parse_packet(request_answer(packet, 1)).data() == {"QnRtn": "1"}
    assert parse_packet(execution_result(packet, 1)).data() == {"ExeRtn": "1"}
    # Field for field what the general builder writes, in the standard's order.
    for qn in (packet.qn, None):  # None: an HJ/T 212-2005 style upload without QN
        expected = segment_of(qn=qn, st="91", cn="9014", pw=packet.pw, mn=packet.mn, flag=4)
        assert data_ack(packet._replace(qn=qn)) == frame(expected)


def test_the_time_setting_command_is_that_of_the_standard_example() -> None:
    # Tables C.4 and C.3: the device's time calibration request, and the
    # platform's command setting the time that follows it.
    notice = parse_packet(
        frame(
            "QN=20160801085857223;ST=32;CN=1013;PW=123456;MN=010000A8900016F000169DC0;"
            "Flag=5;CP=&& PolId=w01018&&"
        )
    )
    command = set_time_command(notice, dt.datetime(2016, 8, 1, 8, 58, 57, 223456))
    assert command == frame(
        "QN=20160801085857223;ST=32;CN=1012;PW=123456;MN=010000A8900016F000169DC0;"
        "Flag=5;CP=&&PolId=w01018;SystemTime=20160801085857&&"
    )
    # In the device's edition; without a PolId the data logger's own clock is set.
    logger_notice = parse_packet(frame(segment_of(st="32", cn="1013", pw="1", mn="M", flag=13)))
    other = set_time_command(logger_notice, dt.datetime(2026, 1, 2), version=3)
    assert parse_packet(other).flag == 13
    assert parse_packet(other).data() == {"SystemTime": "20260102000000"}


def test_a_split_packet_carries_its_numbers() -> None:
    packet = parse_packet(upload("DataTime=20260301082900", flag=7, pnum=3, pno=2))
    assert (packet.is_split, packet.pnum, packet.pno) == (True, 3, 2)
    assert refused(upload("DataTime=20260301082900", flag=7)).code is (ErrorCode.BAD_PACKET_NUMBER)
    beyond = upload("DataTime=20260301082900", flag=7, pnum=2, pno=3)
    assert refused(beyond).code is ErrorCode.BAD_PACKET_NUMBER
    unasked = upload("DataTime=20260301082900", flag=5, pnum=2, pno=1)
    assert refused(unasked).code is ErrorCode.BAD_PACKET_NUMBER


def test_swapped_modbus_crc_is_accepted_only_when_allowed() -> None:
    segment = STANDARD_SEGMENT
    modbus = crc16_modbus(segment)
    swapped = ((modbus & 0xFF) << 8) | (modbus >> 8)
    raw = b"##0101" + segment + b"%04X\r\n" % swapped
    assert refused(raw).code is ErrorCode.BAD_CRC
    packet = parse_packet(raw, crc_variants=(CrcVariant.HJ212, CrcVariant.MODBUS_SWAPPED))
    assert packet.crc_variant is CrcVariant.MODBUS_SWAPPED
    # Plain (unswapped) MODBUS is still refused.
    plain = b"##0101" + segment + b"%04X\r\n" % modbus
    assert refused(plain, crc_variants=list(CrcVariant)).code is ErrorCode.BAD_CRC


def _with_segment(segment: bytes) -> bytes:
    return b"##%04d" % len(segment) + segment + b"%04X\r\n" % crc16(segment)


@pytest.mark.parametrize(
    ("raw", "code", "qn_rtn"),
    [
        (b"#0101" + STANDARD_SEGMENT + b"1C80\r\n", ErrorCode.BAD_FRAME, 100),
        (STANDARD_PACKET[:-2], ErrorCode.BAD_LENGTH, 100),
        (STANDARD_PACKET[:-2] + b"\n\r", ErrorCode.BAD_FRAME, 100),
        (STANDARD_PACKET + b"x", ErrorCode.BAD_LENGTH, 100),
        (b"##01a1" + STANDARD_SEGMENT + b"1C80\r\n", ErrorCode.BAD_LENGTH, 100),
        (b"##2000" + STANDARD_SEGMENT + b"1C80\r\n", ErrorCode.BAD_LENGTH, 100),
        (b"##0101" + STANDARD_SEGMENT + b"1C8G\r\n", ErrorCode.BAD_CRC, 9),
        (b"##0101" + STANDARD_SEGMENT + b"1C08\r\n", ErrorCode.BAD_CRC, 9),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&\xff\xfe&&"), ErrorCode.BAD_ENCODING, 100),
        (_with_segment(b"ST=32;CN=2011;PW=1;CP=&&&&"), ErrorCode.MISSING_FIELD, 100),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A"), ErrorCode.MISSING_FIELD, 100),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&a=1"), ErrorCode.BAD_CP, 100),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;MN=B;CP=&&&&"), ErrorCode.BAD_FIELD, 100),
        (_with_segment(b"ST=32;CN2011;PW=1;MN=A;CP=&&&&"), ErrorCode.BAD_FIELD, 100),
        (
            _with_segment(b"QN=2016080108585722;ST=32;CN=2011;PW=1;MN=A;CP=&&&&"),
            ErrorCode.BAD_QN,
            7,
        ),
        (
            _with_segment(b"QN=20160230085857223;ST=32;CN=2011;PW=1;MN=A;CP=&&&&"),
            ErrorCode.BAD_QN,
            7,
        ),
        (_with_segment(b"ST=3;CN=2011;PW=1;MN=A;CP=&&&&"), ErrorCode.BAD_ST, 5),
        (_with_segment(b"ST=32;CN=20a1;PW=1;MN=A;CP=&&&&"), ErrorCode.BAD_CN, 8),
        (_with_segment(b"ST=32;CN=2011;PW=;MN=A;CP=&&&&"), ErrorCode.BAD_PW, 3),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=;CP=&&&&"), ErrorCode.BAD_MN, 4),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;Flag=256;CP=&&&&"), ErrorCode.BAD_FLAG, 6),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&a01-Rtd=x1&&"), ErrorCode.BAD_VALUE, 100),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&a01-Rtd=1_0&&"), ErrorCode.BAD_VALUE, 100),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&a01-Avg=nan&&"), ErrorCode.BAD_VALUE, 100),
        # Numbers no instrument reads, infinite to a float, in the usual layout and not.
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&a01-Rtd=1e999&&"), ErrorCode.BAD_VALUE, 100),
        (
            _with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&a01-Rtd=-1e308, a01-Flag=N&&"),
            ErrorCode.BAD_VALUE,
            100,
        ),
        (
            _with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&a01-Max=" + b"9" * 400 + b"&&"),
            ErrorCode.BAD_VALUE,
            100,
        ),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&DataTime=2016&&"), ErrorCode.BAD_VALUE, 100),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&a01-Flag=NN&&"), ErrorCode.BAD_VALUE, 100),
        (_with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&=1&&"), ErrorCode.BAD_CP, 100),
        # The usual header (QN ... Flag in order) is held to the same rules.
        (
            _with_segment(b"QN=20160230085857223;ST=32;CN=2011;PW=1;MN=A;Flag=5;CP=&&&&"),
            ErrorCode.BAD_QN,
            7,
        ),
        (
            _with_segment(b"QN=20160201085857223;ST=32;CN=2011;PW=1;MN=A;Flag=999;CP=&&&&"),
            ErrorCode.BAD_FLAG,
            6,
        ),
        (
            _with_segment(b"QN=20160201085857223;ST=32;CN=2011;PW=1;MN=A;Flag=7;CP=&&&&"),
            ErrorCode.BAD_PACKET_NUMBER,
            100,
        ),
        # Well-formed but impossible times, in the usual layout and elsewhere in it.
        (
            _with_segment(b"ST=32;CN=2011;PW=1;MN=A;CP=&&DataTime=20260230083000;a01-Rtd=1&&"),
            ErrorCode.BAD_VALUE,
            100,
        ),
        (
            _with_segment(
                b"ST=32;CN=2011;PW=1;MN=A;CP=&&a01-Rtd=1,a01-SampleTime=20261301000000&&"
            ),
            ErrorCode.BAD_VALUE,
            100,
        ),
        (
            _with_segment(
                b"ST=32;CN=2011;PW=1;MN=A;CP=&&DataTime=20260301083000;BeginTime=20260301246000&&"
            ),
            ErrorCode.BAD_VALUE,
            100,
        ),
    ],
)
def test_every_kind_of_bad_packet_is_refused_with_its_code(
    raw: bytes, code: ErrorCode, qn_rtn: int
) -> None:
    error = refused(raw)
    assert error.code is code, error
    assert error.qn_rtn == qn_rtn


def test_the_usual_layout_and_its_variants_read_the_same() -> None:
    usual = (
        "DataTime=20260301083000;a21026-Rtd=30.5,a21026-ZsRtd=-1.2e3,a21026-Flag=N;"
        "a34013-Avg=.5,a34013-Cou=7.,a34013-Flag=T;w01008-SampleTime=20260301083000123;"
    )
    expected = (
        (("DataTime", "20260301083000"),),
        (("a21026-Rtd", "30.5"), ("a21026-ZsRtd", "-1.2e3"), ("a21026-Flag", "N")),
        (("a34013-Avg", ".5"), ("a34013-Cou", "7."), ("a34013-Flag", "T")),
        (("w01008-SampleTime", "20260301083000123"),),
    )
    assert parse_packet(upload(usual)).items == expected
    # Spaces around pairs and an empty item are allowed too, with the same result.
    spaced = usual.replace(",", " , ").replace(";", ";;", 1)
    assert parse_packet(upload(spaced)).items == expected
    # Other names take any value, also in a packet that is otherwise usual.
    assert parse_packet(upload(usual + "PolId=a=b")).items[-1] == (("PolId", "a=b"),)


def _outcome(raw: bytes, *, split_items: bool) -> Packet | ErrorCode:
    try:
        return parse_packet(raw, crc_variants=list(CrcVariant), split_items=split_items)
    except HJ212Error as error:
        return error.code


def _equivalence_packets() -> list[bytes]:
    """Valid and invalid packets of every shape, many of them with a valid CRC."""
    usual = (
        "DataTime=20260301083000;a21026-Rtd=30.5,a21026-ZsRtd=-1.2e3,a21026-Flag=N;"
        "a34013-Avg=.5,a34013-Cou=7.,a34013-Flag=T;w01008-SampleTime=20260301083000123;"
    )
    shapes = [
        usual,
        usual.rstrip(";"),
        usual + "DataTime=20260301083100",  # a second DataTime: the last one counts
        usual.replace(",", " , ").replace(";", ";;", 1),
        usual + "PolId=a=b",
        "a21026-Rtd=1",  # no DataTime
        "",
        "DataTime=20260230083000;a01-Rtd=1",
        "DataTime=20260301083000;a01-Rtd=x1",
    ]
    raws = [STANDARD_PACKET, *FIELD_PACKETS]
    raws += [upload(cp) for cp in shapes]
    raws += [upload(cp, cn="2051") for cp in shapes[:2]]
    raws += [upload(usual, flag=7, pnum=2, pno=1), upload(usual, flag=1)]
    point = points_for(1)[0]
    raws += [point.upload(dt.datetime(2026, 3, 1, 8, 30), n)[1] for n in range(3)]
    # Random changes, mostly inside the data area, framed again so that the
    # CRC holds and the parse goes past it.
    rng = random.Random(212)
    for _ in range(2000):
        segment = bytearray(raws[rng.randrange(len(raws))][6:-6])
        area = segment.find(b"CP=&&") + 5
        for _ in range(rng.randrange(1, 3)):
            start = area if rng.random() < 0.8 and area < len(segment) - 2 else 0
            at = rng.randrange(start, len(segment))
            segment[at] = rng.choice(b"=;,&-.0123456789aNDT ")
        raws.append(b"##%04d%s%04X\r\n" % (len(segment), segment, crc16_fast(bytes(segment))))
    return raws


def test_a_deferred_data_area_reads_as_the_split_one() -> None:
    deferred_seen = 0
    for raw in _equivalence_packets():
        split, deferred = _outcome(raw, split_items=True), _outcome(raw, split_items=False)
        if not isinstance(split, Packet) or not isinstance(deferred, Packet):
            assert deferred == split, raw
            continue
        assert not split.items_deferred
        deferred_seen += deferred.items_deferred
        assert deferred._replace(items=split.items, items_deferred=False) == split, raw
        assert deferred.all_items() == split.items, raw
        assert list(deferred.pairs()) == [pair for item in split.items for pair in item], raw
        assert (deferred.data(), deferred.readings()) == (split.data(), split.readings()), raw
        assert deferred.data_time == split.data_time, raw
        received = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
        assert readings_of(Accepted(1, deferred, raw, received)) == readings_of(
            Accepted(1, split, raw, received)
        ), raw
    # The usual uploads (the simulator's among them) did take the deferred path.
    assert deferred_seen >= 10


def test_random_bytes_never_raise_anything_but_hj212_errors() -> None:
    rng = random.Random(2017)
    good = upload("DataTime=20260301082900;a21026-Rtd=35.2,a21026-Flag=N")
    for _ in range(3000):
        raw = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        with contextlib.suppress(HJ212Error):
            parse_packet(bytes(raw), crc_variants=list(CrcVariant))


def test_the_splitter_cuts_a_stream_and_skips_junk() -> None:
    first, second = upload("a21026-Rtd=1"), upload("a21026-Rtd=2")
    splitter = FrameSplitter()
    stream = b"noise##x" + first + b"\r\n" + second
    frames, junk = splitter.feed(stream[:20])
    frames2, junk2 = splitter.feed(stream[20:])
    assert frames + frames2 == [first, second]
    assert b"".join(junk + junk2) == b"noise##x\r\n"
    # A frame cut at any point arrives whole once the rest comes.
    for cut in range(1, len(first)):
        splitter = FrameSplitter()
        assert splitter.feed(first[:cut])[0] == []
        assert splitter.feed(first[cut:])[0] == [first]


def test_a_frame_longer_by_its_length_field_than_it_is_swallows_nothing_after_it() -> None:
    good = upload("a21026-Rtd=1")
    # The length field claims 400 bytes more than the segment has.
    lying = b"##%04d" % (int(good[2:6]) + 400) + good[6:]
    frames, junk = FrameSplitter().feed(lying + good)
    assert frames == [lying, good] and junk == []
    assert refused(lying).code is ErrorCode.BAD_LENGTH
    # Sent on its own, it is cut at its CR LF without waiting for bytes that never come.
    assert FrameSplitter().feed(lying)[0] == [lying]
