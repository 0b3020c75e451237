"""Rules that hold a resource and its items together, the negative list's facts, and links
between entries: on the form, the API and the workbook alike."""

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish, resource_input
from zhengtong.catalog.tests.test_editing import FORM, logged_in
from zhengtong.catalog.tests.test_xlsx import GOOD, upload, workbook
from zhengtong.catalog.xlsx import ITEM_SHEET, RESOURCE_SHEET
from zhengtong.core.testing import TEST_ACTOR

BASIS = "《婚姻登记条例》第二十条"
REVIEW = date(2099, 6, 30)
# A resource refused to every department, complete for the negative list.
NOT_SHARED: dict[str, Any] = {
    **FORM,
    "department_code": "cs-market",
    "share_attribute": "none",
    "share_method": "",
    "open_attribute": "none",
    "legal_basis": BASIS,
    "negative_scope": "不向任何部门批量提供",
    "review_date": REVIEW.isoformat(),
}


def form_data(**changes: str) -> dict[str, str]:
    data = {k: v for k, v in NOT_SHARED.items() if k != "department_code"}
    return {**data, "department": "cs-market", "items": "a|甲|C", **changes}


# 1. An item cannot be shared in a resource that is not.


@pytest.mark.parametrize("share", ["unconditional", "conditional"])
def test_the_api_refuses_a_shared_item_in_a_resource_not_shared(
    cast: CatalogCast, share: str
) -> None:
    item = {"code": "a", "name": "甲", "data_type": "C", "share_attribute": share}
    item["legal_basis"] = "《中华人民共和国个人信息保护法》第十三条"
    answer = logged_in(cast.officer).post(
        "/api/catalog/resources", {**NOT_SHARED, "items": [item]}, "application/json"
    )
    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert body["code"] == "invalid_input"
    assert body["detail"]["fields"] == {"items.a": "不予共享的资源中，信息项只能不予共享或同资源。"}
    assert not Resource.objects.exists()


def test_the_form_refuses_a_shared_item_in_a_resource_not_shared_at_its_line(
    cast: CatalogCast,
) -> None:
    client = logged_in(cast.officer)
    answer = client.post("/catalog/new/", form_data(items="a|甲|C\nb|乙|C||否|内部|无条件共享"))
    assert answer.status_code == 200
    assert answer.context["form"].errors["items"] == [
        "第2行“共享属性”：不予共享的资源中，信息项只能不予共享或同资源。"
    ]
    assert not Resource.objects.exists()
    # Blank (as the resource) and 不予共享 items are fine.
    saved = client.post(
        "/catalog/new/",
        form_data(items=f"a|甲|C\nb|乙|C||否|内部|不予共享|{BASIS}|全部|2099-06-30"),
    )
    assert saved.status_code == 302, saved.context["form"].errors


def test_the_workbook_reports_a_shared_item_of_a_resource_not_shared_at_its_row(
    cast: CatalogCast,
) -> None:
    row = [*GOOD[:5], "不予共享", "", "", "不予开放", "", "每日", BASIS, "全部", "2099-06-30", ""]
    item = ["304000000/000002", "a", "甲", "C", 18, "否", "内部", "无条件共享", "", "", None]
    problems = upload(cast, workbook([row], [item]))
    assert not Resource.objects.exists()
    assert problems[(ITEM_SHEET, 2)] == "“共享属性”：不予共享的资源中，信息项只能不予共享或同资源。"
    assert "第2行" in problems[(RESOURCE_SHEET, 2)]


# 2. The negative list has a scope and a review date for each entry.


@pytest.mark.parametrize("missing", ["negative_scope", "review_date"])
def test_the_api_refuses_a_resource_not_shared_without_scope_or_review_date(
    cast: CatalogCast, missing: str
) -> None:
    payload = {**NOT_SHARED, missing: None if missing == "review_date" else "", "items": []}
    payload["items"] = [{"code": "a", "name": "甲", "data_type": "C"}]
    answer = logged_in(cast.officer).post("/api/catalog/resources", payload, "application/json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_input"
    assert set(answer.json()["detail"]["fields"]) == {missing}


def test_the_form_names_a_missing_scope_and_review_date_beside_their_fields(
    cast: CatalogCast,
) -> None:
    answer = logged_in(cast.officer).post(
        "/catalog/new/", form_data(negative_scope="", review_date="")
    )
    errors = answer.context["form"].errors
    assert errors["negative_scope"] == ["不予共享须写明不予共享范围。"]
    assert errors["review_date"] == ["不予共享须填写复核日期。"]


def test_an_item_not_shared_needs_its_scope_and_review_date(cast: CatalogCast) -> None:
    client = logged_in(cast.officer)
    answer = client.post(
        "/catalog/new/",
        form_data(
            share_attribute="unconditional",
            share_method="api",
            open_attribute="unconditional",
            items=f"a|甲|C||否|内部|不予共享|{BASIS}",
        ),
    )
    assert answer.context["form"].errors["items"] == [
        "第1行“不予共享范围”：不予共享须写明不予共享范围。",
        "第1行“复核日期”：不予共享须填写复核日期。",
    ]
    item = ["304000000/000002", "a", "甲", "C", 18, "否", "内部", "不予共享", BASIS, "", None]
    problems = upload(cast, workbook([GOOD], [item]))
    assert "“不予共享范围”" in problems[(ITEM_SHEET, 2)]
    assert "“复核日期”" in problems[(ITEM_SHEET, 2)]
    assert not Resource.objects.exists()


def test_a_draft_stored_without_its_review_date_is_not_submitted(cast: CatalogCast) -> None:
    draft = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    # As a draft stored before the review date was required.
    InformationItem.objects.filter(resource=draft, code="legal_rep_id").update(review_date=None)
    client = logged_in(cast.officer)
    answer = client.post(f"/api/catalog/resources/{draft.slug}/submit")
    assert answer.status_code == 400
    assert answer.json()["detail"]["fields"] == {"items.legal_rep_id": "不予共享须填写复核日期。"}
    draft.refresh_from_db()
    assert draft.state == "draft"
    page = client.post(f"/catalog/resource/{draft.slug}/submit/", follow=True)
    assert "不予共享须填写复核日期。" in page.content.decode()


# 3. A link belongs to the entry that names it.


def test_naming_a_related_entry_leaves_that_entry_unchanged(cast: CatalogCast) -> None:
    theirs = publish(
        actions.do_create_resource(
            cast.county, resource_input("304000000/000041", name="芙蓉区食品许可"), actor=TEST_ACTOR
        )
    )
    officer = logged_in(cast.officer)
    payload = {
        **FORM,
        "department_code": "cs-market",
        "items": [{"code": "a", "name": "甲", "data_type": "C"}],
        "related": [theirs.code],
    }
    made = officer.post("/api/catalog/resources", payload, "application/json")
    assert made.status_code == 201 and made.json()["related"] == [theirs.code]
    assert made.json()["referenced_by"] == []
    answer = officer.get(f"/api/catalog/resources/{theirs.slug}").json()
    assert answer["related"] == []
    assert answer["referenced_by"] == [FORM["code"]]
    assert not theirs.related.exists()
    # The public is not told of the draft that names it; once published, it is.
    public = Client()
    assert public.get(f"/api/catalog/resources/{theirs.slug}").json()["referenced_by"] == []
    page = public.get(f"/catalog/resource/{theirs.slug}/").content.decode()
    assert "企业注销信息" not in page
    publish(Resource.objects.get(code=FORM["code"]))
    page = public.get(f"/catalog/resource/{theirs.slug}/").content.decode()
    assert "被以下资源关联" in page and "企业注销信息" in page


# 4. The workbook reads the separators Chinese spreadsheets hold.


@pytest.mark.parametrize("separator", ["，", "、", "；", " ", "\n"])
def test_the_workbook_reads_related_codes_separated_as_people_type_them(
    cast: CatalogCast, separator: str
) -> None:
    first = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    second = publish(
        actions.do_create_resource(
            cast.market, resource_input("104000000/000001"), actor=TEST_ACTOR
        )
    )
    row = [*GOOD, f"{first.code}{separator}{second.code}"]
    item = ["304000000/000002", "a", "甲", "C", 18, "否", "内部", "", "", "", None]
    assert upload(cast, workbook([row], [item])) == {}
    made = Resource.objects.get(code="304000000/000002")
    assert sorted(made.related.values_list("code", flat=True)) == sorted([first.code, second.code])


# 5. An invalid filter on the browse page does not lose the query.


@pytest.mark.parametrize(
    "bad", [{"category": "9"}, {"provider": "no-such"}, {"share_attribute": "everything"}]
)
def test_an_invalid_filter_is_named_and_the_query_still_applies(
    cast: CatalogCast, bad: dict[str, str]
) -> None:
    publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    publish(
        actions.do_create_resource(
            cast.market,
            resource_input(
                "305000000/000001",
                name="排污许可信息",
                abstract="排污。",
                keywords="排污",
                items=[actions.ItemInput("permit", "许可证编号", "C", 30)],
            ),
            actor=TEST_ACTOR,
        )
    )
    answer = Client().get("/catalog/", {"q": "营业执照", **bad})
    page = answer.content.decode()
    assert "企业登记信息" in page and "排污许可信息" not in page
    value = next(iter(bad.values()))
    assert f"“{value}”不是可选的值，已忽略此条件。" in page
    assert answer.context["query"] == "营业执照"


# 6. The detail page shows a retired related entry as such.


def _entry_relating_to_a_retired_one(cast: CatalogCast, *others: str) -> Resource:
    """An entry naming as related 旧信用信息 (retired) and the published entries ``others``."""
    old = publish(
        actions.do_create_resource(
            cast.market, resource_input("104000000/000001", name="旧信用信息"), actor=TEST_ACTOR
        )
    )
    actions.do_retire_resource(old, "已被取代", actor=TEST_ACTOR)
    codes = [old.code]
    for n, name in enumerate(others, start=2):
        made = actions.do_create_resource(
            cast.market, resource_input(f"104000000/00000{n}", name=name), actor=TEST_ACTOR
        )
        codes.append(publish(made).code)
    return publish(
        actions.do_create_resource(
            cast.market, replace(ENTERPRISE, related=codes), actor=TEST_ACTOR
        )
    )


def test_the_detail_page_shows_a_retired_related_entry_marked_as_retired(
    cast: CatalogCast,
) -> None:
    entry = _entry_relating_to_a_retired_one(cast)
    page = Client().get(f"/catalog/resource/{entry.slug}/").content.decode()
    assert "旧信用信息" in page
    assert "旧信用信息</a>（已下架）" in page


def test_the_english_detail_page_writes_related_entries_with_english_punctuation(
    cast: CatalogCast,
) -> None:
    entry = _entry_relating_to_a_retired_one(cast, "新信用信息")
    page = (
        Client(headers={"accept-language": "en"})
        .get(f"/catalog/resource/{entry.slug}/")
        .content.decode()
    )
    assert "旧信用信息</a> (Retired)" in page
    assert "（" not in page.split("旧信用信息</a>")[1][:40]
    assert "、" not in page
