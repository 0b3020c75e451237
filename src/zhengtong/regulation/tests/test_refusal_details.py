"""Why a packet was refused, in the reader's language: stored in Chinese, shown in either.

The receiver stores each refusal's detail in the platform's language with
the message it was made from; the regulator's pages show it in the page's
language, the field names and values sent as they were. Rows stored before
details had a message keep their text. 周检 is the city's regulator.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping

import pytest
from django.utils import timezone
from django.utils.translation import trans_real

from zhengtong.regulation.hj212 import frame
from zhengtong.regulation.models import MonitoringPoint, RefusedPacket
from zhengtong.regulation.receiver import Receiver
from zhengtong.regulation.tests.bureau import Bureau, logged_in, make_bureau, text_of
from zhengtong.regulation.tests.test_receiver import MN, PW, exchange, register, run, upload

# Rolled back by reloading the roles and the rest the migrations wrote, which
# the pages need: the receiver commits from its own thread.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WRONG_PW = "%(field)s 与 %(device)s %(value)s 登记的不符"
NO_DATA_TIME = "数据上传缺少 %(field)s"
# What the English catalogue says for them (the real one, for the CRC's).
ENGLISH = {
    WRONG_PW: "%(field)s does not match the one registered for %(device)s %(value)s",
    NO_DATA_TIME: "The data upload has no %(field)s",
}


@pytest.fixture
def english() -> Mapping[str, str]:
    """The refusals' messages in English, as the project's English catalogue has them."""
    catalogue = trans_real.translation("en")
    for message, text in ENGLISH.items():
        assert catalogue.gettext(message) == text
    return ENGLISH


def _refuse_three(point: MonitoringPoint) -> None:
    """A wrong password, an upload without DataTime and a corrupt CRC, then a good upload."""
    corrupt = bytearray(upload(4))
    corrupt[-6:-2] = b"0000" if corrupt[-6:-2] != b"0000" else b"FFFF"

    async def scenario(receiver: Receiver, port: int) -> None:
        payload = (
            upload(5, pw="999999")
            + upload(6, cp="a21026-Rtd=31.5,a21026-Flag=N")
            + bytes(corrupt)
            + upload(7)
        )
        (answer,) = await exchange(port, payload, 1)
        assert answer.startswith(b"##")

    run(scenario)
    point.refresh_from_db()
    assert point.bad_packets == 3


def _point_page(bureau: Bureau, language: str) -> str:
    http = logged_in(bureau.regulator)
    return html.unescape(
        text_of(http.get(f"/regulation/points/{MN}/", HTTP_ACCEPT_LANGUAGE=language))
    )


def _overview(bureau: Bureau, language: str) -> str:
    http = logged_in(bureau.regulator)
    return html.unescape(
        text_of(http.get("/regulation/monitoring/", HTTP_ACCEPT_LANGUAGE=language))
    )


def test_the_receiver_stores_a_refusal_in_chinese_with_what_it_was_made_from() -> None:
    bureau = make_bureau()
    point = register()
    _refuse_three(point)
    stored = {row.code: row for row in RefusedPacket.objects.filter(point=point)}
    wrong_pw = stored["bad_pw"]
    assert wrong_pw.detail == f"PW 与 MN '{MN}' 登记的不符"
    assert wrong_pw.detail_message == {
        "id": WRONG_PW,
        "values": {"field": "PW", "device": "MN", "value": f"'{MN}'"},
    }
    assert stored["missing_field"].detail == "数据上传缺少 DataTime"
    crc = stored["bad_crc"]
    assert crc.detail.startswith("CRC 校验码为 0000，按 HJ 212 计算应为 ")
    assert crc.detail_message is not None
    assert crc.detail_message["values"]["sent"] == "0000"
    # The page in the platform's language shows them as stored, none in English.
    page = _point_page(bureau, "zh-hans")
    for row in stored.values():
        assert row.detail in page
    assert "wrong PW" not in page and "is missing" not in page and "does not match" not in page


def test_the_pages_show_a_refusal_in_the_readers_language(english: Mapping[str, str]) -> None:
    bureau = make_bureau()
    point = register()
    _refuse_three(point)
    crc = RefusedPacket.objects.get(code="bad_crc")
    expected = crc.detail.rpartition(" ")[2]
    page = _point_page(bureau, "en")
    assert f"PW does not match the one registered for MN '{MN}'" in page
    assert "The data upload has no DataTime" in page
    assert f"CRC 0000 does not match the segment (by HJ 212 it should be {expected})" in page
    assert "登记的不符" not in page and "数据上传缺少" not in page and "CRC 校验码为" not in page
    # The overview shows each point's latest refusal (the CRC's: the three
    # came in one read), in the reader's language too.
    overview = _overview(bureau, "en")
    assert f"CRC 0000 does not match the segment (by HJ 212 it should be {expected})" in overview
    assert crc.detail not in overview and crc.detail in _overview(bureau, "zh-hans")


def test_a_refusal_stored_as_plain_text_keeps_its_text(english: Mapping[str, str]) -> None:
    bureau = make_bureau()
    point = register()
    now = timezone.now()
    for detail, code, ago in (
        ("CRC 0000 does not match the segment (HJ 212: 1C80)", "bad_crc", 60),
        (f"wrong PW for MN '{MN}'", "bad_pw", 0),
    ):
        RefusedPacket.objects.create(
            point=point,
            mn=MN,
            code=code,
            detail=detail,
            received_at=now - dt.timedelta(seconds=ago),
        )
    for language in ("zh-hans", "en"):
        assert f"wrong PW for MN '{MN}'" in _point_page(bureau, language)
        assert f"wrong PW for MN '{MN}'" in _overview(bureau, language)
    # The CRC failures of then are still recognised and said in the page's language.
    assert "CRC 校验码为 0000，按 HJ 212 计算应为 1C80" in _point_page(bureau, "zh-hans")
    english_page = _point_page(bureau, "en")
    assert "CRC 0000 does not match the segment (by HJ 212 it should be 1C80)" in english_page


def test_a_long_value_sent_is_kept_short_in_the_stored_detail() -> None:
    point = register()
    junk = "x" * 300
    raw = frame(f"QN=20260301083000000;ST=31;CN=2011;PW={PW};MN={MN};Flag=5;{junk};CP=&&&&")

    async def scenario(receiver: Receiver, port: int) -> None:
        (answer,) = await exchange(port, raw + upload(7), 1)
        assert answer.startswith(b"##")

    run(scenario)
    refused = RefusedPacket.objects.get(point=point)
    kept = repr(junk)[:120]
    assert refused.code == "bad_field"
    assert refused.detail == f"{kept} 不是 Name=value 形式"
    assert refused.detail_message == {
        "id": "%(part)s 不是 %(form)s 形式",
        "values": {"part": kept, "form": "Name=value"},
    }
