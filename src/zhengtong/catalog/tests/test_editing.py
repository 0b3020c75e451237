"""The entry form keeps everything an entry holds, and only the provider's officers edit."""

import json
from dataclasses import replace
from datetime import date
from typing import Any

from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.access import may_edit, may_review
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, resource_input
from zhengtong.catalog.tests.test_xlsx import GOOD, item_row, upload, workbook
from zhengtong.core.testing import TEST_ACTOR

FORM = {
    "department": "cs-market",
    "code": "102000000/000011",
    "name": "企业注销信息",
    "abstract": "注销登记。",
    "format": "database",
    "share_attribute": "unconditional",
    "share_method": "api",
    "open_attribute": "unconditional",
    "update_cycle": "daily",
}


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot(resource: Resource) -> dict[str, Any]:
    resource.refresh_from_db()
    fields = {
        f.name: getattr(resource, f.name)
        for f in Resource._meta.concrete_fields
        # The version counts the saves, the same content saved again included.
        if f.name not in ("id", "updated_at", "version")
    }
    fields["items"] = list(
        resource.items.order_by("position").values(
            "code",
            "name",
            "data_type",
            "length",
            "is_personal",
            "sensitivity",
            "share_attribute",
            "legal_basis",
            "negative_scope",
            "review_date",
        )
    )
    fields["related"] = sorted(resource.related.values_list("code", flat=True))
    return fields


def posted_as_shown(client: Client, path: str) -> dict[str, str]:
    """The edit form's fields as the page fills them in, ready to post back unchanged."""
    form = client.get(path).context["form"]
    data: dict[str, str] = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else str(value)
    return data


def test_saving_the_form_unchanged_keeps_everything(cast: CatalogCast) -> None:
    other = actions.do_create_resource(
        cast.market, resource_input("104000000/000001"), actor=TEST_ACTOR
    )
    items = list(ENTERPRISE.items)
    items[3] = replace(items[3], review_date=date(2099, 3, 31))
    resource = actions.do_create_resource(
        cast.market,
        replace(
            ENTERPRISE,
            open_attribute="conditional",
            open_conditions="经实名注册后开放",
            review_date=date(2099, 6, 30),
            extension={"联系人": "吴十", "版本": 2, "备注": "多行\n说明", "编号": "0731"},
            items=items,
            related=[other.code],
        ),
        actor=TEST_ACTOR,
    )
    before = snapshot(resource)
    client = logged_in(cast.officer)
    path = f"/catalog/resource/{resource.slug}/edit/"
    data = posted_as_shown(client, path)
    response = client.post(path, data)
    assert response.status_code == 302, response.context["form"].errors
    after = snapshot(resource)
    assert after == before
    assert after["extension"]["联系人"] == "吴十"
    assert after["items"][3]["negative_scope"] == "仅登记机关"


def test_the_form_edits_the_extension_fields_and_review_dates(cast: CatalogCast) -> None:
    client = logged_in(cast.officer)
    response = client.post(
        "/catalog/new/",
        {
            **FORM,
            "open_conditions": "实名注册",
            "review_date": "2099-06-30",
            "extension": "联系人=吴十\n电话 = 0731-88888888\n\n",
            "items": "uscc|统一社会信用代码|C|18\n"
            "rep|法定代表人身份证号|C|18|是|敏感|不予共享|《中华人民共和国个人信息保护法》第二十八条"
            "|仅登记机关|2099-12-31",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    resource = Resource.objects.get(code=FORM["code"])
    assert resource.open_conditions == "实名注册"
    assert resource.review_date == date(2099, 6, 30)
    assert resource.extension == {"联系人": "吴十", "电话": "0731-88888888"}
    rep = resource.items.get(code="rep")
    assert (rep.negative_scope, rep.review_date) == ("仅登记机关", date(2099, 12, 31))
    refused = client.post("/catalog/new/", {**FORM, "extension": "联系人", "items": "a|甲|C"})
    assert "扩展字段第1行" in refused.content.decode()


def test_the_items_box_speaks_the_chinese_labels(cast: CatalogCast) -> None:
    client = logged_in(cast.officer)
    response = client.post(
        "/catalog/new/",
        {
            **FORM,
            "items": "uscc|统一社会信用代码|字符型C|18|否|公开\n"
            "pid|身份证号|C|18|Y|敏感|有条件共享|《中华人民共和国居民身份证法》第十三条\n"
            "closed|注销日期|日期型|\t|false|internal|conditional|《某某条例》第三条\n"
            "ok|是否注销|B||true",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    resource = Resource.objects.get(code=FORM["code"])
    got = list(
        resource.items.order_by("position").values_list(
            "data_type", "length", "is_personal", "sensitivity", "share_attribute"
        )
    )
    assert got == [
        ("C", 18, False, "public", ""),
        ("C", 18, True, "sensitive", "conditional"),
        ("D", None, False, "internal", "conditional"),
        ("B", None, True, "internal", ""),
    ]
    page = client.get(f"/catalog/resource/{resource.slug}/edit/").content.decode()
    assert "pid|身份证号|字符型C|18|是|敏感|有条件共享|" in page
    assert "|sensitive|" not in page and "|conditional|" not in page
    # The help text says what each column accepts.
    for accepted in (
        "字符型C",
        "公开、内部、敏感、核心",
        "无条件共享、有条件共享、不予共享",
        "是/否",
    ):
        assert accepted in page


def test_the_items_box_refuses_what_it_cannot_read(cast: CatalogCast) -> None:
    client = logged_in(cast.officer)
    response = client.post(
        "/catalog/new/",
        {
            **FORM,
            "items": "uscc|统一社会信用代码|C|18\n"
            "pid|身份证号|C|abc|Y|sensitive\n"
            "pid2|身份证号|C|18|maybe|绝密\n"
            "x|甲|字符|1|否|内部|有时共享\n"
            "uscc|重复|C",
        },
    )
    assert response.status_code == 200
    assert not Resource.objects.filter(code=FORM["code"]).exists()
    errors = " ".join(response.context["form"].errors["items"])
    assert "第2行“数据长度”" in errors
    assert "第3行“个人信息”" in errors and "第3行“敏感级别”" in errors
    assert "第4行“数据类型”" in errors and "第4行“共享属性”" in errors
    assert "第5行“信息项代码”" in errors


def test_the_english_pages_name_the_columns_of_a_refusal_in_english(cast: CatalogCast) -> None:
    client = logged_in(cast.officer)
    client.cookies["django_language"] = "en"
    response = client.post("/catalog/new/", {**FORM, "items": "x|甲|字符|1|否|内部|有时共享"})
    errors = " ".join(response.context["form"].errors["items"])
    assert "“Data type”" in errors and "“Share attribute”" in errors
    assert "数据类型" not in errors and "共享属性" not in errors
    # A draft stored before its review date passed is refused at submission.
    draft = actions.do_create_resource(
        cast.market,
        resource_input(
            share_attribute="none", legal_basis="《中华人民共和国数据安全法》第三十八条"
        ),
        actor=TEST_ACTOR,
    )
    Resource.objects.update(review_date=date(2020, 6, 30))
    refused = client.post(f"/catalog/resource/{draft.slug}/submit/", follow=True)
    [message] = [str(m) for m in refused.context["messages"]]
    assert "“Review date”" in message and "复核日期" not in message


def test_the_data_bureau_reviews_but_does_not_compile_other_departments_entries(
    cast: CatalogCast,
) -> None:
    draft = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    assert not may_edit(cast.bureau, draft) and may_review(cast.bureau, draft)
    bureau = logged_in(cast.bureau)
    # The forms offer only the bureau's own department as the provider.
    for path in ("/catalog/new/", "/catalog/upload/"):
        choices = [
            code for code, _label in bureau.get(path).context["form"].fields["department"].choices
        ]
        assert [str(code) for code in choices if code] == ["cs-data"]
    assert bureau.post("/catalog/new/", {**FORM, "items": "a|甲|C"}).status_code == 200
    assert not Resource.objects.filter(code=FORM["code"]).exists()
    assert bureau.get(f"/catalog/resource/{draft.slug}/edit/").status_code in (403, 404)
    payload = {**FORM, "department_code": "cs-market", "items": []}
    assert bureau.post("/api/catalog/resources", payload, "application/json").status_code == 404
    put = bureau.put(
        f"/api/catalog/resources/{draft.slug}",
        {**FORM, "code": draft.code, "department_code": "cs-market", "items": []},
        "application/json",
    )
    assert put.status_code in (403, 404)
    assert bureau.post(f"/catalog/resource/{draft.slug}/submit/").status_code in (403, 404)
    # Its own department's entries it compiles like any other officer.
    own = bureau.post("/catalog/new/", {**FORM, "department": "cs-data", "items": "a|甲|C"})
    assert own.status_code == 302
    # The provider's officer submits; the bureau still reviews and publishes.
    officer = logged_in(cast.officer)
    officer.post(f"/catalog/resource/{draft.slug}/submit/")
    for step in ("review", "publish"):
        assert bureau.post(f"/catalog/resource/{draft.slug}/{step}/").status_code == 302
    draft.refresh_from_db()
    assert draft.state == "published"


def test_values_no_column_can_hold_are_refused_on_the_form_and_the_api(
    cast: CatalogCast,
) -> None:
    client = logged_in(cast.officer)
    for extension in ("a=NaN", "a=1e999", "a=-Infinity"):
        refused = client.post("/catalog/new/", {**FORM, "extension": extension, "items": "a|甲|C"})
        assert refused.status_code == 200
        assert "NaN" in " ".join(refused.context["form"].errors["extension"])
    huge = client.post("/catalog/new/", {**FORM, "items": f"a|甲|C|{10**20}"})
    assert huge.status_code == 200
    assert "“数据长度”" in " ".join(huge.context["form"].errors["items"])
    assert not Resource.objects.filter(code=FORM["code"]).exists()
    item = {"code": "a", "name": "甲", "data_type": "C"}
    payload = {**FORM, "department_code": "cs-market", "items": [item]}
    for changes in (
        {"name": "名" * 201},
        {"items": [{**item, "name": "项" * 101}]},
        {"items": [{**item, "length": 0}]},
    ):
        answer = client.post("/api/catalog/resources", {**payload, **changes}, "application/json")
        assert answer.status_code in (400, 422), answer.json()
        assert answer.json()["code"] in ("invalid_input", "out_of_range")
    nan = client.post(
        "/api/catalog/resources",
        json.dumps(payload).replace('"items"', '"extension": {"a": NaN}, "items"'),
        "application/json",
    )
    assert nan.status_code == 400 and "extension" in nan.json()["detail"]["fields"]
    assert not Resource.objects.filter(code=FORM["code"]).exists()


def test_the_api_refuses_related_codes_the_caller_may_not_see_as_unknown(
    cast: CatalogCast,
) -> None:
    draft = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    county = logged_in(cast.county_officer)
    item = {"code": "a", "name": "甲", "data_type": "C"}
    payload = {**FORM, "department_code": "fr-market", "code": "304000000/000009", "items": [item]}
    answers = {
        code: county.post(
            "/api/catalog/resources", {**payload, "related": [code]}, "application/json"
        )
        for code in (draft.code, "304000000/000099")
    }
    # Another department's draft and a code nobody used read alike.
    for code, answer in answers.items():
        assert answer.status_code == 400, answer.json()
        assert answer.json()["detail"]["fields"]["related"] == f"目录中没有这些资源：{code}。"
    assert not Resource.objects.filter(code="304000000/000009").exists()
    own = actions.do_create_resource(
        cast.county, resource_input("304000000/000009"), actor=TEST_ACTOR
    )
    put = county.put(
        f"/api/catalog/resources/{own.slug}",
        {**payload, "related": [draft.code]},
        "application/json",
    )
    assert put.status_code == 400 and "related" in put.json()["detail"]["fields"]
    assert not draft.related.exists()


def test_the_upload_refuses_related_codes_the_uploader_may_not_see_as_unknown(
    cast: CatalogCast,
) -> None:
    draft = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    item = ["", "a", "甲", "C"]
    naming_the_draft = ["304000000/000002", *GOOD[1:15], draft.code]
    naming_that_row = ["304000000/000003", "食品经营许可变更信息", *GOOD[2:15], "304000000/000002"]
    good = ["304000000/000004", "食品经营许可注销信息", *GOOD[2:15], ""]
    file = workbook(
        [naming_the_draft, naming_that_row, good],
        [
            [code, *item[1:]]
            for code in ("304000000/000002", "304000000/000003", "304000000/000004")
        ],
    )
    file.name = "catalog.xlsx"
    county = logged_in(cast.county_officer)
    response = county.post("/catalog/upload/", {"department": "fr-market", "file": file})
    problems = {(p.sheet, p.row): p.reason for p in response.context["problems"]}
    assert problems[("资源", 2)] == f"“关联资源”：目录中没有这些资源：{draft.code}。"
    # A row naming a row that is not imported is not imported either.
    assert "304000000/000002" in problems[("资源", 3)]
    assert [r.code for r in response.context["created"]] == ["304000000/000004"]
    assert not draft.related.exists()


def test_the_form_hides_related_entries_the_editor_may_not_see_and_keeps_them(
    cast: CatalogCast,
) -> None:
    mine = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    # A link to the data bureau's draft, stored both ways when links were
    # symmetric and the draft named this entry.
    item = {"code": "a", "name": "甲", "data_type": "C"}
    hidden = actions.do_create_resource(
        cast.data_bureau, resource_input("304000000/000009"), actor=TEST_ACTOR
    )
    mine.related.add(hidden)
    visible = actions.do_create_resource(
        cast.market, resource_input("104000000/000001"), actor=TEST_ACTOR
    )
    mine.related.add(visible)
    officer = logged_in(cast.officer)
    path = f"/catalog/resource/{mine.slug}/edit/"
    data = posted_as_shown(officer, path)
    assert data["related"] == visible.code
    assert "304000000/000009" not in officer.get(path).content.decode()
    saved = officer.post(path, data)
    assert saved.status_code == 302, saved.context["form"].errors
    assert sorted(mine.related.values_list("code", flat=True)) == [
        "104000000/000001",
        "304000000/000009",
    ]
    # Taking the visible one out leaves the hidden one.
    data = posted_as_shown(officer, path)
    assert officer.post(path, {**data, "related": ""}).status_code == 302
    assert list(mine.related.values_list("code", flat=True)) == ["304000000/000009"]
    # The API's replacement keeps it too, and shows only what the caller sees.
    api = officer.put(
        f"/api/catalog/resources/{mine.slug}",
        {**FORM, "code": mine.code, "department_code": "cs-market", "items": [item]},
        "application/json",
    )
    assert api.status_code == 200 and api.json()["related"] == []
    assert list(mine.related.values_list("code", flat=True)) == ["304000000/000009"]


def test_opening_on_conditions_needs_the_conditions_in_the_api_and_the_workbook(
    cast: CatalogCast,
) -> None:
    client = logged_in(cast.officer)
    body = {
        "department_code": "cs-market",
        "code": "102000000/000011",
        "name": "企业注销信息",
        "abstract": "注销登记。",
        "format": "database",
        "share_attribute": "unconditional",
        "share_method": "api",
        "open_attribute": "conditional",
        "update_cycle": "daily",
        "items": [{"code": "uscc", "name": "统一社会信用代码", "data_type": "C"}],
    }
    refused = client.post("/api/catalog/resources", body, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["detail"]["fields"] == {"open_conditions": "有条件开放须写明开放条件。"}
    assert not Resource.objects.exists()
    body["open_conditions"] = "经实名注册后开放"
    made = client.post("/api/catalog/resources", body, content_type="application/json")
    assert made.status_code == 201
    row = list(GOOD)
    row[8] = "有条件开放"
    problems = upload(cast, workbook([row], [item_row(str(GOOD[0]), "uscc", "统一社会信用代码")]))
    assert problems == {("资源", 2): "“开放条件”：有条件开放须写明开放条件。"}
