"""Search, share decisions, the negative list, DCAT, the API and the pages."""

import io
import json
import re
from dataclasses import replace

import pytest
from django.test import Client
from django.utils import translation

from zhengtong.catalog import actions
from zhengtong.catalog.demo import DEMO, load_demo_catalog
from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.selectors import (
    SearchFilters,
    Verdict,
    negative_list,
    search_resources,
    share_decision,
)
from zhengtong.catalog.tests.cast import ENTERPRISE, PASSWORD, CatalogCast, publish, resource_input
from zhengtong.catalog.xlsx import parse_workbook
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_create_staff
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def published(cast: CatalogCast) -> Resource:
    publish(
        actions.do_create_resource(
            cast.market,
            resource_input(
                "305000000/000001",
                name="排污许可信息",
                abstract="排污单位的许可证。",
                keywords="排污",
                open_attribute="none",
                items=[actions.ItemInput("permit", "许可证编号", "C", 30)],
            ),
            actor=TEST_ACTOR,
        )
    )
    return publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))


def test_searching_licence_finds_the_enterprise_register(published: Resource) -> None:
    hits = search_resources(SearchFilters("营业执照"))
    assert [h.resource.code for h in hits] == [published.code]
    assert hits[0].score > 0
    assert search_resources(SearchFilters("企业登记 执照"))[0].resource == published
    assert search_resources(SearchFilters("婚姻")) == []


def test_filters(published: Resource, cast: CatalogCast) -> None:
    assert len(search_resources(SearchFilters())) == 2
    assert len(search_resources(SearchFilters(category="1"))) == 1
    assert len(search_resources(SearchFilters(provider=cast.county.code))) == 0
    assert len(search_resources(SearchFilters(share_attribute="none"))) == 0


def test_drafts_are_not_found(cast: CatalogCast) -> None:
    actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    assert search_resources(SearchFilters("营业执照")) == []


def test_share_decision(published: Resource) -> None:
    decision = share_decision(published, ["uscc", "phone", "legal_rep_id", "nope"])
    assert decision.items == {
        "uscc": Verdict.OPEN,
        "phone": Verdict.GRANT,
        "legal_rep_id": Verdict.NEVER,
        "nope": Verdict.UNKNOWN,
    }
    assert decision.published and not decision.shareable
    grant = share_decision(published, ["uscc", "phone"])
    assert grant.shareable and grant.needs_grant
    retired = actions.do_retire_resource(published, "停止采集", actor=TEST_ACTOR)
    assert share_decision(retired, ["uscc"]).items == {"uscc": Verdict.NEVER}


def test_a_not_shared_resource_shares_no_item(cast: CatalogCast) -> None:
    resource = publish(
        actions.do_create_resource(
            cast.market,
            resource_input(
                share_attribute="none",
                share_method="",
                open_attribute="none",
                legal_basis="《婚姻登记条例》第二十条",
                negative_scope="全部",
            ),
            actor=TEST_ACTOR,
        )
    )
    assert share_decision(resource, ["uscc"]).items == {"uscc": Verdict.NEVER}
    entries = negative_list()
    assert [(e.resource.code, e.item) for e in entries] == [(resource.code, None)]
    assert entries[0].legal_basis == "《婚姻登记条例》第二十条"


def test_negative_list_page_and_api(published: Resource) -> None:
    client = Client()
    body = client.get("/api/catalog/negative-list").json()
    assert body == [
        {
            "resource_code": published.code,
            "resource_name": "企业登记信息",
            "provider_name": "长沙市市场监督管理局",
            "item_code": "legal_rep_id",
            "item_name": "法定代表人身份证件号码",
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "scope": "仅登记机关",
            "review_date": "2099-06-30",
            "missing": [],
            "review_due": body[0]["review_due"],
            "last_review_id": 0,
            "fingerprint": body[0]["fingerprint"],
        }
    ]
    assert re.fullmatch(r"[0-9a-f]{16}", body[0]["fingerprint"])
    page = client.get("/catalog/negative-list/")
    assert "法定代表人身份证件号码" in page.content.decode()


def test_dcat_lists_the_open_published_part(published: Resource) -> None:
    body = Client().get("/api/catalog/dcat.jsonld").json()
    assert body["@type"] == "dcat:Catalog"
    assert "dcat" in body["@context"] and "dct" in body["@context"]
    [dataset] = body["dcat:dataset"]  # the closed 排污许可信息 is left out
    assert dataset["@type"] == "dcat:Dataset"
    assert dataset["dct:identifier"] == published.code
    assert dataset["dct:title"]["@value"] == "企业登记信息"
    assert dataset["dct:publisher"]["foaf:name"] == "长沙市市场监督管理局"
    assert dataset["dcat:keyword"] == ["企业登记"]
    assert dataset["dct:accrualPeriodicity"]["@id"].endswith("/frequency/CONT")
    assert dataset["dct:issued"]["@value"] == published.publish_date.isoformat()  # type: ignore[union-attr]


def test_each_dcat_dataset_names_the_page_of_its_entry(published: Resource) -> None:
    body = Client().get("/api/catalog/dcat.jsonld").json()
    [dataset] = body["dcat:dataset"]
    assert dataset["@id"] == f"http://testserver/catalog/resource/{published.slug}/"
    page = Client().get(dataset["@id"].removeprefix("http://testserver"))
    assert page.status_code == 200
    assert published.name in page.content.decode()


def test_api_search_and_detail(published: Resource) -> None:
    client = Client()
    hits = client.get("/api/catalog/resources", {"q": "营业执照"}).json()
    assert [h["code"] for h in hits] == [published.code]
    detail = client.get(f"/api/catalog/resources/{published.slug}").json()
    assert [i["code"] for i in detail["items"]][:2] == ["uscc", "name"]
    assert detail["items"][3]["share_attribute"] == "none"


def test_a_published_entry_names_no_related_draft_to_those_who_may_not_see_it(
    cast: CatalogCast,
) -> None:
    draft = actions.do_create_resource(
        cast.market, resource_input("304000000/000031", name="食品抽检计划"), actor=TEST_ACTOR
    )
    published = publish(
        actions.do_create_resource(
            cast.market,
            resource_input("304000000/000032", related=[draft.code]),
            actor=TEST_ACTOR,
        )
    )
    path = f"/api/catalog/resources/{published.slug}"
    assert Client().get(path).json()["related"] == []
    stranger = Client()
    stranger.force_login(cast.county_officer)
    assert stranger.get(path).json()["related"] == []
    officer = Client()
    officer.force_login(cast.officer)
    assert officer.get(path).json()["related"] == [draft.code]
    # The workbook of the published catalog does not name the draft either.
    parsed = parse_workbook(io.BytesIO(Client().get("/catalog/export.xlsx").content))
    assert [r.related for r in parsed.resources if r.code == published.code] == [[]]
    theirs = parse_workbook(io.BytesIO(officer.get("/catalog/export.xlsx").content))
    assert [r.related for r in theirs.resources if r.code == published.code] == [[draft.code]]


def test_drafts_are_hidden_from_others(cast: CatalogCast) -> None:
    resource = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    client = Client()
    assert client.get(f"/api/catalog/resources/{resource.slug}").status_code == 404
    client.force_login(cast.county_officer)
    assert client.get(f"/api/catalog/resources/{resource.slug}").status_code == 404
    assert client.get(f"/catalog/resource/{resource.slug}/").status_code == 404
    client.force_login(cast.officer)
    assert client.get(f"/api/catalog/resources/{resource.slug}").status_code == 200


def test_api_lifecycle_with_permissions(cast: CatalogCast) -> None:
    officer, bureau, other = Client(), Client(), Client()
    officer.force_login(cast.officer)
    bureau.force_login(cast.bureau)
    other.force_login(cast.county_officer)
    payload = {
        "department_code": "cs-market",
        "code": "102000000/000009",
        "name": "企业年报信息",
        "abstract": "企业年度报告。",
        "format": "database",
        "share_attribute": "unconditional",
        "share_method": "api",
        "open_attribute": "unconditional",
        "update_cycle": "yearly",
        "items": [{"code": "uscc", "name": "统一社会信用代码", "data_type": "C", "length": 18}],
    }
    assert other.post("/api/catalog/resources", payload, "application/json").status_code == 404
    made = officer.post("/api/catalog/resources", payload, "application/json")
    assert made.status_code == 201, made.json()
    slug = "102000000-000009"
    before = LedgerEntry.objects.count()
    assert officer.post(f"/api/catalog/resources/{slug}/submit").json()["state"] == "submitted"
    # Review belongs to the data bureau: the provider's own administrator
    # compiles the catalog but may not approve it.
    own = officer.post(f"/api/catalog/resources/{slug}/review")
    assert own.status_code == 403 and own.json()["code"] == "permission_denied"
    assert other.post(f"/api/catalog/resources/{slug}/review").status_code == 404
    assert bureau.post(f"/api/catalog/resources/{slug}/review").json()["state"] == "reviewed"
    # The data bureau does not compile another department's entries.
    assert bureau.post(f"/api/catalog/resources/{slug}/submit").status_code == 403
    assert officer.post(f"/api/catalog/resources/{slug}/submit").status_code == 409
    assert bureau.post(f"/api/catalog/resources/{slug}/publish").json()["state"] == "published"
    assert LedgerEntry.objects.count() == before + 3
    bad = dict(payload, code="102000000/000010", share_attribute="conditional")
    refused = officer.post("/api/catalog/resources", bad, "application/json")
    assert refused.status_code == 400
    assert "legal_basis" in refused.json()["detail"]["fields"]


def test_pages(published: Resource, cast: CatalogCast) -> None:
    client = Client()
    page = client.get("/catalog/", {"q": "营业执照"}).content.decode()
    assert "企业登记信息" in page and "排污许可信息" not in page
    partial = client.get("/catalog/", {"q": "营业执照"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    detail = client.get(f"/catalog/resource/{published.slug}/").content.decode()
    assert "营业执照" in detail and "下架" not in detail
    assert client.get("/catalog/mine/").status_code == 302
    client.force_login(cast.bureau)
    assert "下架" in client.get(f"/catalog/resource/{published.slug}/").content.decode()
    response = client.post(f"/catalog/resource/{published.slug}/retire/", {"reason": "停用"})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.state == "retired"


def test_the_pages_offer_their_tools_only_to_who_may_use_them(
    published: Resource, cast: CatalogCast
) -> None:
    detail = f"/catalog/resource/{published.slug}/"
    apply = f"/exchange/resource/{published.slug}/apply/"
    clerk = do_create_staff("lisi", PASSWORD, "李四", cast.market, ["clerk"], actor=TEST_ACTOR)
    reviewer = do_create_staff(
        "qianqi", PASSWORD, "钱七", cast.data_bureau, ["data_reviewer"], actor=TEST_ACTOR
    )
    client = Client()
    for user in (None, clerk):
        if user is not None:
            client.force_login(user)
        # Neither compiles the catalog nor applies for data: no link that would answer 403.
        assert 'href="/catalog/mine/"' not in client.get("/catalog/").content.decode()
        assert f'href="{apply}"' not in client.get(detail).content.decode()
    assert client.get("/catalog/mine/").status_code == 403
    # Another department's administrator applies for it.
    client.force_login(cast.county_officer)
    assert f'href="{apply}"' in client.get(detail).content.decode()
    assert client.get(apply).status_code == 200
    # A reviewer with nothing waiting sees the (empty) list, not a refusal.
    client.force_login(reviewer)
    assert 'href="/catalog/mine/"' in client.get("/catalog/").content.decode()
    assert client.get("/catalog/mine/").status_code == 200


def test_pages_create_and_submit(cast: CatalogCast) -> None:
    client = Client()
    client.force_login(cast.officer)
    assert client.get("/catalog/new/").status_code == 200
    response = client.post(
        "/catalog/new/",
        {
            "department": "cs-market",
            "code": "102000000/000011",
            "name": "企业注销信息",
            "abstract": "注销登记。",
            "format": "database",
            "share_attribute": "unconditional",
            "share_method": "api",
            "open_attribute": "unconditional",
            "update_cycle": "daily",
            "items": "uscc|统一社会信用代码|C|18\nclosed|注销日期|D",
        },
    )
    assert response.status_code == 302, response.content.decode()
    resource = Resource.objects.get(code="102000000/000011")
    assert [i.data_type for i in resource.items.order_by("position")] == ["C", "D"]
    client.post(f"/catalog/resource/{resource.slug}/submit/")
    resource.refresh_from_db()
    assert resource.state == "submitted"
    assert "企业注销信息" in client.get("/catalog/mine/").content.decode()
    other = Client()
    other.force_login(cast.county_officer)
    assert other.post(f"/catalog/resource/{resource.slug}/review/").status_code == 404


def test_the_page_form_links_related_resources(published: Resource, cast: CatalogCast) -> None:
    client = Client()
    client.force_login(cast.officer)
    form = {
        "department": "cs-market",
        "code": "102000000/000012",
        "name": "企业年报信息",
        "abstract": "企业年度报告。",
        "format": "database",
        "share_attribute": "unconditional",
        "share_method": "api",
        "open_attribute": "unconditional",
        "update_cycle": "yearly",
        "items": "uscc|统一社会信用代码|C|18",
    }
    refused = client.post("/catalog/new/", {**form, "related": "102000000/999999, abc"})
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "资源代码格式有误：abc" in page
    saved = client.post("/catalog/new/", {**form, "related": published.code})
    assert saved.status_code == 302
    resource = Resource.objects.get(code="102000000/000012")
    assert list(resource.related.values_list("code", flat=True)) == [published.code]
    edit_page = client.get(f"/catalog/resource/{resource.slug}/edit/").content.decode()
    assert f'value="{published.code}"' in edit_page
    # A draft of another department answers as a code not in the catalog.
    draft = actions.do_create_resource(
        cast.market, resource_input("304000000/000033", name="内部草稿"), actor=TEST_ACTOR
    )
    county = Client()
    county.force_login(cast.county_officer)
    for code in (draft.code, "304000000/000099"):
        answer = county.post("/catalog/new/", {**form, "department": "fr-market", "related": code})
        assert f"目录中没有这些资源：{code}" in answer.content.decode()


def test_demo_catalog_is_idempotent(db: None) -> None:
    from zhengtong.core.testing import make_department, make_region_tree

    city = make_region_tree().city
    for code in ("cs-market", "cs-police", "cs-hrss", "cs-environment", "cs-civil"):
        make_department(f"部门{code}", code=code, region=city)
    first = load_demo_catalog(actor=TEST_ACTOR)
    assert first >= 6
    assert load_demo_catalog(actor=TEST_ACTOR) == 0
    assert search_resources(SearchFilters("营业执照"))[0].resource.name == "企业登记信息"
    assert negative_list()
    assert json.dumps(Client().get("/api/catalog/dcat.jsonld").json(), ensure_ascii=False)
    assert Resource.objects.filter(state="published").count() >= 5
    credit = Resource.objects.get(code="104000000/000001")
    assert [r.name for r in credit.related.all()] == ["企业登记信息"]


def test_replace_keeps_items(published: Resource) -> None:
    assert replace(ENTERPRISE).items == ENTERPRISE.items


def test_pages_in_english(published: Resource) -> None:
    page = Client(headers={"Accept-Language": "en"}).get(f"/catalog/resource/{published.slug}/")
    text = page.content.decode()
    assert "Core metadata" in text and "Shared unconditionally" in text
    assert "核心元数据" not in text


# Item names that say the item is a person's identity number, name, phone or address.
PEOPLES_DETAILS = re.compile(r"身份证|公民身份号码|姓名|法定代表人|电话|手机|住址|户籍地址|坐落")


def test_the_demo_catalog_marks_every_persons_details_as_personal(db: None) -> None:
    from zhengtong.core.testing import make_department, make_region_tree

    city = make_region_tree().city
    for code in sorted({department for department, _, _ in DEMO}):
        make_department(f"部门{code}", code=code, region=city)
    assert load_demo_catalog(actor=TEST_ACTOR) == len(DEMO)

    page = Client().get("/catalog/resource/102000000-000001/").content.decode()
    row = page.split(">法定代表人</td>")[1].split("</tr>")[0]
    assert "<code>legal_rep</code>" in row and ">是</td>" in row
    for item in InformationItem.objects.select_related("resource"):
        if not PEOPLES_DETAILS.search(item.name):
            continue
        where = f"{item.resource.name} {item.name}"
        assert item.is_personal, where
        if "身份证" in item.name or "公民身份号码" in item.name:
            assert item.sensitivity in {"sensitive", "core"}, where


def test_a_resource_not_shared_is_never_in_the_open_data_whatever_is_stored(
    cast: CatalogCast,
) -> None:
    hidden = publish(
        actions.do_create_resource(
            cast.market,
            resource_input(
                share_attribute="none",
                share_method="",
                open_attribute="none",
                legal_basis="《婚姻登记条例》第二十条",
            ),
            actor=TEST_ACTOR,
        )
    )
    # As an entry stored before the actions refused the combination.
    Resource.objects.filter(pk=hidden.pk).update(open_attribute="unconditional")
    shown = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    dcat = Client().get("/api/catalog/dcat.jsonld").json()
    assert [d["dct:identifier"] for d in dcat["dcat:dataset"]] == [shown.code]


def test_the_api_shows_each_items_share_attribute_as_the_exchange_applies_it(
    cast: CatalogCast,
) -> None:
    resource = publish(
        actions.do_create_resource(
            cast.market,
            resource_input(
                share_attribute="none",
                share_method="",
                open_attribute="none",
                legal_basis="《中华人民共和国个人信息保护法》第二十八条",
                items=ENTERPRISE.items[:2],
            ),
            actor=TEST_ACTOR,
        )
    )
    # As an item stored before the actions refused a shared item in a resource not shared.
    InformationItem.objects.filter(resource=resource, code="uscc").update(
        share_attribute="unconditional"
    )
    shown = {
        item["code"]: item["share_attribute"]
        for item in Client().get(f"/api/catalog/resources/{resource.slug}").json()["items"]
    }
    assert shown == {"uscc": "none", "name": "none"}
    assert share_decision(resource, ["uscc", "name"]).items == {
        "uscc": Verdict.NEVER,
        "name": Verdict.NEVER,
    }
    # The page does not show the item's own, looser attribute either.
    page = Client().get(f"/catalog/resource/{resource.slug}/").content.decode()
    assert "无条件共享" not in page


def test_the_entry_page_shows_what_the_api_gives(cast: CatalogCast) -> None:
    # Sensitivity levels, the terms of a conditional opening and the extension
    # fields are the entry's metadata as much as its format is.
    resource = publish(
        actions.do_create_resource(
            cast.market,
            replace(
                ENTERPRISE,
                open_attribute="conditional",
                open_conditions="经实名注册后开放",
                extension={"联系人": "吴十", "版本": [1, 2]},
            ),
            actor=TEST_ACTOR,
        )
    )
    client = Client()
    api = client.get(f"/api/catalog/resources/{resource.slug}").json()
    assert api["open_conditions"] == "经实名注册后开放"
    assert api["items"][3]["sensitivity"] == "sensitive"
    page = client.get(f"/catalog/resource/{resource.slug}/").content.decode()
    assert "经实名注册后开放" in page
    assert "<dt>联系人</dt><dd>吴十</dd>" in page
    assert "<dt>版本</dt><dd>[1, 2]</dd>" in page
    assert re.search(r"法定代表人身份证件号码</td>.*?>敏感</td>", page, re.S)
    assert page.count(">内部</td>") == 4


def test_dcat_names_access_rights_and_keywords_as_dcat_ap_readers_expect(
    cast: CatalogCast,
) -> None:
    publish(
        actions.do_create_resource(
            cast.market,
            replace(ENTERPRISE, keywords="营业执照、企业登记；市场主体"),
            actor=TEST_ACTOR,
        )
    )
    publish(
        actions.do_create_resource(
            cast.market,
            resource_input(
                "304000000/000002", open_attribute="conditional", open_conditions="实名注册"
            ),
            actor=TEST_ACTOR,
        )
    )
    datasets = Client().get("/api/catalog/dcat.jsonld").json()["dcat:dataset"]
    rights = "http://publications.europa.eu/resource/authority/access-right/"
    assert [d["dct:accessRights"] for d in datasets] == [
        {"@id": rights + "PUBLIC"},
        {"@id": rights + "RESTRICTED"},
    ]
    assert datasets[0]["dcat:keyword"] == ["营业执照", "企业登记", "市场主体"]


def test_the_detail_page_brackets_its_notes_as_the_reader_writes_them(
    published: Resource,
) -> None:
    client = Client()
    url = f"/catalog/resource/{published.slug}/"
    method = published.get_share_method_display()
    code = published.provider_code
    chinese = re.sub(r"\s+", " ", client.get(url).content.decode())
    assert f"（{method}）" in chinese and f"（{code}）" in chinese
    with translation.override("en"):
        method = published.get_share_method_display()
    english = re.sub(r"\s+", " ", client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert f" ({method})" in english and f" ({code})" in english
    assert "（" not in english.split("<main", 1)[1].split("</main>", 1)[0]
