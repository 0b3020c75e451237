"""A copy of a licence no longer in force (printed or downloaded) says so, with the date,
and carries no QR code: the holder is told why there is none."""

import datetime as dt
import re
from collections.abc import Callable
from unittest import mock

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.licences.actions import Holder, do_issue_licence, do_revoke_licence
from zhengtong.licences.models import Licence, LicenceSigningKey
from zhengtong.licences.selectors import get_licence_type
from zhengtong.licences.tests.cast import LicenceCast, issue_food_licence, issue_pension_certificate
from zhengtong.licences.tests.test_issue_date import _pdf_lines


def _holder(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_pdf_of_a_valid_licence_carries_no_stamp(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    url = reverse("licences:print", args=[licence.number])
    lines = _pdf_lines(_holder(cast.owner_user).get(url + "?download=1").content)
    assert not any(word in line for line in lines for word in ("已注销", "已过期", "不再有效"))


def test_the_pdf_and_the_printed_copy_of_a_revoked_licence_say_it_is_revoked(
    cast: LicenceCast,
) -> None:
    licence = do_revoke_licence(issue_food_licence(cast), "经营者申请注销", actor=TEST_ACTOR)
    assert licence.revoked_at is not None
    day = timezone.localtime(licence.revoked_at).date().isoformat()
    client = _holder(cast.owner_user)
    url = reverse("licences:print", args=[licence.number])

    lines = _pdf_lines(client.get(url + "?download=1").content)
    assert lines.count("已注销") == 2, lines  # the banner and the stamp across the page
    assert f"该电子证照已于 {day} 注销，不再有效。" in lines
    assert "注销原因：经营者申请注销" in lines

    page = client.get(url).content.decode()
    assert 'class="void-stamp">已注销<' in page
    assert f"该电子证照已于 {day} 注销，不再有效。" in page
    # The public verification and the API say the same.
    verify = Client().get(reverse("licences:verify", args=[licence.number])).content.decode()
    assert 'class="licence-status">已注销<' in verify
    api = Client().get(f"/api/licences/verify/{licence.number}").json()
    assert api["status"] == "revoked" and api["revoke_reason"] == "经营者申请注销"


def test_the_pdf_of_an_expired_licence_says_when_it_expired(cast: LicenceCast) -> None:
    licence = issue_pension_certificate(cast)
    assert licence.valid_until is not None
    url = reverse("licences:print", args=[licence.number])
    later = timezone.now() + dt.timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=later):
        # Logged in on that day: a session from today would have lapsed.
        client = _holder(cast.citizen)
        lines = _pdf_lines(client.get(url + "?download=1").content)
        api = Client().get(f"/api/licences/verify/{licence.number}").json()
    assert lines.count("已过期") == 2, lines
    assert f"该电子证照的有效期已于 {licence.valid_until.isoformat()} 届满。" in lines
    assert api["status"] == "expired" and api["revoke_reason"] == ""


def test_a_long_business_scope_runs_on_to_another_page_of_the_pdf(cast: LicenceCast) -> None:
    licence_type = get_licence_type("business_licence")
    assert licence_type is not None
    # Real 经营范围 run to many hundred characters.
    scope = "餐饮服务；食品销售；酒类经营；烟草制品零售；" * 40
    licence = do_issue_licence(
        licence_type,
        Holder.of(cast.shop),
        {
            "enterprise_type": "有限责任公司（自然人独资）",
            "legal_representative": "刘晓梅",
            "established_on": "2020-01-01",
            "residence": "湖南省长沙市芙蓉区文艺路街道八一路18号",
            "business_scope": scope,
        },
        cast.market,
        actor=TEST_ACTOR,
    )
    url = reverse("licences:print", args=[licence.number])
    pdf = _holder(cast.owner_user).get(url + "?download=1").content
    # Every line is drawn inside its page's frame, none below the page's edge.
    heights = [float(y) for y in re.findall(rb"1 0 0 1 [-\d.]+ ([-\d.]+) Tm", pdf)]
    assert heights and min(heights) > 0
    lines = _pdf_lines(pdf)
    assert scope in "".join(lines)
    assert f"发证机关：{cast.market.name}" in lines
    assert b"/Count 2" in pdf


def _revoke(licence: Licence) -> None:
    do_revoke_licence(licence, "经营者申请注销", actor=TEST_ACTOR)


def _tamper(licence: Licence) -> None:
    Licence.objects.filter(pk=licence.pk).update(
        data={**licence.data, "business_items": "热食类食品制售；生食类食品制售"}
    )


def _unknown_key(licence: Licence) -> None:
    # The stored key is not the one that signed: the signature does not verify.
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    LicenceSigningKey.objects.filter(pk=licence.signing_key_id).update(public_key=other)


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_revoke, "该证照已注销，不提供核验二维码。"),
        (_tamper, "该证照未通过验证，不提供核验二维码。"),
        (_unknown_key, "该证照未通过验证，不提供核验二维码。"),
    ],
    ids=["revoked", "tampered", "unknown_key"],
)
def test_the_holders_pages_show_no_qr_code_of_a_licence_that_does_not_verify(
    cast: LicenceCast, spoil: Callable[[Licence], None], reason: str
) -> None:
    licence = issue_food_licence(cast)
    spoil(licence)
    client = _holder(cast.owner_user)
    detail = client.get(reverse("licences:detail", args=[licence.number])).content.decode()
    assert 'class="licence-qr"' not in detail and '<figure class="licence-qr-box">' not in detail
    assert reason in detail
    printed = client.get(reverse("licences:print", args=[licence.number])).content.decode()
    assert 'class="void-stamp">' in printed
    assert 'class="licence-qr"' not in printed and "扫码核验" not in printed
    assert reason in printed
    pdf = client.get(reverse("licences:print", args=[licence.number]) + "?download=1").content
    lines = _pdf_lines(pdf)
    assert "扫码核验" not in lines and reason in "".join(lines), lines
    # No code drawn: a QR code is hundreds of filled squares.
    assert pdf.count(b" re") < 20


def test_the_holders_pages_show_no_qr_code_of_an_expired_licence(cast: LicenceCast) -> None:
    licence = issue_pension_certificate(cast)
    reason = "该证照已过期，不提供核验二维码。"
    later = timezone.now() + dt.timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=later):
        client = _holder(cast.citizen)
        detail = client.get(reverse("licences:detail", args=[licence.number])).content.decode()
        printed = client.get(reverse("licences:print", args=[licence.number])).content.decode()
        pdf = client.get(reverse("licences:print", args=[licence.number]) + "?download=1").content
    assert 'class="licence-qr"' not in detail and reason in detail
    assert 'class="licence-qr"' not in printed and reason in printed
    assert reason in "".join(_pdf_lines(pdf)) and pdf.count(b" re") < 20


def test_the_holders_pages_of_a_valid_licence_carry_its_qr_code(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    client = _holder(cast.owner_user)
    for url in (
        reverse("licences:detail", args=[licence.number]),
        reverse("licences:print", args=[licence.number]),
    ):
        page = client.get(url).content.decode()
        assert 'class="licence-qr"' in page and "扫码核验" in page, url
        assert "不提供核验二维码" not in page, url
    pdf = client.get(reverse("licences:print", args=[licence.number]) + "?download=1").content
    assert "扫码核验" in _pdf_lines(pdf) and pdf.count(b" re") > 100
