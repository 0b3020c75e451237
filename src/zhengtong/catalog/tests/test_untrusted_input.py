"""What would break the catalog is refused where it comes in, with a reason beside its
field or row, and what got in before cannot break the export.

Formulas, control characters, codes with a trailing newline, JSON that Python
will not read, broken sheets inside a valid file, and over-long reasons.
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook
from openpyxl.chart import BarChart

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource, ResourceTransition
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish
from zhengtong.catalog.tests.test_editing import FORM, logged_in, posted_as_shown
from zhengtong.catalog.tests.test_xlsx import GOOD, upload, workbook
from zhengtong.catalog.xlsx import RESOURCE_COLUMNS, RESOURCE_SHEET, parse_workbook
from zhengtong.core.testing import TEST_ACTOR

ITEM = {"code": "a", "name": "甲", "data_type": "C"}
PAYLOAD: dict[str, Any] = {**FORM, "department_code": "cs-market", "items": [ITEM]}
UNREADABLE = "文件不是有效的 XLSX 工作簿"


def sheets_xml(workbook_bytes: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as archive:
        return [
            archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        ]


def test_a_text_beginning_with_equals_is_exported_as_text_and_comes_back_as_it_was(
    cast: CatalogCast,
) -> None:
    formula = '=HYPERLINK("http://evil.example","x")'
    items = [replace(ENTERPRISE.items[0], name="=A1+1"), *ENTERPRISE.items[1:]]
    resource = publish(
        actions.do_create_resource(
            cast.market,
            replace(ENTERPRISE, name=formula, keywords="=1+1", items=items),
            actor=TEST_ACTOR,
        )
    )
    exported = Client().get("/catalog/export.xlsx")
    assert exported.status_code == 200
    for xml in sheets_xml(exported.content):
        assert "<f>" not in xml and "<f " not in xml
    resource.delete()
    problems = upload(cast, io.BytesIO(exported.content))
    assert problems == {}
    again = Resource.objects.get(code=ENTERPRISE.code)
    assert (again.name, again.keywords) == (formula, "=1+1")
    assert again.items.get(code="uscc").name == "=A1+1"


def test_control_characters_are_refused_by_the_form_beside_their_field(
    cast: CatalogCast,
) -> None:
    client = logged_in(cast.officer)
    refused = client.post(
        "/catalog/new/",
        {**FORM, "name": "企业\x0b注销", "open_conditions": "实名\x01注册", "items": "a|甲|C"},
    )
    assert refused.status_code == 200
    errors = refused.context["form"].errors
    assert "U+000B" in " ".join(errors["name"])
    assert "U+0001" in " ".join(errors["open_conditions"])
    items = client.post("/catalog/new/", {**FORM, "items": "a|甲\x1f乙|C"})
    assert "第1行“信息项名称”" in " ".join(items.context["form"].errors["items"])
    assert not Resource.objects.filter(code=FORM["code"]).exists()
    # A multi-line text keeps its line breaks and tabs.
    kept = client.post(
        "/catalog/new/",
        {**FORM, "abstract": "第一段\r\n\t第二段", "items": "a|甲|C"},
    )
    assert kept.status_code == 302, kept.context["form"].errors
    assert Resource.objects.get(code=FORM["code"]).abstract == "第一段\r\n\t第二段"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "名\x01称"}, "name"),
        ({"abstract": "摘\x02要"}, "abstract"),
        ({"keywords": "企业\n登记"}, "keywords"),
        ({"legal_basis": "《某某法》第十条\x7f"}, "legal_basis"),
        ({"share_conditions": "依申请\ufffe"}, "share_conditions"),
        ({"extension": {"联系人": "吴\x0b十"}}, "extension"),
        ({"extension": {"联\n系人": "吴十"}}, "extension"),
        ({"items": [{**ITEM, "name": "甲\x01"}]}, "items.a"),
        ({"items": [{**ITEM, "negative_scope": "全部\x85"}]}, "items.a"),
    ],
)
def test_control_characters_are_refused_by_the_api_field_by_field(
    cast: CatalogCast, changes: dict[str, Any], field: str
) -> None:
    client = logged_in(cast.officer)
    answer = client.post("/api/catalog/resources", {**PAYLOAD, **changes}, "application/json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["detail"]["fields"]
    assert not Resource.objects.exists()


def test_control_characters_a_workbook_can_hold_are_reported_at_their_row(
    cast: CatalogCast,
) -> None:
    # XML takes U+007F to U+009F, so a sheet can hold them; openpyxl writes them.
    row = ["304000000/000002", "食品\x7f经营许可信息", "许可证\x85信息", *GOOD[3:]]
    item = ["304000000/000002", "a", "甲\x9f", "C"]
    problems = upload(cast, workbook([row], [item]))
    assert "“资源名称”" in problems[(RESOURCE_SHEET, 2)]
    assert "“摘要”" in problems[(RESOURCE_SHEET, 2)]
    assert "“信息项名称”" in problems[("信息项", 2)] and "U+009F" in problems[("信息项", 2)]
    assert not Resource.objects.exists()


def test_an_entry_stored_with_control_characters_does_not_break_the_export(
    cast: CatalogCast,
) -> None:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    # As an entry stored before the actions refused them would hold them.
    Resource.objects.filter(pk=resource.pk).update(name="企业\x0b登记\ufffe信息", abstract="a\x01b")
    resource.items.filter(code="uscc").update(name="统一\x1b社会信用代码")
    exported = Client().get("/catalog/export.xlsx")
    assert exported.status_code == 200
    [again] = parse_workbook(io.BytesIO(exported.content)).resources
    assert (again.name, again.abstract) == ("企业登记信息", "ab")
    assert again.items[0].name == "统一社会信用代码"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "102000000/000011\n"}, "code"),
        ({"code": "304000000/00001１"}, "code"),  # a full-width digit
        ({"code": "102000000/000012", "items": [{**ITEM, "code": "a\n"}]}, "items.a\n"),
    ],
)
def test_codes_with_a_trailing_newline_or_other_digits_are_refused(
    cast: CatalogCast, changes: dict[str, Any], field: str
) -> None:
    actions.do_create_resource(
        cast.market, replace(ENTERPRISE, code="102000000/000011"), actor=TEST_ACTOR
    )
    client = logged_in(cast.officer)
    answer = client.post("/api/catalog/resources", {**PAYLOAD, **changes}, "application/json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["detail"]["fields"]
    assert list(Resource.objects.values_list("code", flat=True)) == ["102000000/000011"]


@pytest.mark.parametrize(
    "cell",
    [
        '{"a": ' + "1" * 5000 + "}",  # more digits than Python converts
        '{"a": ' + "[" * 5000 + "]" * 5000 + "}",  # deeper than the interpreter's stack
    ],
)
def test_json_python_will_not_read_is_a_bad_extension_cell(cast: CatalogCast, cell: str) -> None:
    row = [*GOOD[:14], cell]
    problems = upload(cast, workbook([row], [["304000000/000002", "a", "甲", "C"]]))
    assert "“扩展字段”" in problems[(RESOURCE_SHEET, 2)]
    assert not Resource.objects.exists()


def test_extension_fields_nested_too_deep_to_store_are_refused(cast: CatalogCast) -> None:
    deep = "[" * 30 + "]" * 30  # read, but deeper than any catalog metadata
    row = [*GOOD[:14], '{"a": ' + deep + "}"]
    problems = upload(cast, workbook([row], [["304000000/000002", "a", "甲", "C"]]))
    assert "“扩展字段”" in problems[(RESOURCE_SHEET, 2)]
    client = logged_in(cast.officer)
    answer = client.post(
        "/api/catalog/resources",
        json.dumps(PAYLOAD).replace('"items"', f'"extension": {{"a": {deep}}}, "items"'),
        "application/json",
    )
    assert answer.status_code == 400 and "extension" in answer.json()["detail"]["fields"]
    assert not Resource.objects.exists()


@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "1" * 5000])
def test_the_form_refuses_json_python_will_not_read(cast: CatalogCast, value: str) -> None:
    client = logged_in(cast.officer)
    refused = client.post("/catalog/new/", {**FORM, "extension": f"a={value}", "items": "a|甲|C"})
    assert refused.status_code == 200
    assert "扩展字段第1行" in " ".join(refused.context["form"].errors["extension"])
    assert not Resource.objects.exists()


def test_a_stored_text_that_looks_like_unreadable_json_is_shown_and_kept(
    cast: CatalogCast,
) -> None:
    texts = {"深": "[" * 5000 + "]" * 5000, "长": "1" * 5000}
    resource = actions.do_create_resource(
        cast.market, replace(ENTERPRISE, extension=texts), actor=TEST_ACTOR
    )
    client = logged_in(cast.officer)
    path = f"/catalog/resource/{resource.slug}/edit/"
    data = posted_as_shown(client, path)
    saved = client.post(path, data)
    assert saved.status_code == 302, saved.context["form"].errors
    resource.refresh_from_db()
    assert resource.extension == texts


def test_a_length_of_thousands_of_digits_is_out_of_range_not_an_error(
    cast: CatalogCast,
) -> None:
    digits = "9" * 5000
    client = logged_in(cast.officer)
    refused = client.post("/catalog/new/", {**FORM, "items": f"a|甲|C|{digits}"})
    assert refused.status_code == 200
    assert "第1行“数据长度”" in " ".join(refused.context["form"].errors["items"])
    problems = upload(cast, workbook([GOOD], [["304000000/000002", "a", "甲", "C", digits]]))
    assert "“数据长度”" in problems[("信息项", 2)]
    assert not Resource.objects.exists()


def _patched(file: io.BytesIO, member: str, change: Callable[[str], str]) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(file) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = change(data.decode()).encode()
            target.writestr(info, data)
    out.seek(0)
    return out


def _cut_sheet() -> io.BytesIO:
    file = workbook([GOOD], [["304000000/000002", "a", "甲", "C"]])
    return _patched(file, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])


def _letters_in_a_number_cell() -> io.BytesIO:
    file = workbook([GOOD], [["304000000/000002", "a", "甲", "C", 5]])
    return _patched(
        file, "xl/worksheets/sheet2.xml", lambda xml: xml.replace("<v>5</v>", "<v>abc</v>")
    )


def _chart_sheet_for_items() -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = RESOURCE_SHEET
    sheet.append(RESOURCE_COLUMNS)
    sheet.append(GOOD)
    book.create_chartsheet("信息项").add_chart(BarChart())
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


@pytest.mark.parametrize("broken", [_cut_sheet, _letters_in_a_number_cell, _chart_sheet_for_items])
def test_a_broken_sheet_inside_a_valid_file_is_an_unreadable_file(
    cast: CatalogCast, broken: Callable[[], io.BytesIO]
) -> None:
    problems = upload(cast, broken())
    assert list(problems) == [("", 0)]
    assert UNREADABLE in problems[("", 0)]
    assert not Resource.objects.exists()


def _submitted(cast: CatalogCast) -> Resource:
    resource = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    return actions.do_submit_resource(resource, actor=TEST_ACTOR)


def test_an_over_long_reason_is_refused_by_the_api_with_its_own_code(cast: CatalogCast) -> None:
    resource = _submitted(cast)
    bureau = logged_in(cast.bureau)
    path = f"/api/catalog/resources/{resource.slug}"
    refused = bureau.post(f"{path}/return", {"reason": "理" * 501}, "application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "reason_too_long"
    resource.refresh_from_db()
    assert resource.state == "submitted"
    # Trimmed first: 500 characters with spaces around them are 500 characters.
    returned = bureau.post(f"{path}/return", {"reason": f" {'理' * 500} "}, "application/json")
    assert returned.status_code == 200, returned.json()
    assert ResourceTransition.objects.filter(resource=resource).last().reason == "理" * 500  # type: ignore[union-attr]


def test_an_over_long_or_invisible_reason_is_refused_on_the_page(cast: CatalogCast) -> None:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    bureau = logged_in(cast.bureau)
    path = f"/catalog/resource/{resource.slug}/retire/"
    for reason, shown in (("停" * 501, "500"), ("停止\x0b采集", "U+000B")):
        page = bureau.post(path, {"reason": reason}, follow=True)
        assert page.status_code == 200
        assert shown in page.content.decode()
        resource.refresh_from_db()
        assert resource.state == "published"
    assert bureau.post(path, {"reason": "停止采集"}).status_code == 302
    resource.refresh_from_db()
    assert resource.state == "retired"
