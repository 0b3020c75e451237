"""The data bureau's reasons for returning and retiring: kept, shown to the provider,
and never lost when the step is refused."""

from html import unescape

from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish
from zhengtong.catalog.tests.test_editing import logged_in
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.ledger.models import LedgerEntry


def _submitted(cast: CatalogCast) -> Resource:
    resource = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    return actions.do_submit_resource(resource, actor=TEST_ACTOR)


def _page(client: Client, resource: Resource) -> str:
    return unescape(client.get(f"/catalog/resource/{resource.slug}/").content.decode())


def test_the_provider_sees_why_its_draft_was_returned(cast: CatalogCast) -> None:
    resource = _submitted(cast)
    bureau = logged_in(cast.bureau)
    reason = "摘要未写明数据范围"
    returned = bureau.post(f"/catalog/resource/{resource.slug}/return/", {"reason": reason})
    assert returned.status_code == 302
    officer = logged_in(cast.officer)
    page = _page(officer, resource)
    assert f"退回理由：{reason}" in page
    assert f"孙八 · 退回修改：{reason}" in page  # the history names the step
    api = officer.get(f"/api/catalog/resources/{resource.slug}").json()
    assert api["state_reason"] == reason
    # Still said once the draft is edited, until it is submitted again.
    actions.do_update_resource(resource, ENTERPRISE, actor=TEST_ACTOR)
    assert f"退回理由：{reason}" in _page(officer, resource)
    actions.do_submit_resource(resource, actor=TEST_ACTOR)
    assert "退回理由" not in _page(officer, resource)
    assert officer.get(f"/api/catalog/resources/{resource.slug}").json()["state_reason"] == ""


def test_a_retired_entry_says_why_it_was_retired(cast: CatalogCast) -> None:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    bureau = logged_in(cast.bureau)
    bureau.post(f"/catalog/resource/{resource.slug}/retire/", {"reason": "已并入企业信用信息"})
    resource.refresh_from_db()
    assert resource.state == "retired"
    for client in (logged_in(cast.officer), Client()):
        assert "下架理由：已并入企业信用信息" in _page(client, resource)
        api = client.get(f"/api/catalog/resources/{resource.slug}").json()
        assert api["state_reason"] == "已并入企业信用信息"


def test_a_refused_return_keeps_what_was_typed_and_says_why_beside_it(cast: CatalogCast) -> None:
    resource = _submitted(cast)
    bureau = logged_in(cast.bureau)
    path = f"/catalog/resource/{resource.slug}/return/"
    too_long = "摘要不完整。" * 90  # 540 characters
    for typed, why in ((too_long, "理由不能超过500个字符。"), ("  ", "退回须说明理由。")):
        page = bureau.post(path, {"reason": typed})
        assert page.status_code == 200
        form = page.context["steps"][1][2]
        assert form.data["reason"] == typed
        assert form.errors["reason"] == [why]
        if typed.strip():
            assert typed in page.content.decode()
        resource.refresh_from_db()
        assert resource.state == "submitted"


def test_retiring_needs_a_reason_on_the_page_and_in_the_api(cast: CatalogCast) -> None:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    bureau = logged_in(cast.bureau)
    before = LedgerEntry.objects.count()
    api = bureau.post(f"/api/catalog/resources/{resource.slug}/retire", {}, "application/json")
    assert api.status_code == 400 and api.json()["code"] == "reason_required"
    page = bureau.post(f"/catalog/resource/{resource.slug}/retire/", {"reason": ""})
    assert page.status_code == 200
    assert "下架须说明理由。" in page.content.decode()
    resource.refresh_from_db()
    assert resource.state == "published"
    assert LedgerEntry.objects.count() == before


def test_a_step_refused_because_the_entry_moved_on_shows_the_reason_typed(
    cast: CatalogCast,
) -> None:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    # Another reviewer retired the entry after this page was loaded.
    actions.do_retire_resource(resource, "停止采集", actor=TEST_ACTOR)
    bureau = logged_in(cast.bureau)
    typed = "数据源已停止更新，\n请改用新目录"
    page = bureau.post(f"/catalog/resource/{resource.slug}/retire/", {"reason": typed})
    assert page.status_code == 200
    text = unescape(page.content.decode())
    assert "目录当前的状态不允许此操作。" in text
    assert "数据源已停止更新，<br>请改用新目录" in text


def test_a_refused_return_of_a_change_keeps_what_was_typed(cast: CatalogCast) -> None:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    change = actions.do_open_revision(resource, actor=TEST_ACTOR)
    actions.do_submit_revision(change, actor=TEST_ACTOR)
    bureau = logged_in(cast.bureau)
    typed = "名称不规范。" * 90  # 540 characters
    page = bureau.post(f"/catalog/resource/{resource.slug}/revision/return/", {"reason": typed})
    assert page.status_code == 200
    assert typed in page.content.decode()
    assert "理由不能超过500个字符。" in page.content.decode()
    change.refresh_from_db()
    assert change.state == "submitted"
    returned = bureau.post(
        f"/catalog/resource/{resource.slug}/revision/return/", {"reason": "名称不规范"}
    )
    assert returned.status_code == 302
    change.refresh_from_db()
    assert (change.state, change.returned_reason) == ("draft", "名称不规范")


def test_a_get_on_a_refused_step_s_url_returns_to_the_entry(cast: CatalogCast) -> None:
    resource = _submitted(cast)
    bureau = logged_in(cast.bureau)
    url = f"/catalog/resource/{resource.slug}/return/"
    # Refused, the entry's page is shown again at the step's URL.
    assert bureau.post(url, {"reason": ""}).status_code in (200, 400)
    # A reload or the language switch asks the step's URL with GET.
    again = bureau.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert (again.status_code, again["Location"]) == (302, f"/catalog/resource/{resource.slug}/")
    resource.refresh_from_db()
    assert resource.state == "submitted"
    revision = f"/catalog/resource/{resource.slug}/revision/submit/"
    assert bureau.get(revision)["Location"] == f"/catalog/resource/{resource.slug}/revision/"
