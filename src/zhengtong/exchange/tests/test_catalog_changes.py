"""A change (目录变更) of a published resource reaches the exchange as soon as the
data bureau applies it, and not before: the exchange reads the catalog at
request time, and its per-process copy of a resource's items goes with the
resource's change."""

from dataclasses import replace

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.tests.cast import REVIEW_DATE, resource_input
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, logged_in, make_sharing
from zhengtong.identity.actors import actor_of

SLUG = ENTERPRISES.replace("/", "-")


def test_an_item_refused_by_an_applied_change_no_longer_leaves(cast: ExchangeCast) -> None:
    sharing = make_sharing(cast)
    http = sharing.api(sharing.reader_token)

    def look_up() -> tuple[int, str]:
        answer = http.post(
            f"/api/exchange/shared/{SLUG}/look-up",
            {"key": sharing.uscc, "purpose": "核对企业名称", "fields": ["name"]},
            "application/json",
        )
        return answer.status_code, answer.json().get("code", "")

    assert look_up() == (200, "")
    officer = actor_of(sharing.officer)
    change = catalog.do_open_revision(sharing.enterprises, actor=officer)
    data = resource_input(ENTERPRISES)
    items = [
        replace(
            item,
            share_attribute="none",
            legal_basis="《企业信息公示暂行条例》第十条",
            negative_scope="不向登记机关以外的部门提供",
            review_date=REVIEW_DATE,
        )
        if item.code == "name"
        else item
        for item in data.items
    ]
    change = catalog.do_update_revision(change, replace(data, items=items), actor=officer)
    change = catalog.do_submit_revision(change, actor=officer)
    # Submitted but not applied: the published entry still answers.
    assert look_up() == (200, "")
    catalog.do_apply_revision(change, actor=TEST_ACTOR)
    assert look_up() == (403, "negative_list")


def test_a_change_may_not_drop_the_item_a_dataset_finds_records_by(cast: ExchangeCast) -> None:
    sharing = make_sharing(cast)
    officer = logged_in(sharing.officer)
    url = f"/api/catalog/resources/{SLUG}/revision"
    assert officer.post(url).status_code == 201
    content = officer.get(url).json()["content"]
    payload = {**content, "department_code": cast.catalog.market.code}

    without_key = {**payload, "items": [i for i in content["items"] if i["code"] != "uscc"]}
    refused = officer.put(url, without_key, content_type="application/json")
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "item_in_use"
    assert list(refused.json()["detail"]["fields"]) == ["items.uscc"]

    # Another item may go.
    without_licence = {**payload, "items": [i for i in content["items"] if i["code"] != "licence"]}
    assert officer.put(url, without_licence, content_type="application/json").status_code == 200
