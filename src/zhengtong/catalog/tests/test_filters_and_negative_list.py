"""The search API refuses a filter it cannot apply; the negative list shows the lines
that lack a scope or a review date, and those due for review."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions
from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish, resource_input
from zhengtong.core.testing import TEST_ACTOR


@pytest.fixture
def published(cast: CatalogCast) -> Resource:
    return publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))


# --- search filters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("category", "zz"), ("category", "4"), ("provider", "no-such-dept"), ("share_attribute", "x")],
)
def test_the_search_api_refuses_a_filter_that_is_not_one_of_its_values(
    published: Resource, name: str, value: str
) -> None:
    answer = Client().get("/api/catalog/resources", {"q": "营业执照", name: value})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_filter"
    assert name in body["message"] and value in body["message"]
    assert list(body["detail"]["fields"]) == [name]


def test_the_search_api_names_every_filter_it_refuses(published: Resource) -> None:
    answer = Client().get("/api/catalog/resources", {"category": "9", "share_attribute": "maybe"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_filter"
    assert set(body["detail"]["fields"]) == {"category", "share_attribute"}
    assert body["detail"]["accepted"]["category"] == ["1", "2", "3"]
    assert body["detail"]["accepted"]["share_attribute"] == [
        "unconditional",
        "conditional",
        "none",
    ]


def test_the_search_api_applies_valid_filters_and_a_department_with_nothing_published(
    published: Resource, cast: CatalogCast
) -> None:
    client = Client()
    found = client.get(
        "/api/catalog/resources",
        {"category": "1", "provider": cast.market.code, "share_attribute": "unconditional"},
    )
    assert [h["code"] for h in found.json()] == [published.code]
    # A department of the city that has published nothing yet is a valid filter.
    empty = client.get("/api/catalog/resources", {"provider": cast.county.code})
    assert empty.status_code == 200 and empty.json() == []


# --- negative list --------------------------------------------------------------------


def _not_shared_resource(cast: CatalogCast) -> Resource:
    return publish(
        actions.do_create_resource(
            cast.market,
            resource_input(
                "304000000/000002",
                name="婚姻登记信息",
                share_attribute="none",
                share_method="",
                legal_basis="《婚姻登记条例》第二十条",
            ),
            actor=TEST_ACTOR,
        )
    )


def test_the_negative_list_marks_lines_stored_without_scope_or_review_date(
    published: Resource, cast: CatalogCast
) -> None:
    marriage = _not_shared_resource(cast)
    # Stored before scope and review date became required.
    Resource.objects.filter(pk=marriage.pk).update(negative_scope="", review_date=None)
    InformationItem.objects.filter(resource=published, code="legal_rep_id").update(review_date=None)

    client = Client()
    body = client.get("/api/catalog/negative-list").json()
    lines = {(e["resource_code"], e["item_code"]): e for e in body}
    whole = lines[(marriage.code, "")]
    assert whole["missing"] == ["scope", "review_date"]
    assert whole["review_due"] is False
    item = lines[(published.code, "legal_rep_id")]
    assert item["missing"] == ["review_date"]
    assert item["scope"] == "仅登记机关"

    page = client.get("/catalog/negative-list/").content.decode()
    assert page.count("待补全") == 3


def test_the_negative_list_marks_lines_whose_review_date_has_passed(
    published: Resource, cast: CatalogCast
) -> None:
    marriage = _not_shared_resource(cast)
    today = timezone.localdate()
    Resource.objects.filter(pk=marriage.pk).update(review_date=today - timedelta(days=1))
    InformationItem.objects.filter(resource=published, code="legal_rep_id").update(
        review_date=today + timedelta(days=30)
    )

    client = Client()
    body = client.get("/api/catalog/negative-list").json()
    due = {(e["resource_code"], e["item_code"]): e["review_due"] for e in body}
    assert due == {(marriage.code, ""): True, (published.code, "legal_rep_id"): False}
    assert all(e["missing"] == [] for e in body)

    page = client.get("/catalog/negative-list/").content.decode()
    assert page.count("复核已到期") == 1
    assert "待补全" not in page


def test_the_workbench_lists_the_negative_lines_that_need_attention(
    published: Resource, cast: CatalogCast
) -> None:
    marriage = _not_shared_resource(cast)
    Resource.objects.filter(pk=marriage.pk).update(negative_scope="")
    today = timezone.localdate()
    InformationItem.objects.filter(resource=published, code="legal_rep_id").update(
        review_date=today
    )

    reviewer = Client()
    reviewer.force_login(cast.bureau)
    page = reviewer.get("/catalog/mine/").content.decode()
    assert "负面清单待处理" in page
    assert "婚姻登记信息" in page and "法定代表人身份证件号码" in page
    assert "待补全" in page and "复核已到期" in page

    # The provider's officer sees the lines of the department's own entries.
    officer = Client()
    officer.force_login(cast.officer)
    assert "婚姻登记信息" in officer.get("/catalog/mine/").content.decode()
    # Another department's officer does not.
    county = Client()
    county.force_login(cast.county_officer)
    assert "负面清单待处理" not in county.get("/catalog/mine/").content.decode()


def test_the_workbench_shows_no_negative_section_when_every_line_is_complete(
    published: Resource, cast: CatalogCast
) -> None:
    InformationItem.objects.filter(resource=published, code="legal_rep_id").update(
        review_date=timezone.localdate() + timedelta(days=1)
    )
    reviewer = Client()
    reviewer.force_login(cast.bureau)
    assert "负面清单待处理" not in reviewer.get("/catalog/mine/").content.decode()
