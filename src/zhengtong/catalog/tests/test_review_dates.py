"""A review date (复核日期) of the negative list is never set to a day already gone: on the
entry form, the API, the workbook import, a change of a published entry and the data
bureau's periodic review. A date stored before it passed stays, and the entry stays editable.
"""

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhengtong.catalog import actions
from zhengtong.catalog.actions import input_as_json
from zhengtong.catalog.models import InformationItem, Resource, ResourceRevision
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish
from zhengtong.catalog.tests.test_editing import logged_in
from zhengtong.catalog.tests.test_sharing_rules_and_links import BASIS, NOT_SHARED, form_data
from zhengtong.catalog.tests.test_xlsx import GOOD, upload, workbook
from zhengtong.catalog.xlsx import ITEM_SHEET, RESOURCE_SHEET
from zhengtong.core.errors import ZhengtongError
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.ledger.models import LedgerEntry

PAST = "复核日期不能早于今天。"
CODE = "review_date_in_past"


def _today() -> date:
    return timezone.localdate()


def _yesterday() -> date:
    return _today() - timedelta(days=1)


def _not_shared(**changes: Any) -> dict[str, Any]:
    return {**NOT_SHARED, "items": [{"code": "a", "name": "甲", "data_type": "C"}], **changes}


def _negative_item(review_date: date) -> dict[str, Any]:
    return {
        "code": "b",
        "name": "乙",
        "data_type": "C",
        "share_attribute": "none",
        "legal_basis": BASIS,
        "negative_scope": "全部",
        "review_date": review_date.isoformat(),
    }


# --- The API ------------------------------------------------------------------------------


def test_the_api_refuses_a_review_date_before_today_with_its_code(cast: CatalogCast) -> None:
    client = logged_in(cast.officer)
    refused = client.post(
        "/api/catalog/resources",
        _not_shared(review_date=_yesterday().isoformat()),
        "application/json",
    )
    assert refused.status_code == 400, refused.json()
    assert refused.json()["code"] == CODE
    assert refused.json()["detail"]["fields"] == {"review_date": PAST}
    assert not Resource.objects.exists()
    # Today is not yet past.
    made = client.post(
        "/api/catalog/resources", _not_shared(review_date=_today().isoformat()), "application/json"
    )
    assert made.status_code == 201, made.json()


def test_the_api_refuses_an_items_review_date_before_today(cast: CatalogCast) -> None:
    items = [{"code": "a", "name": "甲", "data_type": "C"}, _negative_item(_yesterday())]
    refused = logged_in(cast.officer).post(
        "/api/catalog/resources", _not_shared(items=items), "application/json"
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == CODE
    assert refused.json()["detail"]["fields"] == {"items.b": "信息项“b”的复核日期不能早于今天。"}


def test_a_past_date_among_other_problems_is_named_with_them(cast: CatalogCast) -> None:
    refused = logged_in(cast.officer).post(
        "/api/catalog/resources",
        _not_shared(review_date=_yesterday().isoformat(), negative_scope=""),
        "application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_input"
    assert refused.json()["detail"]["fields"] == {
        "negative_scope": "不予共享须写明不予共享范围。",
        "review_date": PAST,
    }


def test_a_draft_whose_date_has_passed_stays_editable_but_not_with_another_past_date(
    cast: CatalogCast,
) -> None:
    client = logged_in(cast.officer)
    made = client.post("/api/catalog/resources", _not_shared(), "application/json")
    assert made.status_code == 201
    slug = NOT_SHARED["code"].replace("/", "-")
    # Stored while the date was still to come; it has passed since.
    stored = _today() - timedelta(days=10)
    Resource.objects.filter(code=NOT_SHARED["code"]).update(review_date=stored)
    url = f"/api/catalog/resources/{slug}"
    assert client.get(url).status_code == 200
    kept = client.put(
        url,
        _not_shared(review_date=stored.isoformat(), name="婚姻登记信息（修订）"),
        "application/json",
    )
    assert kept.status_code == 200, kept.json()
    assert Resource.objects.get().name == "婚姻登记信息（修订）"
    changed = client.put(url, _not_shared(review_date=_yesterday().isoformat()), "application/json")
    assert changed.status_code == 400 and changed.json()["code"] == CODE
    assert Resource.objects.get().review_date == stored


def _draft_with_an_item_past_review(client: Client) -> str:
    """A draft saved on a day that has gone by since: its negative item's date has passed."""
    items = [{"code": "a", "name": "甲", "data_type": "C"}, _negative_item(_today())]
    made = client.post(
        "/api/catalog/resources",
        _not_shared(review_date=_today().isoformat(), items=items),
        "application/json",
    )
    assert made.status_code == 201, made.json()
    InformationItem.objects.filter(code="b").update(review_date=_yesterday())
    return str(NOT_SHARED["code"]).replace("/", "-")


def test_a_draft_whose_date_passed_before_submission_is_not_submitted(cast: CatalogCast) -> None:
    client = logged_in(cast.officer)
    slug = _draft_with_an_item_past_review(client)
    refused = client.post(f"/api/catalog/resources/{slug}/submit")
    assert refused.status_code == 400, refused.json()
    assert refused.json()["code"] == CODE
    assert set(refused.json()["detail"]["fields"]) == {"items.b"}
    assert Resource.objects.get().state == "draft"
    # Set to a day still to come, it goes to review.
    InformationItem.objects.filter(code="b").update(review_date=_today())
    assert client.post(f"/api/catalog/resources/{slug}/submit").status_code == 200
    assert Resource.objects.get().state == "submitted"


# --- The form -------------------------------------------------------------------------------


def test_the_form_says_beside_the_field_that_the_date_has_passed(cast: CatalogCast) -> None:
    answer = logged_in(cast.officer).post(
        "/catalog/new/", form_data(review_date=_yesterday().isoformat())
    )
    assert answer.status_code == 200
    assert answer.context["form"].errors["review_date"] == [PAST]
    assert not Resource.objects.exists()


def test_the_form_names_the_item_whose_date_has_passed(cast: CatalogCast) -> None:
    line = f"b|乙|C||否|内部|不予共享|{BASIS}|全部|{_yesterday().isoformat()}"
    answer = logged_in(cast.officer).post("/catalog/new/", form_data(items=f"a|甲|C\n{line}"))
    assert answer.status_code == 200
    assert "信息项“b”的复核日期不能早于今天。" in answer.content.decode()
    assert not Resource.objects.exists()


def test_an_entry_stored_with_a_passed_date_loads_and_saves_on_the_form(
    cast: CatalogCast,
) -> None:
    client = logged_in(cast.officer)
    assert client.post("/catalog/new/", form_data()).status_code == 302
    stored = _today() - timedelta(days=10)
    Resource.objects.update(review_date=stored)
    edit = f"/catalog/resource/{NOT_SHARED['code'].replace('/', '-')}/edit/"
    page = client.get(edit)
    assert page.status_code == 200
    assert page.context["form"]["review_date"].value() == stored
    saved = client.post(edit, form_data(review_date=stored.isoformat(), name="婚姻登记信息（改）"))
    assert saved.status_code == 302, saved.context["form"].errors
    assert Resource.objects.get().name == "婚姻登记信息（改）"
    moved = client.post(edit, form_data(review_date=_yesterday().isoformat()))
    assert moved.status_code == 200
    assert moved.context["form"].errors["review_date"] == [PAST]


# --- The workbook ---------------------------------------------------------------------------


def test_the_workbook_reports_a_past_review_date_at_its_row(cast: CatalogCast) -> None:
    past = _yesterday()
    refused = [*GOOD[:5], "不予共享", "", "", "不予开放", "", "每日", BASIS, "全部", past, ""]
    kept = [*GOOD[:5], "不予共享", "", "", "不予开放", "", "每日", BASIS, "全部", _today(), ""]
    kept[0] = "304000000/000003"
    plain = ["304000000/000002", "a", "甲", "C", 18, "否", "内部", "", "", "", None]
    item = ["304000000/000003", "b", "乙", "C", 18, "否", "内部", "不予共享", BASIS, "全部", past]
    problems = upload(cast, workbook([refused, kept], [plain, item]))
    assert problems[(RESOURCE_SHEET, 2)] == f"“复核日期”：{PAST}"
    assert problems[(ITEM_SHEET, 3)] == f"“复核日期”：{PAST}"
    assert not Resource.objects.exists()

    item[10] = _today()
    assert upload(cast, workbook([kept], [item])) == {}
    assert Resource.objects.get().review_date == _today()


# --- A change of a published entry (目录变更) -------------------------------------------------


@pytest.fixture
def enterprise(cast: CatalogCast) -> Resource:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    # The item's review date has passed since the entry was published.
    InformationItem.objects.filter(resource=resource, code="legal_rep_id").update(
        review_date=_today() - timedelta(days=10)
    )
    return resource


def _change(resource: Resource, department: str, review_date: date) -> dict[str, Any]:
    items = [
        replace(item, review_date=review_date) if item.code == "legal_rep_id" else item
        for item in ENTERPRISE.items
    ]
    return {**input_as_json(replace(ENTERPRISE, items=items)), "department_code": department}


def test_a_change_keeps_a_passed_date_but_may_not_set_another(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer = logged_in(cast.officer)
    url = f"/api/catalog/resources/{enterprise.slug}/revision"
    assert officer.post(url).status_code == 201
    stored = _today() - timedelta(days=10)
    kept = officer.put(url, _change(enterprise, cast.market.code, stored), "application/json")
    assert kept.status_code == 200, kept.json()
    refused = officer.put(
        url, _change(enterprise, cast.market.code, _yesterday()), "application/json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == CODE
    assert refused.json()["detail"]["fields"] == {
        "items.legal_rep_id": "信息项“legal_rep_id”的复核日期不能早于今天。"
    }


def test_a_change_whose_new_date_passed_before_submission_is_not_submitted(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer = logged_in(cast.officer)
    url = f"/api/catalog/resources/{enterprise.slug}/revision"
    assert officer.post(url).status_code == 201
    assert (
        officer.put(
            url, _change(enterprise, cast.market.code, _today()), "application/json"
        ).status_code
        == 200
    )
    # Saved on a day that has gone by since.
    revision = ResourceRevision.objects.get()
    content = dict(revision.content)
    content["items"] = [
        {**item, "review_date": _yesterday().isoformat()}
        if item["code"] == "legal_rep_id"
        else item
        for item in content["items"]
    ]
    ResourceRevision.objects.filter(pk=revision.pk).update(content=content)
    refused = officer.post(f"{url}/submit")
    assert refused.status_code == 400 and refused.json()["code"] == CODE
    assert ResourceRevision.objects.get().state == "draft"


# --- The periodic review (下次复核日期) -------------------------------------------------------


def test_the_periodic_review_refuses_a_past_date_with_the_code(
    enterprise: Resource, cast: CatalogCast
) -> None:
    before = LedgerEntry.objects.count()
    refused = logged_in(cast.bureau).post(
        f"/api/catalog/resources/{enterprise.slug}/negative-review",
        {
            "item_code": "legal_rep_id",
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "scope": "仅登记机关",
            "review_date": _yesterday().isoformat(),
        },
        "application/json",
    )
    assert refused.status_code == 400, refused.json()
    assert refused.json()["code"] == CODE
    assert refused.json()["detail"]["fields"] == {"review_date": "下次复核日期须晚于今天。"}
    assert LedgerEntry.objects.count() == before


def test_the_public_negative_list_marks_a_line_whose_date_has_passed(
    enterprise: Resource,
) -> None:
    page = Client().get("/catalog/negative-list/").content.decode()
    assert "复核已到期" in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pages_refusal_reads_as_sentences_in_the_readers_language(
    cast: CatalogCast, language: str
) -> None:
    client = logged_in(cast.officer)
    slug = _draft_with_an_item_past_review(client)
    resource = Resource.objects.get()
    with translation.override(language), pytest.raises(ZhengtongError) as refused:
        actions.do_submit_resource(resource, actor=TEST_ACTOR)
    with translation.override(language):
        reason = refused.value.detail["fields"]["items.b"]
        expected = [
            str(refused.value.message),
            _("信息项“%(code)s”：%(reason)s") % {"code": "b", "reason": reason},
        ]

    answer = client.post(f"/catalog/resource/{slug}/submit/", HTTP_ACCEPT_LANGUAGE=language)

    [message] = [str(m) for m in get_messages(answer.wsgi_request)]
    between = "" if language == "zh-hans" else " "
    assert message == between.join(expected)
    assert Resource.objects.get().state == "draft"
