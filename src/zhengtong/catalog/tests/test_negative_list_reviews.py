"""The data bureau reviews the negative list's lines as they fall due: the legal
basis, scope and next review date are confirmed or completed on the published
entry, with a history row and a ledger entry; what is shared does not change."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions
from zhengtong.catalog.models import InformationItem, NegativeListReview, Resource
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
    read = Client().get(f"/api/catalog/resources/{marriage.slug}").json()["version"]
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
    # The line's content changed, so the entry's version did.
    assert Client().get(f"/api/catalog/resources/{marriage.slug}").json()["version"] == read + 1

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


def _shown_last_review(page: str) -> str:
    found = re.search(r'name="last_review" value="(\d+)"', page)
    assert found is not None, "the review form carries the last review it was shown"
    return found.group(1)


def test_a_review_saved_meanwhile_is_not_written_over_and_the_form_keeps_what_was_typed(
    marriage: Resource, cast: CatalogCast
) -> None:
    link = f"/catalog/negative-list/{marriage.slug}/review/"
    first, second = _client(cast.bureau), _client(cast.bureau)
    shown_first = _shown_last_review(first.get(link).content.decode())
    shown_second = _shown_last_review(second.get(link).content.decode())
    next_review = (timezone.localdate() + timedelta(days=365)).isoformat()
    saved = first.post(
        link,
        {
            "legal_basis": BASIS,
            "scope": "不向任何部门批量提供",
            "review_date": next_review,
            "last_review": shown_first,
        },
    )
    assert saved.status_code == 302
    before = LedgerEntry.objects.count()

    refused = second.post(
        link,
        {
            "legal_basis": BASIS,
            "scope": "仅向民政部门提供",
            "review_date": next_review,
            "last_review": shown_second,
        },
    )
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "这一项在您打开之后已有人复核并保存，本次复核未生效。" in page
    assert "仅向民政部门提供" in page
    # Sent again as it stands, it is refused again: it was filled in on the old line.
    assert _shown_last_review(page) == shown_second
    assert _lines()[(marriage.code, "")]["scope"] == "不向任何部门批量提供"
    assert LedgerEntry.objects.count() == before
    assert NegativeListReview.objects.filter(resource=marriage).count() == 1


def test_a_review_form_sent_twice_records_one_review(
    enterprise: Resource, cast: CatalogCast
) -> None:
    bureau = _client(cast.bureau)
    link = f"/catalog/negative-list/{enterprise.slug}/review/?item=legal_rep_id"
    form = {
        "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
        "scope": "仅登记机关",
        "review_date": (timezone.localdate() + timedelta(days=730)).isoformat(),
        "note": "仍需不予共享",
        "last_review": _shown_last_review(bureau.get(link).content.decode()),
    }
    before = LedgerEntry.objects.count()
    assert bureau.post(link, form).status_code == 302
    again = bureau.post(link, form, follow=True)
    assert again.redirect_chain[0][1] == 302
    assert "负面清单复核已记录。" in again.content.decode()
    assert NegativeListReview.objects.filter(resource=enterprise).count() == 1
    assert LedgerEntry.objects.count() == before + 1


def test_the_api_refuses_a_stale_review_and_answers_a_repeated_one_as_the_first(
    marriage: Resource, cast: CatalogCast
) -> None:
    bureau = _client(cast.bureau)
    url = f"/api/catalog/resources/{marriage.slug}/negative-review"
    shown = _lines()[(marriage.code, "")]["last_review_id"]
    assert shown == 0
    review = {
        "legal_basis": BASIS,
        "scope": "不向任何部门批量提供",
        "review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
        "last_review_id": shown,
    }
    before = LedgerEntry.objects.count()
    first = bureau.post(url, review, content_type="application/json")
    assert first.status_code == 200, first.content
    again = bureau.post(url, review, content_type="application/json")
    assert again.status_code == 200 and again.json() == first.json()
    assert LedgerEntry.objects.count() == before + 1
    assert first.json()["last_review_id"] == NegativeListReview.objects.get().pk

    other = {**review, "scope": "仅向民政部门提供"}
    stale = bureau.post(url, other, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_negative_review"
    assert _lines()[(marriage.code, "")]["scope"] == "不向任何部门批量提供"

    # On the line as it now stands, and without a value, a review is recorded.
    current = {**other, "last_review_id": first.json()["last_review_id"]}
    assert bureau.post(url, current, content_type="application/json").status_code == 200
    unconditional = {k: v for k, v in review.items() if k != "last_review_id"}
    assert bureau.post(url, unconditional, content_type="application/json").status_code == 200
    assert NegativeListReview.objects.count() == 3
    assert LedgerEntry.objects.count() == before + 3
