"""A negative-list line is reviewed as its reviewer was shown it: a change of the
entry (目录变更) applied while the review page was open, rewriting the line or
taking it off the list, refuses the review instead of having it confirm content
nobody looked at; a change that leaves the line as it was does not."""

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions
from zhengtong.catalog.actions import ItemInput, ResourceInput
from zhengtong.catalog.models import NegativeListReview, Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish, resource_input
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.ledger.models import LedgerEntry

ITEM = "legal_rep_id"
BASIS = "《中华人民共和国个人信息保护法》第二十八条"
CHANGED = "这一项的内容在您打开之后已有改动，本次复核未生效；请查看改动后的内容再复核。"
GONE = "这一项在您打开之后已不在负面清单上（已改为可共享或已删去），本次复核未生效。"


@pytest.fixture
def enterprise(cast: CatalogCast) -> Resource:
    return publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _apply_change(resource: Resource, data: ResourceInput) -> None:
    """The provider's officers change the published entry and the data bureau applies it."""
    revision = actions.do_open_revision(resource, actor=TEST_ACTOR)
    revision = actions.do_update_revision(revision, data, actor=TEST_ACTOR)
    revision = actions.do_submit_revision(revision, actor=TEST_ACTOR)
    actions.do_apply_revision(revision, actor=TEST_ACTOR)


def _items(**changes: Any) -> list[ItemInput]:
    """ENTERPRISE's items, the refused one changed."""
    return [replace(i, **changes) if i.code == ITEM else i for i in ENTERPRISE.items]


def _line(resource: Resource, item: str = ITEM) -> dict[str, Any]:
    body: list[dict[str, Any]] = Client().get("/api/catalog/negative-list").json()
    [line] = [e for e in body if (e["resource_code"], e["item_code"]) == (resource.code, item)]
    return line


def _review(shown: dict[str, Any], item: str = ITEM, **sent: Any) -> dict[str, Any]:
    """The review of a line as its reviewer was shown it."""
    return {
        "item_code": item,
        "legal_basis": BASIS,
        "scope": "仅登记机关",
        "review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
        "last_review_id": shown["last_review_id"],
        "fingerprint": shown["fingerprint"],
        **sent,
    }


def _post(client: Client, resource: Resource, payload: dict[str, Any]) -> Any:
    return client.post(
        f"/api/catalog/resources/{resource.slug}/negative-review",
        payload,
        content_type="application/json",
    )


def test_the_api_refuses_a_review_of_a_line_a_change_rewrote_meanwhile(
    enterprise: Resource, cast: CatalogCast
) -> None:
    shown = _line(enterprise)
    _apply_change(enterprise, replace(ENTERPRISE, items=_items(negative_scope="仅登记机关和法院")))
    before = LedgerEntry.objects.count()

    refused = _post(_client(cast.bureau), enterprise, _review(shown))
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "stale_negative_review"
    assert refused.json()["message"] == CHANGED
    assert _line(enterprise)["scope"] == "仅登记机关和法院"
    assert not NegativeListReview.objects.exists()
    assert LedgerEntry.objects.count() == before

    # Read again, the line as it now stands is reviewed.
    again = _post(_client(cast.bureau), enterprise, _review(_line(enterprise)))
    assert again.status_code == 200, again.content
    assert again.json()["scope"] == "仅登记机关"


@pytest.mark.parametrize(
    "changes",
    [
        {"legal_basis": "《中华人民共和国个人信息保护法》第十三条"},
        {"review_date": timezone.localdate() + timedelta(days=30)},
        {"name": "法定代表人证件号码"},
    ],
)
def test_any_value_of_the_line_changed_meanwhile_refuses_the_review(
    enterprise: Resource, cast: CatalogCast, changes: dict[str, Any]
) -> None:
    shown = _line(enterprise)
    _apply_change(enterprise, replace(ENTERPRISE, items=_items(**changes)))
    refused = _post(_client(cast.bureau), enterprise, _review(shown))
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "stale_negative_review"


def test_a_change_that_leaves_the_line_as_it_was_does_not_refuse_the_review(
    enterprise: Resource, cast: CatalogCast
) -> None:
    shown = _line(enterprise)
    added = ItemInput("reg_date", "成立日期", "D")
    _apply_change(
        enterprise,
        replace(ENTERPRISE, update_cycle="daily", items=[*ENTERPRISE.items, added]),
    )
    bureau = _client(cast.bureau)
    review = _review(shown, scope="仅登记机关，不批量提供")
    first = _post(bureau, enterprise, review)
    assert first.status_code == 200, first.content
    assert first.json()["scope"] == "仅登记机关，不批量提供"
    # Sent twice, it is recorded once and answered as the first time.
    assert _post(bureau, enterprise, review).json() == first.json()
    assert NegativeListReview.objects.count() == 1


def test_the_api_without_what_it_was_shown_reviews_the_line_as_it_stands(
    enterprise: Resource, cast: CatalogCast
) -> None:
    shown = _line(enterprise)
    _apply_change(enterprise, replace(ENTERPRISE, items=_items(negative_scope="仅登记机关和法院")))
    bureau = _client(cast.bureau)
    unconditional = {
        k: v for k, v in _review(shown).items() if k not in ("last_review_id", "fingerprint")
    }
    assert _post(bureau, enterprise, unconditional).status_code == 200
    # A client that sends the last review only is not held to the line's content either.
    by_review = {k: v for k, v in _review(_line(enterprise)).items() if k != "fingerprint"}
    answer = _post(bureau, enterprise, {**by_review, "scope": "全部"})
    assert answer.status_code == 200, answer.content
    assert NegativeListReview.objects.count() == 2


@pytest.mark.parametrize(
    "items",
    [
        pytest.param(_items(share_attribute=""), id="made-shareable"),
        pytest.param([i for i in ENTERPRISE.items if i.code != ITEM], id="taken-out"),
    ],
)
def test_a_line_taken_off_the_list_meanwhile_is_refused_as_such(
    enterprise: Resource, cast: CatalogCast, items: list[ItemInput]
) -> None:
    shown = _line(enterprise)
    _apply_change(enterprise, replace(ENTERPRISE, items=items))
    refused = _post(_client(cast.bureau), enterprise, _review(shown))
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "not_on_negative_list"
    assert refused.json()["message"] == GONE
    assert not NegativeListReview.objects.exists()


def test_a_whole_resource_made_shareable_meanwhile_is_refused_as_off_the_list(
    cast: CatalogCast,
) -> None:
    marriage_data = resource_input(
        "304000000/000002",
        name="婚姻登记信息",
        share_attribute="none",
        share_method="",
        legal_basis="《婚姻登记条例》第二十条",
    )
    marriage = publish(actions.do_create_resource(cast.market, marriage_data, actor=TEST_ACTOR))
    shown = _line(marriage, "")
    _apply_change(
        marriage,
        replace(
            marriage_data,
            share_attribute="conditional",
            share_method="api",
            share_conditions="仅限民政部门办理婚姻登记时使用",
        ),
    )
    refused = _post(
        _client(cast.bureau),
        marriage,
        _review(shown, item="", legal_basis="《婚姻登记条例》第二十条"),
    )
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "not_on_negative_list"
    assert refused.json()["message"] == GONE


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, f"the review form carries {name}"
    return found.group(1)


def test_the_page_refuses_a_review_of_a_line_a_change_rewrote_and_keeps_what_was_typed(
    enterprise: Resource, cast: CatalogCast
) -> None:
    bureau = _client(cast.bureau)
    link = f"/catalog/negative-list/{enterprise.slug}/review/?item={ITEM}"
    opened = bureau.get(link).content.decode()
    typed = {
        "legal_basis": BASIS,
        "scope": "仅登记机关，不向其他部门提供",
        "review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
        "note": "依据未变",
        "last_review": _hidden(opened, "last_review"),
        "fingerprint": _hidden(opened, "fingerprint"),
    }
    _apply_change(enterprise, replace(ENTERPRISE, items=_items(negative_scope="仅登记机关和法院")))

    refused = bureau.post(link, typed)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert CHANGED in page
    assert "在这一项现在的内容上填写" in page
    # What was typed is kept; the line as it now stands is shown beside it.
    assert "仅登记机关，不向其他部门提供" in page and "依据未变" in page
    assert "仅登记机关和法院" in page
    # Sent again as it stands, it is refused again: it was filled in on the old line.
    assert _hidden(page, "fingerprint") == typed["fingerprint"]
    assert not NegativeListReview.objects.exists()

    reloaded = bureau.get(link).content.decode()
    saved = bureau.post(link, {**typed, "fingerprint": _hidden(reloaded, "fingerprint")})
    assert saved.status_code == 302
    assert _line(enterprise)["scope"] == "仅登记机关，不向其他部门提供"


def test_the_page_says_a_line_left_the_list_meanwhile_and_keeps_what_was_typed(
    enterprise: Resource, cast: CatalogCast
) -> None:
    bureau = _client(cast.bureau)
    link = f"/catalog/negative-list/{enterprise.slug}/review/?item={ITEM}"
    opened = bureau.get(link).content.decode()
    _apply_change(enterprise, replace(ENTERPRISE, items=_items(share_attribute="")))

    refused = bureau.post(
        link,
        {
            "legal_basis": BASIS,
            "scope": "仅登记机关",
            "review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
            "note": "仍需不予共享",
            "last_review": _hidden(opened, "last_review"),
            "fingerprint": _hidden(opened, "fingerprint"),
        },
    )
    assert refused.status_code == 200
    page = refused.content.decode()
    assert GONE in page and "仍需不予共享" in page
    assert not NegativeListReview.objects.exists()
    # Opened now, the line is no longer there to review.
    assert bureau.get(link).status_code == 404
