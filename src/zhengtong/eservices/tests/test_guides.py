"""Finding guides the way people ask, the public guide pages, and the demo items."""

import re

import pytest
from django.test import Client

from zhengtong.core.errors import Conflict
from zhengtong.core.testing import TEST_ACTOR, make_department
from zhengtong.eservices import actions, application_actions
from zhengtong.eservices.demo import load_demo_service_items
from zhengtong.eservices.forms_engine import fields_of
from zhengtong.eservices.models import Application, ServiceItem
from zhengtong.eservices.selectors import ItemFilters, search_items
from zhengtong.eservices.tests.test_items_cast import ItemsCast, cast, item_input
from zhengtong.portal.entries import safe_reverse

__all__ = ["cast"]

FOOD = "食品经营许可证核发"
INDIVIDUAL = "个体工商户设立登记"
ENROLMENT = "城乡居民基本养老保险参保登记"
PENSION = "城乡居民基本养老保险待遇领取"
HYGIENE = "公共场所卫生许可"
RESTAURANT = "开办餐饮店“一件事”"


@pytest.fixture
def demo(cast: ItemsCast) -> ItemsCast:
    # The restaurant bundle's fire-safety lane needs the city's fire brigade.
    make_department("长沙市消防救援支队", code="cs-fire", region=cast.market.region)
    assert load_demo_service_items(actor=TEST_ACTOR) == 6
    return cast


def names(query: str, **filters: str) -> list[str]:
    return [hit.item.name for hit in search_items(ItemFilters(query, **filters))]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("开饭店", FOOD),
        ("我想开个饭店，要办什么证", FOOD),
        ("开餐馆", FOOD),
        ("卖吃的", FOOD),
        ("开奶茶店", FOOD),
        ("食品经营许可", FOOD),
        ("开店", INDIVIDUAL),
        ("个体户", INDIVIDUAL),
        ("摆摊", INDIVIDUAL),
        ("营业执照怎么办", INDIVIDUAL),
        ("理发店", HYGIENE),
        ("开美容院", HYGIENE),
        ("宾馆", HYGIENE),
        ("游泳馆要办什么许可", HYGIENE),
        ("领养老钱", PENSION),
        ("养老金", PENSION),
        ("交社保", ENROLMENT),
        ("开餐饮店一件事", RESTAURANT),
    ],
)
def test_people_find_the_item_the_way_they_ask(demo: ItemsCast, query: str, first: str) -> None:
    assert names(query)[0] == first


def test_retirement_finds_the_pension_items(demo: ItemsCast) -> None:
    assert set(names("退休")[:2]) == {ENROLMENT, PENSION}
    assert set(names("退休了怎么领钱")[:2]) == {ENROLMENT, PENSION}


def test_opening_a_restaurant_finds_the_food_licence_before_the_one_thing(demo: ItemsCast) -> None:
    found = names("开饭店")
    assert found[0] == FOOD
    assert RESTAURANT in found
    assert INDIVIDUAL not in found[:1] and ENROLMENT not in found


def test_unrelated_questions_find_nothing(demo: ItemsCast) -> None:
    assert names("结婚登记") == []
    assert names("   ") == names("")
    assert len(names("")) == 6


def test_filters_by_target_department_and_type(demo: ItemsCast) -> None:
    legal = names("", target="legal")
    assert HYGIENE in legal and FOOD in legal  # "both" counts for legal persons
    assert ENROLMENT not in legal and INDIVIDUAL not in legal
    assert set(names("", department="cs-hrss")) == {ENROLMENT, PENSION}
    assert names("", item_type="payment") == [PENSION]
    assert names("退休", department="cs-market") == []


def test_the_guide_list_is_public_and_searchable(demo: ItemsCast) -> None:
    client = Client()
    page = client.get("/services/guides/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "办事指南" in text and FOOD in text and HYGIENE in text
    found = client.get("/services/guides/", {"q": "开饭店"}).content.decode()
    assert found.index(FOOD) < found.index(RESTAURANT)
    assert PENSION not in found
    partial = client.get("/services/guides/", {"q": "退休"}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "<html" not in body and PENSION in body
    none = client.get("/services/guides/", {"q": "结婚登记"}).content.decode()
    assert "没有找到与“结婚登记”相关的事项" in none
    filtered = client.get("/services/guides/", {"department": "cs-hrss"}).content.decode()
    assert ENROLMENT in filtered and FOOD not in filtered


def test_the_guide_tells_everything_on_one_page(demo: ItemsCast) -> None:
    page = Client().get("/services/guides/010011700100/")
    assert page.status_code == 200
    text = page.content.decode()
    for fact in (
        FOOD,
        "《中华人民共和国食品安全法》第三十五条",
        "《食品经营许可和备案管理办法》",
        "长沙市市场监督管理局",
        "承诺件",
        "10个工作日",
        "5个工作日",
        "全程网办",
        "不收费",
        "营业执照",
        "法定代表人（负责人）身份证明",
        "免提交",
        "电子证照",
        "需上传",
        "可容缺",
        "听证",
        "不计入办结时限",
        "只卖包装好的零食饮料",
        "0731-12345",
        "12315",
    ):
        assert fact in text, fact
    # A step's days in brackets of the reader's language.
    assert re.search(r"</strong>（\d+个工作日）", text)
    english = Client().get("/services/guides/010011700100/", HTTP_ACCEPT_LANGUAGE="en")
    english_text = english.content.decode()
    assert re.search(r"</strong> \(\d+ working days?\)", english_text)
    apply = safe_reverse("eservices:apply")
    if apply:
        assert f'href="{apply}?item=010011700100"' in text
    else:
        assert "在线办理即将开通" in text


def test_the_parallel_item_names_its_departments(demo: ItemsCast) -> None:
    text = Client().get("/services/guides/200090100100/").content.decode()
    assert "并联审批部门" in text and "长沙市生态环境局" in text
    assert "公众聚集场所" in text


def test_drafts_and_unknown_codes_are_not_found(cast: ItemsCast) -> None:
    item = actions.do_create_service_item(cast.market, item_input(), actor=TEST_ACTOR)
    client = Client()
    assert client.get(f"/services/guides/{item.code}/").status_code == 404
    assert client.get("/services/guides/999999999999/").status_code == 404
    client.force_login(cast.clerk)
    assert client.get(f"/services/guides/{item.code}/").status_code == 404
    client.force_login(cast.manager)
    page = client.get(f"/services/guides/{item.code}/").content.decode()
    assert "草稿" in page and "在线办理" not in page.split("草稿")[1][:200]


def test_a_suspended_guide_says_so(demo: ItemsCast) -> None:
    item = ServiceItem.objects.get(code="010020500100")
    actions.do_suspend_service_item(item, "许可系统升级", actor=TEST_ACTOR)
    text = Client().get("/services/guides/010020500100/").content.decode()
    assert "该事项暂停办理" in text
    assert HYGIENE not in Client().get("/services/guides/").content.decode()


def test_the_portal_card_links_to_the_guides() -> None:
    assert safe_reverse("eservices:guides") == "/services/guides/"


def test_demo_items_are_complete_and_loaded_once(demo: ItemsCast) -> None:
    assert load_demo_service_items(actor=TEST_ACTOR) == 0
    items = list(ServiceItem.objects.order_by("code"))
    assert len(items) == 6 and all(item.state == "published" for item in items)
    for item in items:
        sources = {m.source for m in item.materials.all()}
        assert "exchange" in sources, item.name
        assert item.form_schema["type"] == "object" and item.form_schema["required"]
        assert set(item.form_schema["required"]) <= set(item.form_schema["properties"])
        assert item.faqs and item.steps
    prefills = [
        prop["x-prefill"]
        for item in items
        for prop in item.form_schema["properties"].values()
        if "resource" in prop.get("x-prefill", {})
    ]
    assert {p["resource"] for p in prefills} == {"102000000/000001", "101000000/000001"}
    licences = {m.licence_type for m in ServiceItem.objects.get(name=FOOD).materials.all()}
    assert "business_licence" in licences
    processes = {item.process_id for item in items}
    assert {
        "food_business_licence",
        "individual_business_registration",
        "rural_urban_pension_enrolment",
        "public_place_hygiene_licence",
        "restaurant_opening",
    } <= processes


@pytest.mark.django_db
def test_the_bare_addresses_lead_to_the_guides_and_the_licences() -> None:
    client = Client()
    assert client.get("/services/")["Location"] == "/services/guides/"
    # 在线申请 from a menu, with no item chosen yet: the guides are where one is chosen.
    assert client.get("/services/apply/")["Location"] == "/services/guides/"
    assert client.get("/licences/")["Location"] == "/licences/mine/"


def test_an_item_without_a_process_claims_no_online_service_and_names_the_place(
    demo: ItemsCast,
) -> None:
    item = ServiceItem.objects.get(code="050030200100")
    assert not item.process_id
    client = Client()
    client.force_login(demo.citizen)
    text = client.get("/services/guides/050030200100/").content.decode()
    assert "全程网上办理" not in text and "在线办理" not in text
    assert "?item=050030200100" not in text
    assert "暂未开通网上申请" in text and item.place in text
    listed = client.get("/services/guides/", {"q": "领养老钱"}).content.decode()
    assert "零跑动" not in listed.split(PENSION)[1].split("</li>")[0]


def test_no_draft_is_left_for_an_item_without_a_process(demo: ItemsCast) -> None:
    item = ServiceItem.objects.get(code="050030200100")
    with pytest.raises(Conflict) as refused:
        application_actions.do_save_draft(item, {}, acting_user=demo.citizen)
    assert refused.value.code == "no_process"
    assert not Application.objects.exists()
    client = Client()
    client.force_login(demo.citizen)
    client.get("/services/apply/", {"item": "050030200100"})
    client.post("/services/apply/", {"item": "050030200100"})
    assert not Application.objects.exists()


def test_the_guide_counts_and_marks_the_online_form_as_the_apply_page_does(
    demo: ItemsCast,
) -> None:
    item = ServiceItem.objects.get(code="010011700100")
    form = item.materials.get(name="食品经营许可申请书")
    assert "无需另行上传" in form.notes
    text = Client().get("/services/guides/010011700100/").content.decode()
    row = text.split("食品经营许可申请书</td>")[1].split("</tr>")[0]
    assert '<span class="tag tag-ok">在线填写</span>' in row and "需上传" not in row
    # The same rule as the apply page: what the platform gets or the form makes.
    nothing = sum(
        1
        for m in item.materials.all()
        if m.source != "upload" or application_actions.is_application_form(m)
    )
    assert nothing == 4
    assert f"其中 {nothing} 项材料无需另行提交" in text


def test_every_field_of_the_demo_forms_has_a_bound(demo: ItemsCast) -> None:
    for item in ServiceItem.objects.all():
        for name, field in fields_of(item.form_schema).items():
            if "enum" in field or field.get("type") == "boolean":
                continue
            if field.get("type") == "string":
                assert isinstance(field.get("maxLength"), int), (item.name, name)
            else:
                assert isinstance(field.get("maximum"), int), (item.name, name)


def test_the_item_search_refuses_a_query_over_a_hundred_characters(demo: ItemsCast) -> None:
    client = Client()
    assert client.get("/api/services/items", {"q": "开" * 100}).status_code == 200
    refused = client.get("/api/services/items", {"q": "开饭店" * 34})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_input"
    assert "q" in str(refused.json()["detail"])


def test_the_guide_page_says_a_query_is_too_long_instead_of_listing_everything(
    demo: ItemsCast,
) -> None:
    client = Client()
    for headers in ({}, {"HX-Request": "true"}):
        page = client.get("/services/guides/", {"q": "开饭店" * 34}, headers=headers)
        assert page.status_code == 200
        text = page.content.decode()
        assert "搜索内容最多100个字，请精简后再搜索。" in text
        assert FOOD not in text and HYGIENE not in text
