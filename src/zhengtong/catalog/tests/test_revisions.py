"""A published entry is changed (目录变更) through a change that its department's
officers draft and submit and the data bureau applies; the entry stays published
and unchanged until then."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions
from zhengtong.catalog.actions import ItemInput, input_as_json
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, PASSWORD, CatalogCast, publish
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_create_staff
from zhengtong.ledger.models import LedgerEntry

ADDED = ItemInput("reg_date", "成立日期", "D")


@pytest.fixture
def enterprise(cast: CatalogCast) -> Resource:
    return publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _payload(department: str, **changes: Any) -> dict[str, Any]:
    content = input_as_json(replace(ENTERPRISE, **changes))
    return {**content, "department_code": department}


def _url(resource: Resource, step: str = "") -> str:
    return f"/api/catalog/resources/{resource.slug}/revision" + (f"/{step}" if step else "")


def test_a_change_is_drafted_submitted_and_applied_while_the_entry_stays_published(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer, bureau = _client(cast.officer), _client(cast.bureau)
    before = LedgerEntry.objects.count()
    read = Client().get(f"/api/catalog/resources/{enterprise.slug}").json()["version"]

    opened = officer.post(_url(enterprise))
    assert opened.status_code == 201, opened.content
    assert opened.json()["state"] == "draft" and opened.json()["changes"] == []

    changed = officer.put(
        _url(enterprise),
        _payload(cast.market.code, update_cycle="daily", items=[*ENTERPRISE.items, ADDED]),
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    fields = {c["field"]: c for c in changed.json()["changes"]}
    assert set(fields) == {"update_cycle", "items.reg_date"}
    assert fields["update_cycle"]["before"] == "实时" and fields["update_cycle"]["after"] == "每日"
    assert fields["items.reg_date"]["before"] == ""

    # Until the change is applied, everyone reads the entry as published.
    public = Client().get(f"/api/catalog/resources/{enterprise.slug}").json()
    assert public["state"] == "published" and public["update_cycle"] == "realtime"
    assert "reg_date" not in [i["code"] for i in public["items"]]

    assert officer.post(_url(enterprise, "submit")).json()["state"] == "submitted"
    # The data bureau sees what the change would change.
    assert {c["field"] for c in bureau.get(_url(enterprise)).json()["changes"]} == set(fields)
    applied = bureau.post(_url(enterprise, "apply"))
    assert applied.status_code == 200 and applied.json()["state"] == "applied"

    public = Client().get(f"/api/catalog/resources/{enterprise.slug}").json()
    assert public["state"] == "published" and public["update_cycle"] == "daily"
    assert "reg_date" in [i["code"] for i in public["items"]]
    assert public["publish_date"] == enterprise.publish_date.isoformat()  # type: ignore[union-attr]
    # A reader holding the version read before the change sees it is outdated.
    assert public["version"] == read + 1
    # open, update, submit, apply: one ledger entry each.
    assert LedgerEntry.objects.count() == before + 4
    page = bureau.get(f"/catalog/resource/{enterprise.slug}/").content.decode()
    assert "目录变更" in page
    # Nothing is open any more.
    assert bureau.get(_url(enterprise)).json()["code"] == "no_open_revision"


def test_a_change_keeps_the_code_and_one_change_is_open_at_a_time(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer = _client(cast.officer)
    assert officer.post(_url(enterprise)).status_code == 201
    again = officer.post(_url(enterprise))
    assert again.status_code == 409 and again.json()["code"] == "revision_open"
    recoded = officer.put(
        _url(enterprise),
        _payload(cast.market.code, code="102000000/000009"),
        content_type="application/json",
    )
    assert recoded.status_code == 400 and recoded.json()["code"] == "code_fixed"
    # The change is checked as a new entry is.
    bad = officer.put(
        _url(enterprise),
        _payload(cast.market.code, share_attribute="conditional", legal_basis=""),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "legal_basis" in bad.json()["detail"]["fields"]

    draft = actions.do_create_resource(
        cast.market, replace(ENTERPRISE, code="102000000/000002"), actor=TEST_ACTOR
    )
    refused = officer.post(_url(draft))
    assert refused.status_code == 409 and refused.json()["code"] == "not_published"


def test_the_data_bureau_returns_a_change_and_the_officer_discards_it(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer, bureau = _client(cast.officer), _client(cast.bureau)
    officer.post(_url(enterprise))
    officer.put(
        _url(enterprise),
        _payload(cast.market.code, name="企业登记信息（含个体）"),
        content_type="application/json",
    )
    officer.post(_url(enterprise, "submit"))
    no_reason = bureau.post(_url(enterprise, "return"), {}, content_type="application/json")
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    returned = bureau.post(
        _url(enterprise, "return"), {"reason": "名称不规范"}, content_type="application/json"
    )
    assert returned.json()["state"] == "draft"
    assert officer.get(_url(enterprise)).json()["returned_reason"] == "名称不规范"
    # The officer may not apply a change; the bureau may not discard one.
    assert officer.post(_url(enterprise, "apply")).status_code == 403
    assert bureau.post(_url(enterprise, "discard")).status_code == 403
    assert officer.post(_url(enterprise, "discard")).json()["state"] == "discarded"
    assert Resource.objects.get(pk=enterprise.pk).name == "企业登记信息"
    # A new change can be opened once the last is closed.
    assert officer.post(_url(enterprise)).status_code == 201


def test_whoever_submitted_a_change_does_not_apply_it(cast: CatalogCast) -> None:
    own = publish(
        actions.do_create_resource(
            cast.data_bureau, replace(ENTERPRISE, code="102000000/000003"), actor=TEST_ACTOR
        )
    )
    bureau = _client(cast.bureau)
    assert bureau.post(_url(own)).status_code == 201
    assert bureau.post(_url(own, "submit")).status_code == 200
    refused = bureau.post(_url(own, "apply"))
    assert refused.status_code == 409 and refused.json()["code"] == "own_submission"


def test_others_learn_nothing_of_a_change(enterprise: Resource, cast: CatalogCast) -> None:
    _client(cast.officer).post(_url(enterprise))
    county = _client(cast.county_officer)
    assert county.get(_url(enterprise)).status_code == 404
    assert county.post(_url(enterprise)).status_code == 403
    assert Client().get(_url(enterprise)).status_code == 401


def test_the_pages_take_a_change_from_the_entry_to_the_data_bureaus_decision(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer, bureau = _client(cast.officer), _client(cast.bureau)
    detail = officer.get(f"/catalog/resource/{enterprise.slug}/").content.decode()
    assert "申请变更" in detail
    opened = officer.post(f"/catalog/resource/{enterprise.slug}/revision/open/")
    assert opened.status_code == 302
    assert opened["Location"] == f"/catalog/resource/{enterprise.slug}/revision/"

    page = officer.get(opened["Location"])
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["items"] = data["items"] + "\nreg_date|成立日期|日期型D"
    data["abstract"] = "本市企业和个体工商户的登记信息。"
    saved = officer.post(opened["Location"], data)
    assert saved.status_code == 302, saved.context["form"].errors
    shown = officer.get(opened["Location"]).content.decode()
    assert "成立日期" in shown and "本市企业和个体工商户的登记信息。" in shown

    assert officer.post(f"/catalog/resource/{enterprise.slug}/revision/submit/").status_code == 302
    # The data bureau finds it on the workbench and applies it.
    assert "目录变更" in bureau.get("/catalog/mine/").content.decode()
    review_page = bureau.get(opened["Location"]).content.decode()
    assert "审核通过，变更生效" in review_page and "成立日期" in review_page
    # The officer can no longer save a submitted change; the page says so.
    refused = officer.post(opened["Location"], data)
    assert refused.status_code == 200
    assert "只有变更草稿可以修改" in " ".join(refused.context["form"].non_field_errors())
    applied = bureau.post(f"/catalog/resource/{enterprise.slug}/revision/apply/")
    assert applied.status_code == 302
    entry = Resource.objects.get(pk=enterprise.pk)
    assert entry.abstract == "本市企业和个体工商户的登记信息。"
    assert entry.items.filter(code="reg_date").exists() and entry.state == "published"
    gone = officer.get(opened["Location"], follow=True)
    assert gone.redirect_chain == [(f"/catalog/resource/{enterprise.slug}/", 302)]
    assert "这条目录没有未完成的变更。" in [str(m) for m in gone.context["messages"]]


def test_a_change_names_no_related_entry_its_reader_may_not_see(
    enterprise: Resource, cast: CatalogCast
) -> None:
    # A link to the data bureau's draft, stored both ways when links were
    # symmetric and the draft named this entry.
    hidden = actions.do_create_resource(
        cast.data_bureau, replace(ENTERPRISE, code="304000000/000009"), actor=TEST_ACTOR
    )
    enterprise.related.add(hidden)
    officer, bureau = _client(cast.officer), _client(cast.bureau)
    opened = officer.post(_url(enterprise)).json()
    assert opened["content"]["related"] == [] and opened["changes"] == []

    changed = officer.put(
        _url(enterprise),
        _payload(cast.market.code, name="企业登记信息（含个体）"),
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["content"]["related"] == []
    assert hidden.code not in changed.content.decode()
    page = officer.get(f"/catalog/resource/{enterprise.slug}/revision/").content.decode()
    assert hidden.code not in page
    # The data bureau may see its own draft, and the link it keeps.
    assert bureau.get(_url(enterprise)).json()["content"]["related"] == [hidden.code]

    officer.post(_url(enterprise, "submit"))
    assert bureau.post(_url(enterprise, "apply")).status_code == 200
    assert list(enterprise.related.values_list("code", flat=True)) == [hidden.code]


def test_a_negative_list_review_made_meanwhile_is_not_undone_by_applying_a_change(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer, bureau = _client(cast.officer), _client(cast.bureau)
    officer.post(_url(enterprise))
    officer.put(
        _url(enterprise),
        _payload(cast.market.code, update_cycle="daily"),
        content_type="application/json",
    )
    next_review = timezone.localdate() + timedelta(days=400)
    reviewed = bureau.post(
        f"/api/catalog/resources/{enterprise.slug}/negative-review",
        {
            "item_code": "legal_rep_id",
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "scope": "仅登记机关内部使用",
            "review_date": next_review.isoformat(),
        },
        content_type="application/json",
    )
    assert reviewed.status_code == 200, reviewed.content
    # The change does not change the reviewed line back.
    assert [c["field"] for c in officer.get(_url(enterprise)).json()["changes"]] == ["update_cycle"]
    officer.post(_url(enterprise, "submit"))
    assert bureau.post(_url(enterprise, "apply")).status_code == 200

    lines = Client().get("/api/catalog/negative-list").json()
    line = next(e for e in lines if e["item_code"] == "legal_rep_id")
    assert line["scope"] == "仅登记机关内部使用"
    assert line["review_date"] == next_review.isoformat()
    assert Resource.objects.get(pk=enterprise.pk).update_cycle == "daily"


def test_a_change_of_a_reviewed_line_keeps_the_officers_value_for_the_bureau_to_decide(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer, bureau = _client(cast.officer), _client(cast.bureau)
    officer.post(_url(enterprise))
    scope = "仅登记机关和税务机关"
    items = [
        replace(item, negative_scope=scope) if item.code == "legal_rep_id" else item
        for item in ENTERPRISE.items
    ]
    officer.put(
        _url(enterprise), _payload(cast.market.code, items=items), content_type="application/json"
    )
    next_review = timezone.localdate() + timedelta(days=400)
    bureau.post(
        f"/api/catalog/resources/{enterprise.slug}/negative-review",
        {
            "item_code": "legal_rep_id",
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "scope": "仅登记机关内部使用",
            "review_date": next_review.isoformat(),
        },
        content_type="application/json",
    )
    (change,) = officer.get(_url(enterprise)).json()["changes"]
    # The scope the officers wrote stands against the reviewed one; the
    # review date they left alone is the reviewed one.
    assert "仅登记机关内部使用" in change["before"]
    assert change["after"].endswith(f"|{scope}|{next_review.isoformat()}")


def test_retiring_the_entry_discards_its_open_change(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer, bureau = _client(cast.officer), _client(cast.bureau)
    officer.post(_url(enterprise))
    officer.put(
        _url(enterprise),
        _payload(cast.market.code, update_cycle="daily"),
        content_type="application/json",
    )
    officer.post(_url(enterprise, "submit"))
    before = LedgerEntry.objects.count()
    retired = bureau.post(
        f"/api/catalog/resources/{enterprise.slug}/retire",
        {"reason": "数据已由新目录替代"},
        content_type="application/json",
    )
    assert retired.status_code == 200, retired.content
    assert LedgerEntry.objects.count() == before + 1
    # Nothing is left waiting for a decision that can no longer be made.
    assert bureau.get(_url(enterprise)).json()["code"] == "no_open_revision"
    assert officer.get(_url(enterprise)).status_code == 404
    assert enterprise.code not in bureau.get("/catalog/mine/").content.decode()
    assert "查看变更" not in officer.get(f"/catalog/resource/{enterprise.slug}/").content.decode()
    assert Resource.objects.get(pk=enterprise.pk).update_cycle == "realtime"


def test_a_change_reads_in_english_on_the_english_page(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer = _client(cast.officer)
    officer.post(_url(enterprise))
    officer.put(
        _url(enterprise),
        _payload(cast.market.code, update_cycle="daily", items=[*ENTERPRISE.items, ADDED]),
        content_type="application/json",
    )
    page = officer.get(f"/catalog/resource/{enterprise.slug}/revision/", HTTP_ACCEPT_LANGUAGE="en")
    shown = {c.field: c for c in page.context["changes"]}
    assert (shown["update_cycle"].heading, shown["update_cycle"].before) == (
        "Update cycle",
        "Real time",
    )
    assert shown["update_cycle"].after == "Daily"
    assert shown["items.reg_date"].after.startswith("成立日期|Date (D)|")
    assert ">Update cycle</td>" in page.content.decode()


def test_an_entry_stored_with_a_value_since_taken_out_of_a_dictionary_can_be_changed(
    enterprise: Resource, cast: CatalogCast
) -> None:
    # A format of an older dictionary, stored before the current one.
    Resource.objects.filter(pk=enterprise.pk).update(format="paper")
    officer = _client(cast.officer)
    opened = officer.post(_url(enterprise))
    assert opened.status_code == 201, opened.content
    changed = officer.put(
        _url(enterprise), _payload(cast.market.code), content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    (change,) = changed.json()["changes"]
    assert (change["field"], change["before"], change["after"]) == ("format", "paper", "数据库")
    assert officer.get(f"/catalog/resource/{enterprise.slug}/revision/").status_code == 200


def test_a_change_saved_on_an_outdated_version_is_refused_not_written_over(
    enterprise: Resource, cast: CatalogCast
) -> None:
    colleague = do_create_staff(
        "zhengshi", PASSWORD, "郑十", cast.market, ["administrator"], actor=TEST_ACTOR
    )
    first, second = _client(cast.officer), _client(colleague)
    opened = first.post(_url(enterprise)).json()
    # Both load the change as it stands.
    loaded = second.get(_url(enterprise)).json()
    assert opened["version"] == loaded["version"] == 1

    saved = first.put(
        _url(enterprise),
        {**_payload(cast.market.code, update_cycle="daily"), "version": 1},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == 2
    before = LedgerEntry.objects.count()
    stale = second.put(
        _url(enterprise),
        {**_payload(cast.market.code, name="企业登记信息（旧稿）"), "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409, stale.content
    assert stale.json()["code"] == "stale_revision"
    assert stale.json()["detail"]["version"] == 2
    assert LedgerEntry.objects.count() == before
    # The earlier save stands.
    content = first.get(_url(enterprise)).json()["content"]
    assert content["update_cycle"] == "daily" and content["name"] == "企业登记信息"
    # Saved on the version it was shown, the change goes through.
    again = second.put(
        _url(enterprise),
        {
            **_payload(cast.market.code, update_cycle="daily", name="企业登记信息（新稿）"),
            "version": 2,
        },
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json()["version"] == 3
    # Without a version the API saves as before.
    unversioned = first.put(
        _url(enterprise), _payload(cast.market.code), content_type="application/json"
    )
    assert unversioned.status_code == 200 and unversioned.json()["version"] == 4


def test_a_negative_list_review_carried_into_a_change_outdates_the_loaded_version(
    enterprise: Resource, cast: CatalogCast
) -> None:
    officer, bureau = _client(cast.officer), _client(cast.bureau)
    version = officer.post(_url(enterprise)).json()["version"]
    reviewed = bureau.post(
        f"/api/catalog/resources/{enterprise.slug}/negative-review",
        {
            "item_code": "legal_rep_id",
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "scope": "仅登记机关内部使用",
            "review_date": (timezone.localdate() + timedelta(days=400)).isoformat(),
        },
        content_type="application/json",
    )
    assert reviewed.status_code == 200, reviewed.content
    # Saved as loaded, the change would put back the scope the review replaced.
    stale = officer.put(
        _url(enterprise),
        {**_payload(cast.market.code, update_cycle="daily"), "version": version},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_revision"


def test_the_change_page_refuses_an_outdated_save_and_keeps_what_was_typed(
    enterprise: Resource, cast: CatalogCast
) -> None:
    colleague = do_create_staff(
        "zhengshi", PASSWORD, "郑十", cast.market, ["administrator"], actor=TEST_ACTOR
    )
    first, second = _client(cast.officer), _client(colleague)
    url = f"/catalog/resource/{enterprise.slug}/revision/"
    first.post(f"/catalog/resource/{enterprise.slug}/revision/open/")

    def form_data(client: Client) -> dict[str, Any]:
        form = client.get(url).context["form"]
        data = {name: form[name].value() for name in form.fields}
        return {k: ("" if v is None else v) for k, v in data.items()}

    mine, theirs = form_data(first), form_data(second)
    mine["abstract"] = "本市企业和个体工商户的登记信息。"
    assert first.post(url, mine).status_code == 302
    theirs["abstract"] = "本市全部市场主体的登记信息。"
    refused = second.post(url, theirs)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "请重新加载页面" in page
    # What the second officer typed is still in the form.
    assert "本市全部市场主体的登记信息。" in page
    assert refused.context["form"]["abstract"].value() == "本市全部市场主体的登记信息。"
    stored = first.get(_url(enterprise)).json()["content"]
    assert stored["abstract"] == "本市企业和个体工商户的登记信息。"
    # A save without the version the form was shown is refused as well.
    del theirs["version"]
    assert "请重新加载页面" in second.post(url, theirs).content.decode()
    assert first.get(_url(enterprise)).json()["content"]["abstract"] == stored["abstract"]
