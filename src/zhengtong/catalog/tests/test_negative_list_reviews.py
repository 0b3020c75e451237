"""The data bureau reviews the negative list's lines as they fall due: the legal
basis, scope and next review date are confirmed or completed on the published
entry, with a history row and a ledger entry; what is shared does not change."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions
from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish, resource_input
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.ledger.models import LedgerEntry

BASIS = "《婚姻登记条例》第二十条"


@pytest.fixture
def enterprise(cast: CatalogCast) -> Resource:
    return publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))


@pytest.fixture
def marriage(cast: CatalogCast) -> Resource:
    resource = publish(
        actions.do_create_resource(
            cast.market,
            resource_input(
                "304000000/000002",
                name="婚姻登记信息",
                share_attribute="none",
                share_method="",
                legal_basis=BASIS,
            ),
            actor=TEST_ACTOR,
        )
    )
    # Published before a scope and a review date were required.
    Resource.objects.filter(pk=resource.pk).update(negative_scope="", review_date=None)
    return resource


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _lines() -> dict[tuple[str, str], dict[str, object]]:
    body = Client().get("/api/catalog/negative-list").json()
    return {(e["resource_code"], e["item_code"]): e for e in body}


def test_the_data_bureau_completes_a_line_and_the_list_no_longer_marks_it(
    marriage: Resource, cast: CatalogCast
) -> None:
    next_review = timezone.localdate() + timedelta(days=365)
    before = LedgerEntry.objects.count()
    answer = _client(cast.bureau).post(
        f"/api/catalog/resources/{marriage.slug}/negative-review",
        {
            "legal_basis": BASIS,
            "scope": "不向任何部门批量提供",
            "review_date": next_review.isoformat(),
            "note": "仍需不予共享",
        },
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["missing"] == [] and body["review_due"] is False
    assert body["review_date"] == next_review.isoformat()

    line = _lines()[(marriage.code, "")]
    assert line["scope"] == "不向任何部门批量提供" and line["missing"] == []
    assert LedgerEntry.objects.count() == before + 1
    entry = LedgerEntry.objects.order_by("-pk").first()
    assert entry is not None and entry.action == "catalog.review_negative_line"
    # The share attribute is unchanged: the resource stays refused.
    assert Resource.objects.get(pk=marriage.pk).share_attribute == "none"

    # The history shows on the entry's page to the data bureau.
    page = _client(cast.bureau).get(f"/catalog/resource/{marriage.slug}/").content.decode()
    assert "负面清单复核记录" in page and "仍需不予共享" in page


def test_an_item_line_due_for_review_is_reviewed_from_the_workbench_page(
    enterprise: Resource, cast: CatalogCast
) -> None:
    InformationItem.objects.filter(resource=enterprise, code="legal_rep_id").update(
        review_date=timezone.localdate()
    )
    bureau = _client(cast.bureau)
    workbench = bureau.get("/catalog/mine/").content.decode()
    link = f"/catalog/negative-list/{enterprise.slug}/review/?item=legal_rep_id"
    assert link in workbench
    form = bureau.get(link)
    assert form.status_code == 200
    assert "《中华人民共和国个人信息保护法》第二十八条" in form.content.decode()

    # A date that has already come is refused beside its field; nothing changes.
    today = timezone.localdate()
    refused = bureau.post(
        link,
        {
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "scope": "仅登记机关",
            "review_date": today.isoformat(),
        },
    )
    assert refused.status_code == 200
    assert "下次复核日期须晚于今天。" in refused.content.decode()
    assert _lines()[(enterprise.code, "legal_rep_id")]["review_due"] is True

    done = bureau.post(
        link,
        {
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "scope": "仅登记机关",
            "review_date": (today + timedelta(days=730)).isoformat(),
        },
    )
    assert done.status_code == 302
    assert _lines()[(enterprise.code, "legal_rep_id")]["review_due"] is False
    assert "负面清单待处理" not in bureau.get("/catalog/mine/").content.decode()


def test_the_provider_sees_the_line_but_may_not_review_it(
    marriage: Resource, cast: CatalogCast
) -> None:
    officer = _client(cast.officer)
    assert "婚姻登记信息" in officer.get("/catalog/mine/").content.decode()
    assert (
        f"/negative-list/{marriage.slug}/review/"
        not in officer.get("/catalog/mine/").content.decode()
    )
    assert officer.get(f"/catalog/negative-list/{marriage.slug}/review/").status_code == 403
    answer = officer.post(
        f"/api/catalog/resources/{marriage.slug}/negative-review",
        {"legal_basis": BASIS, "scope": "全部", "review_date": "2030-01-01"},
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert _lines()[(marriage.code, "")]["missing"] == ["scope", "review_date"]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"legal_basis": "婚姻登记条例", "scope": "全部"}, {"legal_basis", "review_date"}),
        ({"legal_basis": BASIS, "scope": " ", "review_date": "2030-01-01"}, {"scope"}),
        (
            {"legal_basis": BASIS, "scope": "全部", "review_date": "2030-01-01", "note": "x" * 501},
            {"note"},
        ),
        ({"legal_basis": BASIS, "scope": "全\x07部", "review_date": "2030-01-01"}, {"scope"}),
    ],
)
def test_an_incomplete_review_is_refused_with_each_field_named(
    marriage: Resource, cast: CatalogCast, payload: dict[str, str], fields: set[str]
) -> None:
    before = LedgerEntry.objects.count()
    answer = _client(cast.bureau).post(
        f"/api/catalog/resources/{marriage.slug}/negative-review",
        payload,
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_input"
    assert set(answer.json()["detail"]["fields"]) == fields
    assert LedgerEntry.objects.count() == before


def test_only_lines_of_the_published_negative_list_are_reviewed(
    enterprise: Resource, cast: CatalogCast
) -> None:
    bureau = _client(cast.bureau)
    good = {"legal_basis": BASIS, "scope": "全部", "review_date": "2030-01-01"}

    def review(slug: str, item: str) -> tuple[int, str]:
        answer = bureau.post(
            f"/api/catalog/resources/{slug}/negative-review",
            {**good, "item_code": item},
            content_type="application/json",
        )
        return answer.status_code, answer.json()["code"]

    # A shared resource as a whole, and a shared item of it, are on no list.
    assert review(enterprise.slug, "") == (409, "not_on_negative_list")
    assert review(enterprise.slug, "licence") == (409, "not_on_negative_list")
    assert review(enterprise.slug, "no_such_item") == (404, "unknown_item")
    assert bureau.get(f"/catalog/negative-list/{enterprise.slug}/review/").status_code == 404

    # A draft's refusal is settled by its own review, not here.
    draft = actions.do_create_resource(
        cast.market,
        resource_input(
            "304000000/000003",
            name="收养登记信息",
            share_attribute="none",
            share_method="",
            legal_basis=BASIS,
        ),
        actor=TEST_ACTOR,
    )
    assert review(draft.slug, "") == (409, "not_published")
