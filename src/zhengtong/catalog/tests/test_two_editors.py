"""Two officers of one department on one draft, and a form that outlived its draft."""

import re
from typing import Any

from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import PASSWORD, CatalogCast, publish, resource_input
from zhengtong.catalog.tests.test_editing import FORM, logged_in, posted_as_shown
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_create_staff


def colleague(cast: CatalogCast) -> Client:
    """吴十's colleague, a data officer of the same bureau."""
    user = do_create_staff(
        "wushiyi", PASSWORD, "吴十一", cast.market, ["administrator"], actor=TEST_ACTOR
    )
    return logged_in(user)


def test_a_save_on_a_form_opened_before_a_colleague_s_save_does_not_write_over_it(
    cast: CatalogCast,
) -> None:
    draft = actions.do_create_resource(cast.market, resource_input(), actor=TEST_ACTOR)
    path = f"/catalog/resource/{draft.slug}/edit/"
    officer, other = logged_in(cast.officer), colleague(cast)
    mine = posted_as_shown(officer, path)
    theirs = posted_as_shown(other, path)
    assert other.post(path, {**theirs, "name": "企业登记信息（同事修改）"}).status_code == 302

    refused = officer.post(path, {**mine, "abstract": "吴十写的摘要。"})

    assert refused.status_code == 200
    errors = " ".join(refused.context["form"].non_field_errors())
    assert "已被修改并保存，本次保存未生效" in errors
    assert refused.context["form"]["abstract"].value() == "吴十写的摘要。"
    draft.refresh_from_db()
    assert (draft.name, draft.abstract) == ("企业登记信息（同事修改）", resource_input().abstract)
    # Posted again as it is, it is refused again; reloaded, it saves.
    assert officer.post(path, {**mine, "abstract": "吴十写的摘要。"}).status_code == 200
    again = posted_as_shown(officer, path)
    assert officer.post(path, {**again, "abstract": "吴十写的摘要。"}).status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.abstract) == ("企业登记信息（同事修改）", "吴十写的摘要。")


def test_a_form_of_a_draft_submitted_meanwhile_says_so_and_keeps_what_was_typed(
    cast: CatalogCast,
) -> None:
    draft = actions.do_create_resource(cast.market, resource_input(), actor=TEST_ACTOR)
    path = f"/catalog/resource/{draft.slug}/edit/"
    officer, other = logged_in(cast.officer), colleague(cast)
    mine = posted_as_shown(officer, path)
    assert other.post(f"/catalog/resource/{draft.slug}/submit/").status_code == 302

    refused = officer.post(path, {**mine, "abstract": "吴十写的摘要。"})

    assert refused.status_code == 200
    assert "只有草稿可以修改" in " ".join(refused.context["form"].non_field_errors())
    assert refused.context["form"]["abstract"].value() == "吴十写的摘要。"
    assert Resource.objects.get().state == "submitted"
    # Going back to the form leads to the entry's page, which says why.
    back = officer.get(path, follow=True)
    assert back.redirect_chain == [(f"/catalog/resource/{draft.slug}/", 302)]
    assert "只有草稿可以修改。" in [str(m) for m in back.context["messages"]]


def test_a_change_submitted_or_applied_meanwhile_is_said_so_not_refused_or_lost(
    cast: CatalogCast,
) -> None:
    entry = publish(actions.do_create_resource(cast.market, resource_input(), actor=TEST_ACTOR))
    page = f"/catalog/resource/{entry.slug}/revision/"
    officer, other, bureau = logged_in(cast.officer), colleague(cast), logged_in(cast.bureau)
    assert officer.post(f"{page}open/").status_code == 302
    mine = posted_as_shown(officer, page)
    assert other.post(f"{page}submit/").status_code == 302

    refused = officer.post(page, {**mine, "abstract": "吴十写的摘要。"})

    assert refused.status_code == 200
    assert "只有变更草稿可以修改" in " ".join(refused.context["form"].non_field_errors())
    assert refused.context["form"]["abstract"].value() == "吴十写的摘要。"
    # The data bureau clicks twice, or two reviewers apply it: the second learns
    # on the entry's page that there is nothing left to apply.
    assert bureau.post(f"{page}apply/").status_code == 302
    again = bureau.post(f"{page}apply/", follow=True)
    assert again.redirect_chain == [(f"/catalog/resource/{entry.slug}/", 302)]
    assert "这条目录没有未完成的变更。" in [str(m) for m in again.context["messages"]]
    late = officer.post(page, {**mine, "abstract": "吴十写的摘要。"}, follow=True)
    assert late.redirect_chain == [(f"/catalog/resource/{entry.slug}/", 302)]
    assert Resource.objects.get().abstract == resource_input().abstract


def second_reviewer(cast: CatalogCast) -> Client:
    """孙八's colleague at the data bureau, a reviewer too."""
    user = do_create_staff(
        "sunbayi",
        PASSWORD,
        "孙八一",
        cast.data_bureau,
        ["administrator", "data_reviewer"],
        actor=TEST_ACTOR,
        scope="region",
    )
    return logged_in(user)


def approve_as_shown(client: Client, page: str, step: str) -> Any:
    """Press the page's button for the step, with the hidden fields its form carries."""
    shown = client.get(page)
    form = re.search(
        rf'<form[^>]*action="[^"]*/{step}/"[^>]*>(.*?)</form>', shown.content.decode(), re.S
    )
    assert form is not None, f"no {step} button"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form[1]))
    return lambda: client.post(f"{page}{step}/", fields, follow=True)


def test_an_approval_is_of_the_content_its_reviewer_was_shown(cast: CatalogCast) -> None:
    draft = actions.do_create_resource(cast.market, resource_input(), actor=TEST_ACTOR)
    entry = f"/catalog/resource/{draft.slug}/"
    officer, bureau, other = logged_in(cast.officer), logged_in(cast.bureau), second_reviewer(cast)
    assert officer.post(f"{entry}submit/").status_code == 302
    press = approve_as_shown(bureau, entry, "review")
    # Meanwhile another reviewer returns it, and the officer changes it and submits it again.
    assert other.post(f"{entry}return/", {"reason": "请补充摘要。"}).status_code == 302
    data = posted_as_shown(officer, f"{entry}edit/")
    changed = officer.post(f"{entry}edit/", {**data, "abstract": "未经审核的摘要。"})
    assert changed.status_code == 302
    assert officer.post(f"{entry}submit/").status_code == 302

    refused = press()

    assert "本次审核未生效" in " ".join(str(m) for m in refused.context["messages"])
    assert Resource.objects.get().state == "submitted"
    # Shown the entry as it is now, the reviewer approves it.
    approve_as_shown(bureau, entry, "review")()
    assert Resource.objects.get().state == "reviewed"


def test_a_change_applied_is_the_change_its_reviewer_was_shown(cast: CatalogCast) -> None:
    published = publish(actions.do_create_resource(cast.market, resource_input(), actor=TEST_ACTOR))
    page = f"/catalog/resource/{published.slug}/revision/"
    officer, bureau, other = logged_in(cast.officer), logged_in(cast.bureau), second_reviewer(cast)
    assert officer.post(f"{page}open/").status_code == 302
    assert officer.post(f"{page}submit/").status_code == 302
    press = approve_as_shown(bureau, page, "apply")
    assert other.post(f"{page}return/", {"reason": "请补充摘要。"}).status_code == 302
    data = posted_as_shown(officer, page)
    assert officer.post(page, {**data, "abstract": "未经审核的摘要。"}).status_code == 302
    assert officer.post(f"{page}submit/").status_code == 302

    refused = press()

    assert "本次审核未生效" in " ".join(str(m) for m in refused.context["messages"])
    assert Resource.objects.get().abstract == resource_input().abstract
    approve_as_shown(bureau, page, "apply")()
    assert Resource.objects.get().abstract == "未经审核的摘要。"


def test_the_new_entry_form_posted_twice_says_the_entry_is_made_already(
    cast: CatalogCast,
) -> None:
    form = {**FORM, "items": "uscc|统一社会信用代码|C|18"}
    officer = logged_in(cast.officer)
    assert officer.post("/catalog/new/", form).status_code == 302

    again = officer.post("/catalog/new/", form)

    assert again.status_code == 200
    assert again.context["form"].errors["code"] == [
        "资源代码“102000000/000011”已是您部门的目录（草稿），本次未重复新建；"
        "如需修改，请在该目录的页面上修改。"
    ]
    assert Resource.objects.count() == 1
    # Another department's code says only that it is taken.
    county = logged_in(cast.county_officer)
    refused = county.post("/catalog/new/", {**form, "department": cast.county.code})
    assert "code" not in refused.context["form"].errors
    assert "该资源代码已被使用。" in refused.context["form"].non_field_errors()


def _api_content(cast: CatalogCast, **changes: Any) -> dict[str, Any]:
    return {
        **actions.input_as_json(resource_input(**changes)),
        "department_code": cast.market.code,
    }


def test_the_api_refuses_a_save_or_an_approval_of_a_version_no_longer_there(
    cast: CatalogCast,
) -> None:
    draft = actions.do_create_resource(cast.market, resource_input(), actor=TEST_ACTOR)
    url = f"/api/catalog/resources/{draft.slug}"
    officer, other = logged_in(cast.officer), colleague(cast)
    read = officer.get(url).json()["version"]
    saved = other.put(url, _api_content(cast, name="同事改的名称"), "application/json")
    assert saved.status_code == 200 and saved.json()["version"] == read + 1

    stale = officer.put(
        url, {**_api_content(cast, name="吴十改的名称"), "version": read}, "application/json"
    )

    assert stale.status_code == 409 and stale.json()["code"] == "stale_draft"
    assert Resource.objects.get().name == "同事改的名称"
    current = saved.json()["version"]
    ok = officer.put(
        url, {**_api_content(cast, name="吴十改的名称"), "version": current}, "application/json"
    )
    assert ok.status_code == 200, ok.content
    # Approved at the version the reviewer read, not at the one before.
    assert officer.post(f"{url}/submit").status_code == 200
    bureau = logged_in(cast.bureau)
    refused = bureau.post(f"{url}/review?version={current}")
    assert refused.status_code == 409 and refused.json()["code"] == "stale_review"
    assert Resource.objects.get().state == "submitted"
    approved = bureau.post(f"{url}/review?version={ok.json()['version']}")
    assert approved.status_code == 200 and approved.json()["state"] == "reviewed"


def test_the_api_applies_a_change_only_at_the_version_its_reviewer_read(
    cast: CatalogCast,
) -> None:
    entry = publish(actions.do_create_resource(cast.market, resource_input(), actor=TEST_ACTOR))
    url = f"/api/catalog/resources/{entry.slug}/revision"
    officer, bureau = logged_in(cast.officer), logged_in(cast.bureau)
    assert officer.post(url).status_code == 201
    changed = officer.put(url, _api_content(cast, name="改后的名称"), "application/json")
    assert officer.post(f"{url}/submit").status_code == 200
    version = changed.json()["version"]

    refused = bureau.post(f"{url}/apply?version={version - 1}")

    assert refused.status_code == 409 and refused.json()["code"] == "stale_review"
    assert Resource.objects.get().name == resource_input().name
    applied = bureau.post(f"{url}/apply?version={version}")
    assert applied.status_code == 200 and applied.json()["state"] == "applied"
    assert Resource.objects.get().name == "改后的名称"
