"""The public verification page, 我的证照, printing and share links."""

import base64
import datetime as dt
import hashlib
import re
from unittest import mock

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhengtong.core.masking import mask_id_number
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.ledger.models import LedgerEntry
from zhengtong.licences.actions import do_revoke_licence
from zhengtong.licences.models import Licence
from zhengtong.licences.qr import qr_svg, verification_url
from zhengtong.licences.selectors import short_digest_of
from zhengtong.licences.tests.cast import (
    LicenceCast,
    issue_food_licence,
    issue_pension_certificate,
)


def _text(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    return response.content.decode()


def _verify_url(licence: Licence) -> str:
    return f"{reverse('licences:verify', args=[licence.number])}?s={short_digest_of(licence)}"


def test_anyone_sees_a_valid_licence_with_personal_data_masked(cast: LicenceCast) -> None:
    licence = issue_pension_certificate(cast)
    response = Client().get(_verify_url(licence))
    text = _text(response)
    assert response.status_code == 200
    assert re.search(r'class="licence-status">有效<', text)
    assert "城乡居民基本养老保险参保证明" in text and licence.number in text
    assert "长沙市人力资源和社会保障局" in text
    assert "Ed25519" in text and licence.signing_key.key_id in text
    # The holder's name, 身份证号 and address are masked for the public.
    assert cast.zhangsan.id_number not in text
    assert mask_id_number(cast.zhangsan.id_number) in text
    assert "张*" in text and "张三" not in text
    assert "八一路12号" not in text


def test_the_verification_page_shows_revoked_expired_and_forged(cast: LicenceCast) -> None:
    client = Client()
    revoked = issue_food_licence(cast)
    do_revoke_licence(revoked, "经营者申请注销", actor=TEST_ACTOR)
    text = _text(client.get(_verify_url(revoked)))
    assert 'class="licence-status">已注销<' in text and "经营者申请注销" in text

    expiring = issue_pension_certificate(cast)
    assert expiring.valid_until is not None
    later = timezone.now() + dt.timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=later):
        text = _text(client.get(_verify_url(expiring)))
    assert 'class="licence-status">已过期<' in text

    forged = issue_food_licence(cast)
    Licence.objects.filter(pk=forged.pk).update(holder_name="另一家餐饮店")
    text = _text(client.get(_verify_url(forged)))
    assert 'class="licence-status">验证未通过<' in text and "签名校验失败" in text
    assert "licence-qr-box" not in text

    genuine = issue_food_licence(cast)
    wrong_qr = reverse("licences:verify", args=[genuine.number]) + "?s=000000000000"
    text = _text(client.get(wrong_qr))
    assert 'class="licence-status">验证未通过<' in text and "二维码" in text
    # The page says one thing: no "passed" below the failure, and no code to pass on.
    assert '<dd id="qr-check">未通过</dd>' in text
    assert '<dd id="signature-check">通过</dd>' not in text
    assert "licence-qr-box" not in text
    assert "licence-qr-box" in _text(client.get(_verify_url(genuine)))


def test_an_unknown_number_is_reported_as_not_found(cast: LicenceCast) -> None:
    response = Client().get(reverse("licences:verify", args=["JY43010200000000"]))
    assert response.status_code == 404
    assert "查无此证" in _text(response)


def test_the_qr_code_is_inline_svg_of_the_verification_url(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    url = verification_url(licence)
    assert url == _verify_url(licence)
    svg = qr_svg("https://zwfw.example.gov.cn" + url)
    assert svg.startswith("<svg") and "<path" in svg
    assert f"https://zwfw.example.gov.cn{url}".replace("&", "&amp;") in svg
    assert qr_svg("https://zwfw.example.gov.cn/other") != svg
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.SITE_URL", "https://zwfw.example.gov.cn")
        assert verification_url(licence) == f"https://zwfw.example.gov.cn{url}"


def test_the_pages_carry_the_qr_code_with_the_absolute_url(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    client = Client()
    client.force_login(cast.owner_user)
    text = _text(client.get(reverse("licences:detail", args=[licence.number])))
    assert "<svg" in text and f"http://testserver{_verify_url(licence)}" in text


def test_mine_shows_only_the_users_own_licences(cast: LicenceCast) -> None:
    mine = issue_pension_certificate(cast)
    theirs = issue_pension_certificate(cast, cast.wangwu)
    shop = issue_food_licence(cast)
    client = Client()
    client.force_login(cast.citizen)
    text = _text(client.get(reverse("licences:mine")))
    assert mine.number in text and theirs.number not in text and shop.number not in text
    assert client.get(reverse("licences:detail", args=[theirs.number])).status_code == 404
    assert client.get(reverse("licences:detail", args=[shop.number])).status_code == 404
    assert client.get(reverse("licences:detail", args=[mine.number])).status_code == 200

    client.force_login(cast.owner_user)
    text = _text(client.get(reverse("licences:mine")))
    assert shop.number in text and mine.number not in text


def test_mine_needs_a_log_in_and_is_not_for_staff(cast: LicenceCast) -> None:
    response = Client().get(reverse("licences:mine"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client = Client()
    client.force_login(cast.clerk)
    assert client.get(reverse("licences:mine")).status_code == 403


def test_the_printable_page_is_self_contained(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    client = Client()
    client.force_login(cast.owner_user)
    url = reverse("licences:print", args=[licence.number])
    response = client.get(url)
    text = _text(response)
    assert response.status_code == 200
    assert "<style>" in text and "<svg" in text and "刘晓梅" in text
    assert "<script" not in text
    # The policy admits exactly the page's own style block, by its hash.
    style = re.search(r"<style>(.*?)</style>", text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response["Content-Security-Policy"]
    client.force_login(cast.other_citizen)
    assert client.get(url).status_code == 404


def test_the_download_is_a_pdf_of_the_licence_with_its_qr_code(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    client = Client()
    client.force_login(cast.owner_user)
    url = reverse("licences:print", args=[licence.number])
    download = client.get(url + "?download=1")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="{licence.number}.pdf"'
    body = download.content
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    # The number and the verification address are plain text; the Chinese is
    # set in the standard Chinese font every PDF reader supplies (not embedded).
    assert licence.number.encode() in body
    assert short_digest_of(licence).encode() in body
    assert b"/STSong-Light" in body
    # The QR code is drawn: many filled squares.
    assert body.count(b" re") > 100
    # Somebody else's licence is not found, as on the page.
    client.force_login(cast.other_citizen)
    assert client.get(url + "?download=1").status_code == 404


def test_a_share_link_shows_the_licence_until_it_expires(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    owner = Client()
    owner.force_login(cast.owner_user)
    before = LedgerEntry.objects.count()
    response = owner.post(reverse("licences:detail", args=[licence.number]), {"days": "7"})
    text = _text(response)
    match = re.search(
        r'class="licence-share-link" href="(http://testserver/licences/shared/[^"]+)"', text
    )
    assert match, text
    link = match.group(1).removeprefix("http://testserver")
    entry = LedgerEntry.objects.order_by("seq")[before:].get()
    assert entry.action == "licences.share_licence"

    stranger = Client()
    shown = stranger.get(link)
    assert shown.status_code == 200
    assert licence.number in _text(shown) and "热食类食品制售" in _text(shown)
    six_days = timezone.now() + dt.timedelta(days=6)
    with mock.patch("django.utils.timezone.now", return_value=six_days):
        assert stranger.get(link).status_code == 200
    eight_days = timezone.now() + dt.timedelta(days=8)
    with mock.patch("django.utils.timezone.now", return_value=eight_days):
        expired = stranger.get(link)
    assert expired.status_code == 410 and "分享链接已失效" in _text(expired)
    # An altered token is refused the same way.
    assert stranger.get(link.rstrip("/") + "x/").status_code == 410


def test_a_shared_licence_whose_content_was_altered_shows_no_code_to_pass_on(
    cast: LicenceCast,
) -> None:
    licence = issue_food_licence(cast)
    owner = Client()
    owner.force_login(cast.owner_user)
    response = owner.post(reverse("licences:detail", args=[licence.number]), {"days": "7"})
    match = re.search(r'href="http://testserver(/licences/shared/[^"]+)"', _text(response))
    assert match, _text(response)
    stranger = Client()
    assert "licence-qr-box" in _text(stranger.get(match.group(1)))
    Licence.objects.filter(pk=licence.pk).update(
        data={**licence.data, "business_items": "热食类食品制售；生食类食品制售"}
    )
    altered = _text(stranger.get(match.group(1)))
    assert "licence-qr-box" not in altered and "<svg" not in altered
    assert "验证未通过" in altered


def test_sharing_again_keeps_the_lifetime_just_chosen(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    owner = Client()
    owner.force_login(cast.owner_user)
    page = reverse("licences:detail", args=[licence.number])

    def selected(text: str) -> list[str]:
        return re.findall(r'<option value="(\d+)" selected>', text)

    assert selected(_text(owner.get(page))) == ["7"]
    shared = _text(owner.post(page, {"days": "30"}))
    assert "licence-share-link" in shared
    # The form offers the 30 days again, not the default: pressing the button
    # once more (a second recipient) must not give a link of a week.
    assert selected(shared) == ["30"]
    again = re.search(
        r'class="licence-share-link" href="http://testserver(/licences/shared/[^"]+)"',
        _text(owner.post(page, {"days": selected(shared)[0]})),
    )
    assert again
    in_four_weeks = timezone.now() + dt.timedelta(days=28)
    with mock.patch("django.utils.timezone.now", return_value=in_four_weeks):
        assert Client().get(again.group(1)).status_code == 200


def test_a_share_link_has_one_of_the_offered_lifetimes(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    client = Client()
    client.force_login(cast.owner_user)
    response = client.post(reverse("licences:detail", args=[licence.number]), {"days": "365"})
    assert response.status_code == 400
    assert "licence-share-link" not in _text(response)


def test_the_portal_offers_my_licences(cast: LicenceCast) -> None:
    client = Client()
    client.force_login(cast.citizen)
    assert f'href="{reverse("licences:mine")}"' in _text(client.get(reverse("portal:citizen")))


def test_an_english_page_names_the_licence_and_its_fields_in_english(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    client = Client()
    client.force_login(cast.owner_user)
    for url in (
        reverse("licences:detail", args=[licence.number]),
        reverse("licences:print", args=[licence.number]),
        _verify_url(licence),
    ):
        english = _text(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
        assert "Food business licence" in english and "Business premises" in english, url
        assert "食品经营许可证" not in english and "经营场所" not in english, url
        chinese = _text(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hans"))
        assert "食品经营许可证" in chinese and "经营场所" in chinese, url
    english = _text(client.get(reverse("licences:mine"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Food business licence" in english


def test_a_revoked_licence_cannot_be_shared(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    do_revoke_licence(licence, "经营者申请注销", actor=TEST_ACTOR)
    owner = Client()
    owner.force_login(cast.owner_user)
    page = reverse("licences:detail", args=[licence.number])
    assert "licence-share-form" not in _text(owner.get(page))
    response = owner.post(page, {"days": "7"})
    assert response.status_code == 409
    text = _text(response)
    assert "licence-share-link" not in text and "不能分享" in text
    assert not LedgerEntry.objects.filter(action="licences.share_licence").exists()
