"""The issuing department's 已签发证照: finding its licences and revoking one.

李四 is a clerk of the market bureau (no such power); 赵决定 decides there and
钱决定 at the HRSS bureau, each revoking only what their own department issued.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import User
from zhengtong.ledger.models import LedgerEntry
from zhengtong.licences.tests.cast import (
    PASSWORD,
    LicenceCast,
    issue_food_licence,
    issue_pension_certificate,
)

API = "/api/licences"


def logged_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def decider(cast: LicenceCast, at: str = "market") -> User:
    department = cast.market if at == "market" else cast.hrss
    return do_create_staff(
        f"decider-{at}", PASSWORD, "赵决定", department, ["decider"], actor=TEST_ACTOR
    )


def test_a_decider_finds_the_departments_licences_only(cast: LicenceCast) -> None:
    food = issue_food_licence(cast)
    pension = issue_pension_certificate(cast)
    browser = logged_in(decider(cast))
    page = browser.get(reverse("licences:issued")).content.decode()
    assert food.number in page and pension.number not in page
    # By the start of its number, by the holder's name, by the credit code.
    for query in (food.number[:8].lower(), "湘味小厨", cast.shop.credit_code):
        found = browser.get(reverse("licences:issued"), {"q": query}).content.decode()
        assert food.number in found, query
    nothing = browser.get(reverse("licences:issued"), {"q": "不存在的主体"}).content.decode()
    assert "没有符合条件的证照。" in nothing
    too_long = browser.get(reverse("licences:issued"), {"q": "长" * 65}).content.decode()
    assert "查询内容不能超过 64 个字" in too_long and food.number not in too_long
    listed = browser.get(f"{API}/issued").json()
    assert [row["number"] for row in listed] == [food.number]
    assert browser.get(f"{API}/issued", {"q": "长" * 65}).status_code == 422


def test_a_decider_revokes_a_licence_and_everyone_sees_it_void(cast: LicenceCast) -> None:
    food = issue_food_licence(cast)
    browser = logged_in(decider(cast))
    url = reverse("licences:issued_detail", args=[food.number])
    assert "注销这张证照" in browser.get(url).content.decode()

    refused = browser.post(url, {"reason": "   "})
    assert refused.status_code == 400
    assert "注销证照须说明原因。" in refused.content.decode()
    typed = "经营场所已不存在"
    refused = browser.post(url, {"reason": typed + "\x07"})
    assert refused.status_code == 400
    # What was typed stays in the form.
    assert re.search(rf'<textarea[^>]*name="reason"[^>]*>{typed}', refused.content.decode())

    before = LedgerEntry.objects.filter(action="licences.revoke_licence").count()
    done = browser.post(
        url, {"reason": "申请人以欺骗手段取得许可，依法撤销\r\n（芙市监撤字〔2026〕3号）"}
    )
    assert done.status_code == 302
    shown = browser.get(done["Location"]).content.decode()
    assert "证照已注销" in shown and "注销这张证照" not in shown
    assert LedgerEntry.objects.filter(action="licences.revoke_licence").count() == before + 1

    public = Client().get(reverse("licences:verify", args=[food.number])).content.decode()
    assert "已注销" in public and "申请人以欺骗手段取得许可" in public
    assert Client().get(f"{API}/verify/{food.number}").json()["status"] == "revoked"
    mine = logged_in(cast.owner_user).get(f"{API}/mine/{food.number}").json()
    assert mine["status"] == "revoked" and mine["revoke_reason"].startswith("申请人以欺骗")

    again = browser.post(url, {"reason": "再次注销"})
    assert again.status_code == 409
    assert "该证照已注销。" in again.content.decode()
    api_again = browser.post(
        f"{API}/issued/{food.number}/revoke", {"reason": "再次"}, content_type="application/json"
    )
    assert (api_again.status_code, api_again.json()["code"]) == (409, "already_revoked")


def test_the_api_revokes_with_stable_codes(cast: LicenceCast) -> None:
    food = issue_food_licence(cast)
    browser = logged_in(decider(cast))
    revoke = f"{API}/issued/{food.number}/revoke"

    def code_of(reason: str) -> tuple[int, str]:
        answer = browser.post(revoke, {"reason": reason}, content_type="application/json")
        return answer.status_code, answer.json()["code"]

    assert code_of("") == (400, "reason_required")
    assert code_of("长" * 501) == (400, "reason_too_long")
    assert code_of("原因\x07") == (400, "control_characters")
    answer = browser.post(revoke, {"reason": "营业执照已注销"}, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["status"] == "revoked"
    assert answer.json()["revoke_reason"] == "营业执照已注销"


def test_another_department_and_a_clerk_cannot_revoke(cast: LicenceCast) -> None:
    food = issue_food_licence(cast)
    other = logged_in(decider(cast, at="hrss"))
    url = reverse("licences:issued_detail", args=[food.number])
    assert other.get(url).status_code == 404
    assert other.post(url, {"reason": "越权注销"}).status_code == 404
    answer = other.post(
        f"{API}/issued/{food.number}/revoke", {"reason": "越权"}, content_type="application/json"
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "licence_not_found")

    clerk = logged_in(cast.clerk)
    assert clerk.get(reverse("licences:issued")).status_code == 403
    assert clerk.post(url, {"reason": "越权注销"}).status_code == 403
    answer = clerk.get(f"{API}/issued")
    assert (answer.status_code, answer.json()["code"]) == (403, "permission_denied")
    assert logged_in(cast.citizen).get(reverse("licences:issued")).status_code == 403
    assert Client().get(reverse("licences:issued")).status_code == 302
    food.refresh_from_db()
    assert food.revoked_at is None


@pytest.mark.parametrize("role", ["decider", "leader"])
def test_the_workbench_offers_the_list_to_deciders_and_leaders(
    cast: LicenceCast, role: str
) -> None:
    staff = do_create_staff(f"s-{role}", PASSWORD, "某人", cast.market, [role], actor=TEST_ACTOR)
    page = logged_in(staff).get(reverse("portal:workbench")).content.decode()
    assert reverse("licences:issued") in page
    clerk_page = logged_in(cast.clerk).get(reverse("portal:workbench")).content.decode()
    assert reverse("licences:issued") not in clerk_page


def test_the_holder_is_told_of_the_revocation_in_their_message_box(cast: LicenceCast) -> None:
    food = issue_food_licence(cast)
    pension = issue_pension_certificate(cast)
    market, hrss = logged_in(decider(cast)), logged_in(decider(cast, at="hrss"))
    for browser, licence in ((market, food), (hrss, pension)):
        answer = browser.post(
            f"{API}/issued/{licence.number}/revoke",
            {"reason": "依申请注销"},
            content_type="application/json",
        )
        assert answer.status_code == 200

    def messages(user: User, language: str = "zh-hans") -> list[dict[str, str]]:
        inbox = logged_in(user).get(
            "/api/services/applications/notifications", HTTP_ACCEPT_LANGUAGE=language
        )
        assert inbox.status_code == 200
        return list(inbox.json())

    (shop_notice,) = messages(cast.owner_user)
    assert shop_notice["text"] == (
        f"您的电子证照 {food.number}（食品经营许可证）已被长沙市芙蓉区市场监督管理局注销。"
        "原因：依申请注销"
    )
    assert shop_notice["link"] == reverse("licences:detail", args=[food.number])
    (own_notice,) = messages(cast.citizen)
    assert pension.number in own_notice["text"] and "依申请注销" in own_notice["text"]
    (in_english,) = messages(cast.citizen, "en")
    assert in_english["text"].startswith(f"Your e-licence {pension.number}")
    assert messages(cast.other_citizen) == []


def test_the_list_pages_fifty_at_a_time_keeping_the_search(cast: LicenceCast) -> None:
    numbers = [issue_food_licence(cast).number for _ in range(51)]
    browser = logged_in(decider(cast))
    first = browser.get(reverse("licences:issued"), {"q": "湘味"}).content.decode()
    assert "第 1 / 2 页" in first
    assert 'href="?page=2&amp;q=%E6%B9%98%E5%91%B3"' in first
    second = browser.get(reverse("licences:issued"), {"q": "湘味", "page": "2"}).content.decode()
    # Newest first: the first issued is alone on the second page.
    assert numbers[0] in second and numbers[-1] not in second
    assert 'href="?page=1&amp;q=%E6%B9%98%E5%91%B3"' in second
