"""The issue date a licence shows is the one its signature covers, on every page and the PDF."""

import datetime as dt
import re
from unittest import mock
from zoneinfo import ZoneInfo

from django.test import Client
from django.urls import reverse

from zhengtong.licences.models import Licence
from zhengtong.licences.selectors import short_digest_of
from zhengtong.licences.tests.cast import LicenceCast, issue_food_licence

BEIJING = ZoneInfo("Asia/Shanghai")


_LITERAL = re.compile(rb"\((?P<text>(?:[^\\()]|\\.)*)\) Tj", re.DOTALL)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
_NAMED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _pdf_lines(pdf: bytes) -> list[str]:
    """The text the PDF draws in the Chinese font (UTF-16BE in PDF string literals)."""

    def unescape(found: re.Match[bytes]) -> bytes:
        code = found.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _NAMED.get(code, code)

    lines = []
    for found in _LITERAL.finditer(pdf):
        raw = _ESCAPE.sub(unescape, found.group("text"))
        if len(raw) % 2 == 0:
            lines.append(raw.decode("utf-16-be", "replace"))
    return lines


def test_the_verification_page_shows_the_signed_issue_date(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    # The issue time is not signed: changed in the database, the page must not carry it.
    Licence.objects.filter(pk=licence.pk).update(issued_at=dt.datetime(2020, 1, 2, tzinfo=BEIJING))
    url = reverse("licences:verify", args=[licence.number])
    text = Client().get(f"{url}?s={short_digest_of(licence)}").content.decode()
    assert 'class="licence-status">有效<' in text
    assert "2020-01-02" not in text
    assert licence.valid_from.isoformat() in text


def test_a_licence_issued_early_in_the_morning_carries_the_beijing_date(
    cast: LicenceCast,
) -> None:
    # 07:30 in Beijing is still the day before in UTC.
    early = dt.datetime(2026, 3, 10, 7, 30, tzinfo=BEIJING)
    with mock.patch("zhengtong.licences.actions.timezone.now", return_value=early):
        licence = issue_food_licence(cast)
    assert licence.valid_from == dt.date(2026, 3, 10)
    client = Client()
    client.force_login(cast.owner_user)
    url = reverse("licences:print", args=[licence.number])
    page = client.get(url).content.decode()
    assert "2026-03-10" in page and "2026-03-09" not in page
    lines = _pdf_lines(client.get(url + "?download=1").content)
    assert any("2026-03-10" in line for line in lines), lines
    assert not any("2026-03-09" in line for line in lines)
