"""HJ 212-2017 packets: framing, CRC, parsing and the platform's answers.

A packet (HJ 212-2017 §6.3) is ``##`` + a 4-digit decimal length + the data
segment + a 4-digit hexadecimal CRC + ``<CR><LF>``. The length counts the
segment's bytes (Chinese text is UTF-8, so bytes and characters differ) and
the CRC is computed over those same raw bytes, never over a decoded and
re-encoded string.

The CRC is the one Appendix A defines: the register starts at 0xFFFF, and for
every byte it is replaced by ``(register >> 8) ^ byte`` before eight
shift-and-XOR-0xA001 steps. That differs from CRC-16/MODBUS, which XORs the
byte into the low byte of the register instead, so the two give different
values for the same bytes. Many field devices nevertheless send CRC-16/MODBUS
with its two bytes swapped; ``parse_packet`` accepts that variant only when
the caller allows it for the device (``CrcVariant.MODBUS_SWAPPED``) and says
which variant matched, so the receiver can log it.

Everything invalid raises ``HJ212Error`` with a stable ``code`` (see
``ErrorCode``) and, for answering the device, the matching return code of
table 7 (``qn_rtn``). Its detail is a ``gettext_noop``-marked message with
named values (field names, the bytes and numbers sent, kept as they were),
so that whoever stores it can show it in each reader's language. Nothing
here touches a database or a socket.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

HEADER = b"##"
TRAILER = b"\r\n"
# The standard allows a data segment of at most 1,024 bytes.
MAX_SEGMENT = 1024
# ## + length + segment + CRC + CR LF.
FRAME_OVERHEAD = 2 + 4 + 4 + 2


class ErrorCode(enum.StrEnum):
    BAD_FRAME = "bad_frame"  # no ##, no CR LF, or bytes after the frame
    BAD_LENGTH = "bad_length"  # the length field is not 4 digits or does not match
    BAD_CRC = "bad_crc"  # the CRC field is not hexadecimal or does not match
    BAD_ENCODING = "bad_encoding"  # the segment is not UTF-8
    BAD_FIELD = "bad_field"  # a field is not Name=value, is repeated or is malformed
    MISSING_FIELD = "missing_field"  # ST, CN, PW, MN or CP is missing
    BAD_QN = "bad_qn"
    BAD_ST = "bad_st"
    BAD_CN = "bad_cn"
    BAD_PW = "bad_pw"
    BAD_MN = "bad_mn"
    BAD_FLAG = "bad_flag"
    BAD_PACKET_NUMBER = "bad_packet_number"  # PNUM/PNO missing, malformed or PNO > PNUM
    BAD_CP = "bad_cp"  # CP is not wrapped in && or its data area is malformed
    BAD_VALUE = "bad_value"  # a value in the data area is not of its field's type


# Table 7 (请求命令返回): what a 9011 answer says about a refused request.
QN_RTN_READY = 1
QN_RTN_REFUSED = 2
QN_RTN_BAD_PW = 3
QN_RTN_BAD_MN = 4
QN_RTN_BAD_ST = 5
QN_RTN_BAD_FLAG = 6
QN_RTN_BAD_QN = 7
QN_RTN_BAD_CN = 8
QN_RTN_BAD_CRC = 9
QN_RTN_UNKNOWN = 100

# Table 6 (执行结果定义): what a 9012 answer says about a request's execution.
EXE_RTN_SUCCESS = 1

# A device's answers to a platform command (table 9): per answer's CN, the
# field that carries its code and the code that says all went well.
COMMAND_RETURNS = {"9011": ("QnRtn", QN_RTN_READY), "9012": ("ExeRtn", EXE_RTN_SUCCESS)}

_QN_RTN = {
    ErrorCode.BAD_QN: QN_RTN_BAD_QN,
    ErrorCode.BAD_ST: QN_RTN_BAD_ST,
    ErrorCode.BAD_CN: QN_RTN_BAD_CN,
    ErrorCode.BAD_PW: QN_RTN_BAD_PW,
    ErrorCode.BAD_MN: QN_RTN_BAD_MN,
    ErrorCode.BAD_FLAG: QN_RTN_BAD_FLAG,
    ErrorCode.BAD_CRC: QN_RTN_BAD_CRC,
}


def gettext_noop(message: str) -> str:
    """Mark a message for translation and return it unchanged.

    Django's own reads the settings; this module, like the rest of it, is
    usable where none are configured. ``makemessages`` finds the messages
    by this name all the same.
    """
    return message


# The details that several checks give, each a ``gettext_noop``-marked
# message; the field names, forms and values sent fill them in verbatim.
MISSING = gettext_noop("缺少 %(field)s")
NOT_OF_FORM = gettext_noop("%(name)s 不是 %(form)s 格式：%(value)s")
NOT_A_REAL_TIME = gettext_noop("%(name)s 不是真实的时间：%(value)s")
OUT_OF_RANGE = gettext_noop("%(name)s=%(value)s 不在 %(range)s 之内")
SEGMENT_TOO_LONG = gettext_noop("数据段有 %(length)d 字节，超过 %(limit)d 字节")


def _bytes_text(data: bytes) -> str:
    """Bytes as their repr shows them without b'...': ``00G0``, ``\\x00``."""
    return repr(data)[2:-1]


class HJ212Error(ValueError):
    """A packet that is not valid HJ 212; ``code`` is stable, ``detail`` says where.

    ``message`` is a ``gettext_noop``-marked message and ``values`` what fills
    it in; ``detail`` is the message filled in, untranslated. It is made only
    when asked for (logged or stored), so a refusal costs the parser no more
    than keeping its values.
    """

    def __init__(self, code: ErrorCode, message: str, **values: object) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.values = values

    @property
    def detail(self) -> str:
        # Filled in as ``core.i18n.stored_text`` does: a message without
        # values is taken as it is, "%" and all.
        return self.message % self.values if self.values else self.message

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"

    @property
    def qn_rtn(self) -> int:
        """The table-7 return code for answering the device (9011 QnRtn)."""
        return _QN_RTN.get(self.code, QN_RTN_UNKNOWN)


def crc16(data: bytes) -> int:
    """Return the CRC of HJ 212-2017 Appendix A over ``data``."""
    register = 0xFFFF
    for byte in data:
        register = (register >> 8) ^ byte
        for _ in range(8):
            carry = register & 1
            register >>= 1
            if carry:
                register ^= 0xA001
    return register


def _crc16_table() -> list[int]:
    table = []
    for value in range(256):
        register = value
        for _ in range(8):
            register = (register >> 1) ^ 0xA001 if register & 1 else register >> 1
        table.append(register)
    return table


_TABLE = _crc16_table()


@functools.cache
def _step_powers() -> tuple[tuple[int, ...], list[list[int]]]:
    """Tables for ``crc16_fast``: the high-byte step H and its powers, combined in pairs.

    Built on the first call (about 25 ms and 2 MB), so that only the processes
    that check packets pay for them, not every one that imports this module.

    Each byte turns the register into ``_TABLE[(register >> 8) ^ byte]``, so
    only the high byte carries over, and it evolves as ``h' = H(h ^ byte)``
    with ``H(x) = _TABLE[x] >> 8``. The table is linear over GF(2), so H is
    too, and ``H`` to the 8th power is the identity (checked below). After
    the last byte the register is ``_TABLE[s]`` where ``s`` is H^(n-1)(0xFF)
    XORed with H^k(byte) over the bytes, k counting back from the last byte;
    the bytes with the same k mod 8 can be XORed together before H^k is
    applied once.
    """
    step = [_TABLE[value] >> 8 for value in range(256)]
    powers = [list(range(256))]
    for _ in range(8):
        powers.append([step[value] for value in powers[-1]])
    if powers[8] != powers[0]:  # pragma: no cover - a property of the table
        raise AssertionError("the CRC's high-byte step does not have order 8")
    starts = tuple(powers[k][0xFF] for k in range(8))
    # Two byte positions per look-up: a 16-bit slice of the folded word.
    pairs = [
        [powers[k][value & 0xFF] ^ powers[k + 1][value >> 8] for value in range(65536)]
        for k in (0, 2, 4, 6)
    ]
    return starts, pairs


def crc16_fast(data: bytes) -> int:
    """The same CRC as ``crc16``, without a Python loop over the bytes (for the receiver).

    The bytes are read as one big-endian integer (zeros in front change
    nothing) and folded in halves down to 64 bits, which XORs together the
    bytes that lie a multiple of 8 apart; see ``_step_powers``.
    """
    size = len(data)
    if not size:
        return 0xFFFF
    starts, (pair0, pair2, pair4, pair6) = _step_powers()
    folded = int.from_bytes(data, "big")
    bits = 64 << ((size + 7) // 8 - 1).bit_length()
    while bits > 64:
        bits >>= 1
        folded = (folded >> bits) ^ (folded & ((1 << bits) - 1))
    return _TABLE[
        starts[(size - 1) & 7]
        ^ pair0[folded & 0xFFFF]
        ^ pair2[(folded >> 16) & 0xFFFF]
        ^ pair4[(folded >> 32) & 0xFFFF]
        ^ pair6[folded >> 48]
    ]


def crc16_modbus(data: bytes) -> int:
    """Return CRC-16/MODBUS over ``data`` (the variant many devices send instead)."""
    register = 0xFFFF
    table = _TABLE
    for byte in data:
        register = (register >> 8) ^ table[(register ^ byte) & 0xFF]
    return register


class CrcVariant(enum.StrEnum):
    HJ212 = "hj212"  # Appendix A, written high byte first (the standard)
    MODBUS_SWAPPED = "modbus_swapped"  # CRC-16/MODBUS with its two bytes swapped


def _expected(variant: CrcVariant, segment: bytes) -> int:
    if variant is CrcVariant.HJ212:
        return crc16_fast(segment)
    value = crc16_modbus(segment)
    return ((value & 0xFF) << 8) | (value >> 8)


_NO_EXTRA: Mapping[str, str] = MappingProxyType({})


class Packet(NamedTuple):
    """A valid packet: its header fields, data area and how its CRC matched.

    Immutable. A named tuple rather than a frozen dataclass: the receiver
    builds one per upload, and a frozen dataclass's constructor (one
    ``object.__setattr__`` per field) was a sixth of the work of parsing an upload.
    """

    segment: bytes
    qn: str | None
    st: str
    cn: str
    pw: str
    mn: str
    flag: int | None
    pnum: int | None
    pno: int | None
    cp: str  # the data area between && and && (may be empty)
    crc: int
    crc_variant: CrcVariant
    # The data area as items (separated by ';'), each a tuple of (name, value)
    # pairs (separated by ','), in the order sent.
    items: tuple[tuple[tuple[str, str], ...], ...] = ()
    # Any other header fields, as sent.
    extra: Mapping[str, str] = _NO_EXTRA
    # True when the data area was checked but not divided into ``items``
    # (``parse_packet(..., split_items=False)``, the usual data area only):
    # ``items`` is then empty and ``pairs()`` reads ``cp``.
    items_deferred: bool = False

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every (name, value) of the data area in the order sent, items one after another."""
        if not self.items_deferred:
            for item in self.items:
                yield from item
            return
        # The usual expression let each pair hold exactly one "=" and no
        # empty item but a last one, so the items need not be cut first.
        for pair in self.cp.replace(";", ",").split(","):
            if pair:
                name, _equals, value = pair.partition("=")
                yield name, value

    def all_items(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """``items``, divided from ``cp`` first if that was deferred."""
        return _split_usual_data_area(self.cp) if self.items_deferred else self.items

    @property
    def needs_ack(self) -> bool:
        """Whether the Flag's A bit asks for an answer (data acknowledge 9014 for uploads)."""
        return self.flag is not None and bool(self.flag & 0b1)

    @property
    def is_split(self) -> bool:
        """Whether the Flag's D bit says the packet carries PNUM and PNO."""
        return self.flag is not None and bool(self.flag & 0b10)

    @property
    def version(self) -> int | None:
        """The Flag's version bits V5..V0: 0 for HJ/T 212-2005, 1 for HJ 212-2017."""
        return None if self.flag is None else self.flag >> 2

    def data(self) -> dict[str, str]:
        """Every name=value of the data area in one mapping (later names win)."""
        return dict(self.pairs())

    @property
    def data_time(self) -> dt.datetime | None:
        """The DataTime of the data area as a naive local time, if present."""
        value = None
        # As data() would find it (the last one sent), without building the mapping.
        for name, text in self.pairs():
            if name == "DataTime":
                value = text
        return None if value is None else timestamp(value, "DataTime")

    def readings(self) -> dict[str, dict[str, str]]:
        """Return the pollutant values by code: {"w01018": {"Rtd": "2.2", "Flag": "N"}}."""
        result: dict[str, dict[str, str]] = {}
        for name, value in self.pairs():
            code, dash, kind = name.partition("-")
            if dash and code and kind:
                result.setdefault(code, {})[kind] = value
        return result


_DIGITS = re.compile(rb"\d{4}")
_HEX = re.compile(rb"[0-9A-Fa-f]{4}")
_QN = re.compile(r"\d{17}")
_ST = re.compile(r"[0-9A-Z]{2}")
# What a point may be registered with: its devices send it as their ST.
SYSTEM_CODE = _ST
_CN = re.compile(r"\d{4}")
# The standard's PW is 6 characters; devices in the field use shorter and
# longer ones, so up to 16 printable characters without separators.
_PW = re.compile(r"[^\s;,=&]{1,16}")
# MN is 24 hexadecimal characters (EPC-96) in the 2017 edition; earlier
# devices use 14-digit and other codes.
_MN = re.compile(r"[0-9A-Za-z_-]{1,32}")
# Names start with a letter in the 2017 edition; 2005-edition codes ("011-Rtd") with a digit.
_NAME = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
# At most 20 digits either side of the point and a two-digit exponent: a
# reading far beyond any instrument (1e999 is infinity to a float) is refused,
# not stored to break every page and JSON answer that shows it.
_NUMBER = re.compile(r"[+-]?(?:\d{1,20}(?:\.\d{0,20})?|\.\d{1,20})(?:[eE][+-]?\d{1,2})?")
_NUMERIC_KINDS = frozenset(
    {"Rtd", "Min", "Avg", "Max", "ZsRtd", "ZsMin", "ZsAvg", "ZsMax", "Cou", "RT", "RS"}
)
_TIME_NAMES = frozenset({"DataTime", "SystemTime", "BeginTime", "EndTime", "RestartTime"})
HEADER_FIELDS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
# The header most devices send, fields in the standard's order: one match
# instead of a check per field (the same patterns as _QN, _ST, _CN, _PW, _MN).
_USUAL_HEADER = re.compile(
    r"QN=(?P<qn>\d{17});ST=(?P<st>[0-9A-Z]{2});CN=(?P<cn>\d{4});"
    r"PW=(?P<pw>[^\s;,=&]{1,16});MN=(?P<mn>[0-9A-Za-z_-]{1,32});Flag=(?P<flag>\d{1,3});"
)


@functools.lru_cache(maxsize=4096)
def _moment(digits: str) -> dt.datetime:
    # The datetime constructor checks the ranges (month 13, 30 February ...);
    # strptime would too, at ten times the cost, on every packet.
    return dt.datetime(
        int(digits[0:4]),
        int(digits[4:6]),
        int(digits[6:8]),
        int(digits[8:10]),
        int(digits[10:12]),
        int(digits[12:14]),
        int(digits[14:17] or 0) * 1000,
    )


def timestamp(value: str, name: str) -> dt.datetime:
    """The value of the time field ``name`` as a naive local time; HJ212Error if it is not one."""
    # Some devices add milliseconds (YYYYMMDDhhmmsszzz), as QN has them.
    if len(value) not in (14, 17) or not value.isdigit():
        raise HJ212Error(
            ErrorCode.BAD_VALUE, NOT_OF_FORM, name=name, form="YYYYMMDDhhmmss", value=repr(value)
        )
    try:
        return _moment(value)
    except ValueError as error:
        raise HJ212Error(
            ErrorCode.BAD_VALUE, NOT_A_REAL_TIME, name=name, value=repr(value)
        ) from error


def frame_bounds(raw: bytes) -> tuple[int, int]:
    """Return (segment start, segment end) of a whole frame, or refuse its framing."""
    if len(raw) < FRAME_OVERHEAD or not raw.startswith(HEADER):
        raise HJ212Error(
            ErrorCode.BAD_FRAME,
            gettext_noop("数据包应以 %(header)s 和 4 位长度开头"),
            header="##",
        )
    length_field = raw[2:6]
    # bytes.isdigit: four ASCII digits (the frame is long enough for four bytes).
    if not length_field.isdigit():
        raise HJ212Error(
            ErrorCode.BAD_LENGTH,
            gettext_noop("长度字段 %(field)s 不是 4 位数字"),
            field=_bytes_text(length_field),
        )
    length = int(length_field)
    if length > MAX_SEGMENT:
        raise HJ212Error(ErrorCode.BAD_LENGTH, SEGMENT_TOO_LONG, length=length, limit=MAX_SEGMENT)
    end = 6 + length
    if len(raw) != end + 6:
        raise HJ212Error(
            ErrorCode.BAD_LENGTH,
            gettext_noop("长度字段为 %(length)d 字节，数据段实有 %(actual)d 字节"),
            length=length,
            actual=len(raw) - FRAME_OVERHEAD,
        )
    if raw[end + 4 :] != TRAILER:
        raise HJ212Error(
            ErrorCode.BAD_FRAME,
            gettext_noop("数据包应在 CRC 之后以 %(trailer)s 结尾"),
            trailer="<CR><LF>",
        )
    return 6, end


def parse_packet(
    raw: bytes,
    *,
    crc_variants: Iterable[CrcVariant] = (CrcVariant.HJ212,),
    split_items: bool = True,
) -> Packet:
    """Validate and parse one whole packet (with ## and CR LF); raise HJ212Error if invalid.

    With ``split_items=False`` a usual upload (the standard's header, not a
    split packet, a data area of the usual pairs) is checked in full but its
    data area is not divided into ``items``: the receiver reads it once with
    ``Packet.pairs`` instead of building the tuples and reading those.
    """
    start, end = frame_bounds(raw)
    segment = raw[start:end]
    crc_field = raw[end : end + 4]
    if not _HEX.fullmatch(crc_field):
        raise HJ212Error(
            ErrorCode.BAD_CRC,
            gettext_noop("CRC 字段 %(field)s 不是 4 位十六进制数"),
            field=_bytes_text(crc_field),
        )
    sent = int(crc_field, 16)
    variant = None
    for candidate in crc_variants:
        if _expected(candidate, segment) == sent:
            variant = candidate
            break
    if variant is None:
        raise HJ212Error(
            ErrorCode.BAD_CRC,
            gettext_noop("CRC 校验码为 %(sent)s，按 HJ 212 计算应为 %(expected)s"),
            sent=f"{sent:04X}",
            expected=f"{crc16_fast(segment):04X}",
        )
    try:
        text = segment.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HJ212Error(
            ErrorCode.BAD_ENCODING,
            gettext_noop("数据段不是 %(encoding)s 编码（第 %(position)d 字节起）"),
            encoding="UTF-8",
            # Counted from 1, as a reader counts the segment's bytes.
            position=error.start + 1,
        ) from error
    return _parse_segment(segment, text, sent, variant, split_items)


def _parse_segment(
    segment: bytes, text: str, crc: int, variant: CrcVariant, split_items: bool = True
) -> Packet:
    head, marker, rest = text.partition("CP=&&")
    if not marker:
        raise HJ212Error(ErrorCode.MISSING_FIELD, MISSING, field="CP=&&...&&")
    if not rest.endswith("&&"):
        raise HJ212Error(
            ErrorCode.BAD_CP, gettext_noop("数据区没有以 %(marker)s 结尾"), marker="&&"
        )
    cp = rest[:-2]
    if "&&" in cp:
        raise HJ212Error(ErrorCode.BAD_CP, gettext_noop("数据区内出现 %(marker)s"), marker="&&")
    usual = _USUAL_HEADER.fullmatch(head)
    if usual is not None:
        qn, st, cn, pw, mn, flag_text = usual.groups()
        usual_flag = int(flag_text)
        if not usual_flag & 0b10 and usual_flag <= 255:
            # The usual header in the standard's order, checked by the expression
            # but for QN's time; a split packet's numbers take the general path.
            _check_qn(qn)
            deferred = not split_items and _check_usual_data_area(cp)
            items = () if deferred else parse_data_area(cp)
            # Positional, in the fields' order: keywords cost a third more here.
            return Packet(
                segment, qn, st, cn, pw, mn, usual_flag, None, None, cp, crc, variant, items,
                _NO_EXTRA, deferred,
            )  # fmt: skip
    if head and not head.endswith(";"):
        raise HJ212Error(
            ErrorCode.BAD_FIELD,
            gettext_noop("%(field)s 之前应为 %(separator)s"),
            field="CP",
            separator="';'",
        )
    fields: dict[str, str] = {}
    for part in head.split(";")[:-1] if head else []:
        name, equals, value = part.partition("=")
        if not equals or not name:
            raise HJ212Error(
                ErrorCode.BAD_FIELD,
                gettext_noop("%(part)s 不是 %(form)s 形式"),
                part=repr(part),
                form="Name=value",
            )
        if name in fields:
            raise HJ212Error(
                ErrorCode.BAD_FIELD, gettext_noop("字段 %(name)s 出现了两次"), name=repr(name)
            )
        fields[name] = value
    for name in ("ST", "CN", "PW", "MN"):
        if name not in fields:
            raise HJ212Error(ErrorCode.MISSING_FIELD, MISSING, field=name)
    qn = fields.get("QN")
    if qn is not None:
        _check_qn(qn)
    _check(fields["ST"], _ST, ErrorCode.BAD_ST, "ST")
    _check(fields["CN"], _CN, ErrorCode.BAD_CN, "CN")
    _check(fields["PW"], _PW, ErrorCode.BAD_PW, "PW")
    _check(fields["MN"], _MN, ErrorCode.BAD_MN, "MN")
    flag = _flag(fields.get("Flag"))
    pnum, pno = _packet_numbers(fields, flag)
    return Packet(
        segment=segment,
        qn=qn,
        st=fields["ST"],
        cn=fields["CN"],
        pw=fields["PW"],
        mn=fields["MN"],
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=cp,
        crc=crc,
        crc_variant=variant,
        items=parse_data_area(cp),
        extra={k: v for k, v in fields.items() if k not in HEADER_FIELDS},
    )


def _check(value: str, pattern: re.Pattern[str], code: ErrorCode, name: str) -> None:
    if not pattern.fullmatch(value):
        raise HJ212Error(
            code, gettext_noop("%(name)s=%(value)s 格式错误"), name=name, value=repr(value)
        )


def _check_qn(qn: str) -> None:
    if not _QN.fullmatch(qn):
        raise HJ212Error(
            ErrorCode.BAD_QN, NOT_OF_FORM, name="QN", form="YYYYMMDDhhmmsszzz", value=repr(qn)
        )
    try:
        # Any three digits are a valid millisecond: the time is that of the
        # first 14, which the uploads of the same second share in the cache
        # (every QN differs, so caching the whole one only churned it).
        _moment(qn[:14])
    except ValueError as error:
        raise HJ212Error(ErrorCode.BAD_QN, NOT_A_REAL_TIME, name="QN", value=repr(qn)) from error


def _flag(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 0 <= int(value) <= 255:
        raise HJ212Error(
            ErrorCode.BAD_FLAG, OUT_OF_RANGE, name="Flag", value=repr(value), range="0..255"
        )
    return int(value)


def _packet_numbers(fields: Mapping[str, str], flag: int | None) -> tuple[int | None, int | None]:
    split = flag is not None and bool(flag & 0b10)
    pnum, pno = fields.get("PNUM"), fields.get("PNO")
    if not split:
        if pnum is not None or pno is not None:
            raise HJ212Error(
                ErrorCode.BAD_PACKET_NUMBER,
                gettext_noop("发送了 %(fields)s，但 %(flag)s 的 D 位（拆分包）未置位"),
                fields="PNUM/PNO",
                flag="Flag",
            )
        return None, None
    if pnum is None or pno is None:
        raise HJ212Error(
            ErrorCode.BAD_PACKET_NUMBER,
            gettext_noop("%(flag)s 的 D 位（拆分包）已置位，但缺少 %(fields)s"),
            flag="Flag",
            fields="PNUM/PNO",
        )
    if not (pnum.isdigit() and pno.isdigit() and len(pnum) <= 4 and len(pno) <= 4):
        raise HJ212Error(
            ErrorCode.BAD_PACKET_NUMBER,
            gettext_noop("分包序号格式错误：%(fields)s"),
            fields=f"PNUM={pnum!r}, PNO={pno!r}",
        )
    total, number = int(pnum), int(pno)
    if not 1 <= number <= total:
        raise HJ212Error(
            ErrorCode.BAD_PACKET_NUMBER,
            OUT_OF_RANGE,
            name="PNO",
            value=str(number),
            range=f"1..{total}",
        )
    return total, number


# The usual data area in one regular expression: items of pollutant values
# (code-Rtd=number ...), data flags (code-Flag=N) and times (DataTime=...),
# "," between pairs, ";" between items. A data area it matches needs no check
# pair by pair, which is most of the cost of parsing an upload; anything else
# takes the general path, which accepts a superset and names what is wrong.
_NUMBER_TEXT = _NUMBER.pattern
_TIME_TEXT = r"\d{14}(?:\d{3})?"
# A pollutant code is read once, then its kind: trying each kind of pair from
# the start re-read the code for every alternative. The possessive forms
# (++, *+) never give back what they matched, which no match here needs.
_PAIR_TEXT = (
    r"(?:[A-Za-z0-9]++-(?:(?:Rtd|Min|Avg|Max|ZsRtd|ZsMin|ZsAvg|ZsMax|Cou|RT|RS)="
    + _NUMBER_TEXT
    + r"|Flag=[A-Za-z0-9]|SampleTime="
    + _TIME_TEXT
    + r")|(?:DataTime|SystemTime|BeginTime|EndTime|RestartTime)="
    + _TIME_TEXT
    + r")"
)
_ITEM_TEXT = _PAIR_TEXT + r"(?:," + _PAIR_TEXT + r")*+"
_USUAL_DATA_AREA = re.compile(_ITEM_TEXT + r"(?:;" + _ITEM_TEXT + r")*+;?")


def _check_usual_times(cp: str) -> None:
    """Check the times of a data area the usual expression matched (no 30 February)."""
    # The expression lets "Time=" appear only after a time name, and has
    # checked that 14 or 17 digits follow it.
    at = cp.find("Time=")
    while at >= 0:
        start = at + 5
        end = start + 14
        if cp[end : end + 3].isdigit():
            end += 3
        try:
            _moment(cp[start:end])
        except ValueError:
            name = cp[max(cp.rfind(";", 0, at), cp.rfind(",", 0, at)) + 1 : at + 4]
            raise HJ212Error(
                ErrorCode.BAD_VALUE, NOT_A_REAL_TIME, name=name, value=repr(cp[start:end])
            ) from None
        at = cp.find("Time=", end)


def _check_usual_data_area(cp: str) -> bool:
    """Whether the data area is of the usual form (its times checked); if not, the general path."""
    if _USUAL_DATA_AREA.fullmatch(cp) is None:
        return False
    _check_usual_times(cp)
    return True


def _split_usual_data_area(cp: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    # Each pair the usual expression matched has exactly one "=", so two parts.
    return tuple(
        [
            tuple([tuple(pair.split("=", 1)) for pair in item.split(",")])  # type: ignore[misc]
            for item in cp.split(";")
            if item
        ]
    )


def parse_data_area(cp: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Split a data area into items of (name, value) pairs, checking names and typed values."""
    if _check_usual_data_area(cp):
        return _split_usual_data_area(cp)
    if not cp.strip():
        return ()
    items = []
    for item_text in cp.split(";"):
        if not item_text:
            continue  # a trailing ';' is common and harmless
        pairs = []
        for pair in item_text.split(","):
            name, equals, value = pair.strip().partition("=")
            if not equals or not _NAME.fullmatch(name):
                raise HJ212Error(
                    ErrorCode.BAD_CP,
                    gettext_noop("数据区中的 %(part)s 不是 %(form)s 形式"),
                    part=repr(pair),
                    form="Name=value",
                )
            kind = name.rpartition("-")[2]
            # Most values are numbers: one float() settles them without a regex.
            if not (kind in _NUMERIC_KINDS and _is_number(value)):
                _check_value(name, value)
            pairs.append((name, value))
        items.append(tuple(pairs))
    return tuple(items)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    # float() also takes "nan", "inf", "1_000" and spaces, which are not HJ 212
    # numbers; a long one goes to the full check of its digits.
    return (
        len(value) <= 20
        and (value[-1:].isdigit() or value.endswith("."))
        and value.isascii()
        and ("_" not in value and " " not in value)
        and "e" not in value.lower()
    )


def _check_value(name: str, value: str) -> None:
    kind = name.rpartition("-")[2]
    if name in _TIME_NAMES or kind == "SampleTime":
        timestamp(value, name)
    elif kind in _NUMERIC_KINDS and "-" in name:
        if not _NUMBER.fullmatch(value):
            raise HJ212Error(
                ErrorCode.BAD_VALUE,
                gettext_noop("%(name)s=%(value)s 不是数值"),
                name=name,
                value=repr(value),
            )
    elif kind == "Flag" and "-" in name and not re.fullmatch(r"[A-Za-z0-9]", value):
        raise HJ212Error(
            ErrorCode.BAD_VALUE,
            gettext_noop("%(name)s=%(value)s 不是一个字符的数据标记"),
            name=name,
            value=repr(value),
        )


# --- building packets ---------------------------------------------------------------------


def frame(segment: bytes | str) -> bytes:
    """Wrap a data segment into a packet: ##, length, segment, HJ 212 CRC, CR LF."""
    body = segment.encode("utf-8") if isinstance(segment, str) else segment
    if len(body) > MAX_SEGMENT:
        raise HJ212Error(
            ErrorCode.BAD_LENGTH, SEGMENT_TOO_LONG, length=len(body), limit=MAX_SEGMENT
        )
    return b"%s%04d%s%04X%s" % (HEADER, len(body), body, crc16_fast(body), TRAILER)


def segment_of(
    *,
    st: str,
    cn: str,
    pw: str,
    mn: str,
    cp: str = "",
    qn: str | None = None,
    flag: int | None = None,
    pnum: int | None = None,
    pno: int | None = None,
) -> str:
    """Return a data segment with the fields in the standard's order."""
    parts = []
    if qn is not None:
        parts.append(f"QN={qn}")
    parts += [f"ST={st}", f"CN={cn}", f"PW={pw}", f"MN={mn}"]
    if flag is not None:
        parts.append(f"Flag={flag}")
    if pnum is not None and pno is not None:
        parts += [f"PNUM={pnum}", f"PNO={pno}"]
    parts.append(f"CP=&&{cp}&&")
    return ";".join(parts)


# The Flag's version bits V5..V0 of each edition (6.3.3, table 4 of the 2017 text:
# 000000 for HJ/T 212-2005, 000001 for HJ 212-2017). The 2025 edition's number
# is configurable (setting ``HJ212_FLAG_VERSION_2025``) because
# devices built to it are only now reaching the field.
FLAG_VERSION_2005 = 0
FLAG_VERSION_2017 = 1
FLAG_VERSION_2025_DEFAULT = 2
# Flag of the platform's answers: version 1 (HJ 212-2017), no split, no answer wanted.
ANSWER_FLAG = FLAG_VERSION_2017 << 2
SYSTEM_INTERACTION = "91"
# The interaction commands of table 9: answers, which are never answered in turn.
ANSWER_COMMANDS = frozenset({"9011", "9012", "9013", "9014"})
# A pollutant code as PolId names it (w01018; the 2005 edition's 011); the
# platform echoes it in a command, so nothing else may pass.
_POL_ID = re.compile(r"[A-Za-z0-9]{1,16}")


def answer_flag(version: int = FLAG_VERSION_2017) -> int:
    """The Flag of an answer in a device's edition: its version bits, no split, no answer wanted."""
    if not 0 <= version < 64:
        raise ValueError("the Flag version has six bits")
    return version << 2


def data_ack(packet: Packet, *, version: int = FLAG_VERSION_2017) -> bytes:
    """The data acknowledge (9014) for an upload whose Flag asks for one."""
    return frame(_answer(packet, "9014", "", version))


def request_answer(packet: Packet, qn_rtn: int, *, version: int = FLAG_VERSION_2017) -> bytes:
    """The request answer (9011) with a table-7 code."""
    return frame(_answer(packet, "9011", f"QnRtn={qn_rtn}", version))


def execution_result(packet: Packet, exe_rtn: int, *, version: int = FLAG_VERSION_2017) -> bytes:
    """The execution result (9012) with a table-6 code."""
    return frame(_answer(packet, "9012", f"ExeRtn={exe_rtn}", version))


def notice_ack(packet: Packet, *, version: int = FLAG_VERSION_2017) -> bytes:
    """The notice answer (9013)."""
    return frame(_answer(packet, "9013", "", version))


def set_time_command(
    notice: Packet, system_time: dt.datetime, *, version: int = FLAG_VERSION_2017
) -> bytes:
    """The request to set the device's time (1012) that follows a time calibration request (1013).

    ``system_time`` is the platform's Beijing time: SystemTime, and the QN
    that identifies the exchange (the device's 9011 and 9012 carry it). The
    notice's PolId, when sent, is echoed, so the clock of that pollutant's
    instrument is set rather than the data logger's (table C.3); a PolId that
    is not a pollutant code raises HJ212Error.
    """
    pol_id = notice.data().get("PolId")
    cp = f"SystemTime={system_time:%Y%m%d%H%M%S}"
    if pol_id is not None:
        if not _POL_ID.fullmatch(pol_id):
            raise HJ212Error(
                ErrorCode.BAD_VALUE,
                gettext_noop("%(name)s=%(value)s 不是污染物编码"),
                name="PolId",
                value=repr(pol_id),
            )
        cp = f"PolId={pol_id};{cp}"
    qn = f"{system_time:%Y%m%d%H%M%S}{system_time.microsecond // 1000:03d}"
    # A request carries the device's system code, not 91, which is for the
    # answers (the examples of table C.3), and asks for an answer.
    segment = segment_of(
        qn=qn,
        st=notice.st,
        cn="1012",
        pw=notice.pw,
        mn=notice.mn,
        flag=answer_flag(version) | 0b1,
        cp=cp,
    )
    return frame(segment)


def _answer(packet: Packet, cn: str, cp: str, version: int) -> str:
    # segment_of's fields and order, in one format instead of its list and
    # join: an answer goes out for nearly every upload.
    qn = "" if packet.qn is None else f"QN={packet.qn};"
    return (
        f"{qn}ST={SYSTEM_INTERACTION};CN={cn};PW={packet.pw};MN={packet.mn};"
        f"Flag={answer_flag(version)};CP=&&{cp}&&"
    )


# --- reading a stream ------------------------------------------------------------------------


@dataclass(slots=True)
class FrameSplitter:
    """Cut a TCP byte stream into candidate frames, resynchronising on ## after garbage.

    ``feed`` returns the complete frames (to be parsed) and the junk it
    skipped, so that a bad frame never stalls or swallows the ones after it.
    """

    buffer: bytearray = field(default_factory=bytearray)
    # A frame can be at most this long; anything longer is junk.
    limit: int = MAX_SEGMENT + FRAME_OVERHEAD

    def feed(self, data: bytes) -> tuple[list[bytes], list[bytes]]:
        self.buffer += data
        frames: list[bytes] = []
        junk: list[bytes] = []
        while True:
            start = self.buffer.find(HEADER)
            if start < 0:
                # Keep a last '#', which may be the first half of the next ##.
                keep = 1 if self.buffer.endswith(b"#") else 0
                if len(self.buffer) > keep:
                    junk.append(bytes(self.buffer[: len(self.buffer) - keep]))
                    del self.buffer[: len(self.buffer) - keep]
                return frames, junk
            if start:
                junk.append(bytes(self.buffer[:start]))
                del self.buffer[:start]
            if len(self.buffer) < 6:
                return frames, junk
            length_field = bytes(self.buffer[2:6])
            if not _DIGITS.fullmatch(length_field) or int(length_field) > MAX_SEGMENT:
                # Not a frame after all: skip this ## and look for the next.
                junk.append(bytes(self.buffer[:2]))
                del self.buffer[:2]
                continue
            total = int(length_field) + FRAME_OVERHEAD
            # A segment holds no CR LF: one before the end the length field
            # gives ends this frame there (its length is wrong, and the parser
            # says so), rather than swallowing the frames sent after it.
            end = self.buffer.find(TRAILER, 6, total)
            if end >= 0 and end + len(TRAILER) < total:
                frames.append(bytes(self.buffer[: end + len(TRAILER)]))
                del self.buffer[: end + len(TRAILER)]
                continue
            if len(self.buffer) < total:
                return frames, junk
            frames.append(bytes(self.buffer[:total]))
            del self.buffer[:total]
