"""What an officer types into 已签发证照, and what an API caller sends it.

赵决定 decides at the market bureau, which issued 湘味小厨's 食品经营许可证.
"""

from django.test import Client
from django.urls import reverse

from zhengtong.core.testing import TEST_ACTOR, make_enterprise
from zhengtong.licences.actions import Holder, do_issue_licence
from zhengtong.licences.selectors import get_licence_type
from zhengtong.licences.tests.cast import FOOD_DATA, LicenceCast, issue_food_licence
from zhengtong.licences.tests.test_issued import API, decider, logged_in


def full_width(text: str) -> str:
    """The text as a Chinese input method types it: ASCII letters and digits in full width."""
    return text.translate({code: code + 0xFEE0 for code in range(0x21, 0x7F)})


def test_a_number_typed_in_full_width_finds_the_licence(cast: LicenceCast) -> None:
    food = issue_food_licence(cast)
    browser = logged_in(decider(cast))
    for query in (
        full_width(food.number),
        full_width(food.number[:8]),
        full_width(cast.shop.credit_code),
    ):
        page = browser.get(reverse("licences:issued"), {"q": query}).content.decode()
        assert food.number in page, query
        listed = browser.get(f"{API}/issued", {"q": query}).json()
        assert [row["number"] for row in listed] == [food.number], query
    detail = browser.get(reverse("licences:issued_detail", args=[full_width(food.number)]))
    assert detail.status_code == 200
    public = Client().get(reverse("licences:verify", args=[full_width(food.number)]))
    assert public.status_code == 200


def test_the_list_refuses_an_offset_past_any_table_without_failing(cast: LicenceCast) -> None:
    issue_food_licence(cast)
    browser = logged_in(decider(cast))
    answer = browser.get(f"{API}/issued", {"offset": 10**20})
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_input"
    assert browser.get(f"{API}/issued", {"offset": 2**31 - 1}).json() == []


def test_a_reason_of_invisible_characters_only_is_no_reason(cast: LicenceCast) -> None:
    food = issue_food_licence(cast)
    browser = logged_in(decider(cast))
    answer = browser.post(
        f"{API}/issued/{food.number}/revoke",
        {"reason": "\u200b\ufeff\u3000"},
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "reason_required")
    page = browser.post(reverse("licences:issued_detail", args=[food.number]), {"reason": "\u200b"})
    assert page.status_code == 400
    assert "注销证照须说明原因。" in page.content.decode()
    food.refresh_from_db()
    assert food.revoked_at is None


def test_a_name_with_latin_letters_is_found_in_any_case(cast: LicenceCast) -> None:
    # On SQLite and PostgreSQL alike: an officer types "abc" for "ABC咖啡".
    cafe = make_enterprise("长沙市芙蓉区ABC咖啡店", legal_representative=cast.owner)
    food_type = get_licence_type("food_business_licence")
    assert food_type is not None
    licence = do_issue_licence(food_type, Holder.of(cafe), FOOD_DATA, cast.market, actor=TEST_ACTOR)
    browser = logged_in(decider(cast))
    for query in ("abc咖啡", "Abc"):
        listed = browser.get(f"{API}/issued", {"q": query}).json()
        assert [row["number"] for row in listed] == [licence.number], query


def test_the_api_counts_the_query_after_trimming_its_spaces_as_the_page_does(
    cast: LicenceCast,
) -> None:
    food = issue_food_licence(cast)
    browser = logged_in(decider(cast))
    # A holder name of 64 characters cannot be issued here; a 64-character
    # query that finds nothing shows that it is searched, not refused.
    longest = food.number + "长" * (64 - len(food.number))
    for query in (f"  {longest}  ", f"\u3000{longest}\t"):
        page = browser.get(reverse("licences:issued"), {"q": query}).content.decode()
        assert "查询内容不能超过 64 个字" not in page
        answer = browser.get(f"{API}/issued", {"q": query})
        assert answer.status_code == 200, answer.content.decode()
        assert answer.json() == []
    padded = browser.get(f"{API}/issued", {"q": f"  {food.number}  "})
    assert [row["number"] for row in padded.json()] == [food.number]
    too_long = browser.get(f"{API}/issued", {"q": f" {longest}长 "})
    assert too_long.status_code == 422 and too_long.json()["code"] == "invalid_input"
