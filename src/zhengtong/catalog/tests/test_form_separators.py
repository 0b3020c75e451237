"""The edit form shows extension fields as 名称=值 lines and items as lines of
columns separated by "|": a name holding "=", an item text holding "|", or a
line separator in either would come back changed or not at all. The API and
the workbook refuse them as the form cannot take them."""

from typing import Any

import pytest

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish
from zhengtong.catalog.tests.test_editing import logged_in
from zhengtong.catalog.tests.test_untrusted_input import ITEM, PAYLOAD
from zhengtong.catalog.tests.test_xlsx import GOOD, upload, workbook
from zhengtong.catalog.xlsx import ITEM_SHEET, RESOURCE_SHEET
from zhengtong.core.testing import TEST_ACTOR


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"extension": {"联系人=电话": "0731"}}, "extension", "“=”"),
        ({"extension": {"联系\u2028人": "吴十"}}, "extension", "U+2028"),
        ({"items": [{**ITEM, "name": "甲|乙"}]}, "items.a", "“|”"),
        ({"items": [{**ITEM, "name": "甲\u2029乙"}]}, "items.a", "U+2029"),
        (
            {
                "items": [
                    {
                        **ITEM,
                        "share_attribute": "conditional",
                        "legal_basis": "《某某法》第十条|第十一条",
                    }
                ]
            },
            "items.a",
            "“|”",
        ),
    ],
)
def test_the_api_refuses_what_the_form_could_not_give_back(
    cast: CatalogCast, changes: dict[str, Any], field: str, words: str
) -> None:
    client = logged_in(cast.officer)
    answer = client.post("/api/catalog/resources", {**PAYLOAD, **changes}, "application/json")
    assert answer.status_code == 400, answer.json()
    assert words in answer.json()["detail"]["fields"][field]
    assert not Resource.objects.exists()


def _saved_back_through_the_form(cast: CatalogCast, extension: dict[str, Any]) -> Any:
    """Create a draft with ``extension`` through the API, save its edit form as shown, and
    return the extension fields stored then."""
    client = logged_in(cast.officer)
    answer = client.post(
        "/api/catalog/resources", {**PAYLOAD, "extension": extension}, "application/json"
    )
    assert answer.status_code == 201, answer.json()
    resource = Resource.objects.get()
    path = f"/catalog/resource/{resource.slug}/edit/"
    shown = client.get(path).context["form"]["extension"].value()
    saved = client.post(
        path, {**PAYLOAD, "department": "cs-market", "extension": shown, "items": "a|甲|C"}
    )
    assert saved.status_code == 302, saved.context["form"].errors
    resource.refresh_from_db()
    return resource.extension


def test_an_equals_sign_in_a_nested_name_or_in_a_value_is_kept(cast: CatalogCast) -> None:
    # Only a field's own name is read up to the first "=" by the form.
    extension = {"公式": "a=b", "明细": {"x=y": 1}}
    assert _saved_back_through_the_form(cast, extension) == extension


def test_the_workbook_reports_such_names_at_their_rows(cast: CatalogCast) -> None:
    row = [*GOOD[:14], '{"联系人=电话": "0731"}']
    item = ["304000000/000002", "a", "甲|乙", "C"]
    problems = upload(cast, workbook([row], [item]))
    assert "“扩展字段”" in problems[(RESOURCE_SHEET, 2)]
    assert "“=”" in problems[(RESOURCE_SHEET, 2)]
    assert "“信息项名称”" in problems[(ITEM_SHEET, 2)] and "“|”" in problems[(ITEM_SHEET, 2)]
    assert not Resource.objects.exists()


def test_a_review_of_an_item_line_refuses_a_bar_the_items_box_could_not_show(
    cast: CatalogCast,
) -> None:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    client = logged_in(cast.bureau)
    answer = client.post(
        f"/api/catalog/resources/{resource.slug}/negative-review",
        {
            "item_code": "legal_rep_id",
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "scope": "仅登记机关|公安机关",
            "review_date": "2099-06-30",
        },
        "application/json",
    )
    assert answer.status_code == 400, answer.json()
    assert "“|”" in answer.json()["detail"]["fields"]["scope"]
    assert resource.items.get(code="legal_rep_id").negative_scope == "仅登记机关"


def test_a_review_of_an_item_line_refuses_a_line_separator_the_items_box_would_break_at(
    cast: CatalogCast,
) -> None:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    answer = logged_in(cast.bureau).post(
        f"/api/catalog/resources/{resource.slug}/negative-review",
        {
            "item_code": "legal_rep_id",
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "scope": "仅登记机关\u2028公安机关",
            "review_date": "2099-06-30",
        },
        "application/json",
    )
    assert answer.status_code == 400, answer.json()
    assert "U+2028" in answer.json()["detail"]["fields"]["scope"]
    assert resource.items.get(code="legal_rep_id").negative_scope == "仅登记机关"


def test_a_value_holding_a_line_separator_stays_on_its_line_of_the_form(
    cast: CatalogCast,
) -> None:
    extension = {"说明": "第一段\u2028第二段", "明细": {"甲\u2029乙": "丙"}}
    assert _saved_back_through_the_form(cast, extension) == extension
