"""The workbook: bad rows reported by sheet, row and reason; export then import round-trips."""

import io
from collections.abc import Sequence
from dataclasses import replace

from django.test import Client
from openpyxl import Workbook, load_workbook

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish
from zhengtong.catalog.xlsx import (
    ITEM_COLUMNS,
    ITEM_SHEET,
    RESOURCE_COLUMNS,
    RESOURCE_SHEET,
    export_workbook,
    parse_workbook,
)
from zhengtong.core.testing import TEST_ACTOR


def workbook(
    resources: Sequence[Sequence[object]], items: Sequence[Sequence[object]]
) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = RESOURCE_SHEET
    sheet.append(RESOURCE_COLUMNS)
    for row in resources:
        sheet.append(row)
    item_sheet = book.create_sheet(ITEM_SHEET)
    item_sheet.append(ITEM_COLUMNS)
    for row in items:
        item_sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


GOOD = [
    "304000000/000002",
    "食品经营许可信息",
    "许可证信息",
    "许可证",
    "数据库",
    "无条件共享",
    "",
    "接口",
    "无条件开放",
    "",
    "每日",
    "",
    "",
    None,
    "",
]


def test_bad_rows_are_reported_and_good_rows_kept(cast: CatalogCast) -> None:
    file = workbook(
        [
            GOOD,
            [
                "bad-code",
                "坏代码",
                "摘要",
                "",
                "数据库",
                "无条件共享",
                "",
                "接口",
                "无条件开放",
                "",
                "每日",
                "",
                "",
                None,
                "",
            ],
            [
                "304000000/000003",
                "缺依据",
                "摘要",
                "",
                "数据库",
                "有条件共享",
                "依申请",
                "接口",
                "不予开放",
                "",
                "每月",
                "",
                "",
                None,
                "",
            ],
            [
                "304000000/000004",
                "坏周期",
                "摘要",
                "",
                "数据库",
                "无条件共享",
                "",
                "接口",
                "无条件开放",
                "",
                "每十年",
                "",
                "",
                None,
                "",
            ],
        ],
        [
            [
                "304000000/000002",
                "licence_no",
                "许可证编号",
                "C",
                30,
                "否",
                "内部",
                "",
                "",
                "",
                None,
            ],
            ["304000000/000004", "bad", "坏类型", "X", None, "否", "", "", "", "", None],
            ["bad-code", "a", "甲", "C", None, "否", "", "", "", "", None],
            ["304000000/000003", "a", "甲", "C", None, "否", "", "", "", "", None],
            ["304000000/000099", "a", "甲", "C", None, "否", "", "", "", "", None],
        ],
    )
    parsed = parse_workbook(file)
    assert [r.code for r in parsed.resources] == ["304000000/000002"]
    assert len(parsed.resources[0].items) == 1
    found = {(p.sheet, p.row) for p in parsed.problems}
    assert {(RESOURCE_SHEET, 3), (RESOURCE_SHEET, 4), (RESOURCE_SHEET, 5)} <= found
    # Items of a bad resource go with it; a bad item and an orphan are reported.
    assert {(ITEM_SHEET, 3), (ITEM_SHEET, 6)} <= found
    reasons = {(p.sheet, p.row): p.reason for p in parsed.problems}
    assert "“法律法规依据”" in reasons[(RESOURCE_SHEET, 4)]
    assert "更新周期" in reasons[(RESOURCE_SHEET, 5)]
    assert "“数据类型”" in reasons[(ITEM_SHEET, 3)]
    assert "第3行" in reasons[(RESOURCE_SHEET, 5)]  # the resource names its bad item's row


def test_not_a_workbook() -> None:
    parsed = parse_workbook(io.BytesIO(b"not a zip"))
    assert parsed.resources == [] and parsed.problems


def test_export_then_import_round_trips(cast: CatalogCast) -> None:
    other = actions.do_create_resource(
        cast.market, replace(ENTERPRISE, code="104000000/000001"), actor=TEST_ACTOR
    )
    resource = actions.do_create_resource(
        cast.market, replace(ENTERPRISE, related=[other.code]), actor=TEST_ACTOR
    )
    data = export_workbook([resource])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [RESOURCE_SHEET, ITEM_SHEET]
    parsed = parse_workbook(io.BytesIO(data))
    assert parsed.problems == []
    [again] = parsed.resources
    assert again.code == ENTERPRISE.code
    assert again.share_attribute == ENTERPRISE.share_attribute
    assert list(again.items) == list(ENTERPRISE.items)
    assert list(again.related) == [other.code]
    resource.delete()
    [made] = actions.do_import_resources(cast.market, parsed.resources, actor=TEST_ACTOR)
    assert made.items.count() == len(ENTERPRISE.items)
    assert [r.code for r in made.related.all()] == [other.code]
    assert parse_workbook(io.BytesIO(export_workbook([made]))).resources == parsed.resources


def test_upload_page(cast: CatalogCast) -> None:
    client = Client()
    client.force_login(cast.officer)
    file = workbook(
        [GOOD, ["bad", "坏", "", "", "", "", "", "", "", "", "", "", "", None, ""]],
        [["304000000/000002", "licence_no", "许可证编号", "C", 30, "否", "内部", "", "", "", None]],
    )
    file.name = "catalog.xlsx"
    response = client.post("/catalog/upload/", {"department": "cs-market", "file": file})
    page = response.content.decode()
    assert response.status_code == 200
    assert "食品经营许可信息" in page and RESOURCE_SHEET in page
    made = Resource.objects.get(code="304000000/000002")
    assert made.provider == cast.market and made.state == "draft"
    export = client.get("/catalog/export.xlsx?mine=1")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    other = Client()
    other.force_login(cast.county_officer)
    file.seek(0)
    refused = other.post("/catalog/upload/", {"department": "cs-market", "file": file})
    assert refused.status_code == 200  # the form refuses a department not theirs
    assert Resource.objects.count() == 1


def test_a_code_already_in_the_catalog_is_reported_by_its_row(cast: CatalogCast) -> None:
    actions.do_create_resource(
        cast.market, replace(ENTERPRISE, code="304000000/000002"), actor=TEST_ACTOR
    )
    fresh = ["304000000/000005", *GOOD[1:]]
    item = ["", "licence_no", "许可证编号", "C", 30, "否", "内部", "", "", "", None]
    file = workbook(
        [fresh, GOOD],
        [["304000000/000005", *item[1:]], ["304000000/000002", *item[1:]]],
    )
    file.name = "catalog.xlsx"
    client = Client()
    client.force_login(cast.officer)
    response = client.post("/catalog/upload/", {"department": "cs-market", "file": file})
    assert response.status_code == 200
    [problem] = response.context["problems"]
    assert (problem.sheet, problem.row) == (RESOURCE_SHEET, 3)
    assert "304000000/000002" in problem.reason
    assert [r.code for r in response.context["created"]] == ["304000000/000005"]


def test_related_resources_may_be_named_before_their_own_row(cast: CatalogCast) -> None:
    item = ["", "licence_no", "许可证编号", "C", 30, "否", "内部", "", "", "", None]
    first = ["304000000/000006", *GOOD[1:], "304000000/000007"]
    second = ["304000000/000007", "食品经营许可变更信息", *GOOD[2:]]
    file = workbook(
        [first, second],
        [["304000000/000006", *item[1:]], ["304000000/000007", *item[1:]]],
    )
    file.name = "catalog.xlsx"
    client = Client()
    client.force_login(cast.officer)
    response = client.post("/catalog/upload/", {"department": "cs-market", "file": file})
    assert response.context["problems"] == []
    made = Resource.objects.get(code="304000000/000006")
    assert [r.code for r in made.related.all()] == ["304000000/000007"]


def test_a_row_naming_a_bad_row_of_the_workbook_says_that_row_is_not_imported(
    cast: CatalogCast,
) -> None:
    # 304000000/000007 is written right; its row lacks a name, so the row
    # naming it cannot be imported either, and is told why in those words.
    first = ["304000000/000006", *GOOD[1:], "304000000/000007、304000000/000099"]
    second = ["304000000/000007", "", *GOOD[2:]]
    items = [item_row("304000000/000006", "a", "甲"), item_row("304000000/000007", "a", "甲")]
    problems = upload(cast, workbook([first, second], items))
    assert problems == {
        ("资源", 2): "“关联资源”：目录中没有这些资源：304000000/000099；"
        "“关联资源”：304000000/000007所在的行（本工作簿第3行）有误，未能导入，请先改正。",
        ("资源", 3): "“资源名称”：请填写资源名称。",
    }
    assert not Resource.objects.exists()


def item_row(resource: str, code: str, name: str, share: str = "", basis: str = "") -> list[object]:
    return [resource, code, name, "C", 18, "否", "内部", share, basis, "", None]


def upload(cast: CatalogCast, file: io.BytesIO) -> dict[tuple[str, int], str]:
    file.name = "catalog.xlsx"
    client = Client()
    client.force_login(cast.officer)
    response = client.post("/catalog/upload/", {"department": "cs-market", "file": file})
    assert response.status_code == 200
    return {(p.sheet, p.row): p.reason for p in response.context["problems"]}


def test_each_problem_is_reported_where_it_is_in_the_words_of_the_headings(
    cast: CatalogCast,
) -> None:
    code = "304000000/000002"
    items = [item_row(code, f"i{n}", f"项{n}") for n in range(2, 11)]
    items[5 - 2] = item_row(code, "i2", "重复的代码")
    items[9 - 2] = item_row(code, "neg", "依据缺失", share="有条件共享")
    items[10 - 2] = item_row(code, "sp ace", "坏代码")
    conditional: list[object] = [
        "304000000/000003",
        "缺依据",
        "摘要",
        "",
        "数据库",
        "有条件共享",
        "",
        "接口",
    ]
    conditional += ["不予开放", "", "每月", "", "", None, ""]
    items.append(item_row("304000000/000003", "a", "甲"))
    problems = upload(cast, workbook([GOOD, conditional], items))
    assert not Resource.objects.exists()
    assert "信息项代码" in problems[(ITEM_SHEET, 5)] and "重复" in problems[(ITEM_SHEET, 5)]
    assert "法律法规依据" in problems[(ITEM_SHEET, 9)]
    assert "信息项代码" in problems[(ITEM_SHEET, 10)]
    # The resource's own row says that its items held it back, and where.
    assert "5、9、10" in problems[(RESOURCE_SHEET, 2)]
    row3 = problems[(RESOURCE_SHEET, 3)]
    assert "“法律法规依据”" in row3 and "“共享条件”" in row3
    for reason in problems.values():
        for code_name in ("items", "legal_basis", "share_conditions", "code:", "name:"):
            assert code_name not in reason, reason


def test_every_problem_of_a_row_is_reported_clashes_and_duplicates_included(
    cast: CatalogCast,
) -> None:
    # Another department's entry; one of the uploader's own says so (below).
    actions.do_create_resource(
        cast.county, replace(ENTERPRISE, code="102000000/000001"), actor=TEST_ACTOR
    )
    clash = ["102000000/000001", *GOOD[1:]]
    failed = ["304000000/000008", "", *GOOD[2:]]
    again = ["304000000/000008", "再次出现", *GOOD[2:]]
    problems = upload(
        cast,
        workbook(
            [clash, failed, again],
            [item_row("304000000/000008", "a", "甲")],
        ),
    )
    assert "已被使用" in problems[(RESOURCE_SHEET, 2)]
    assert "至少需要一个信息项" in problems[(RESOURCE_SHEET, 2)]
    assert "“资源名称”" in problems[(RESOURCE_SHEET, 3)]
    assert "重复" in problems[(RESOURCE_SHEET, 4)] and "第3行" in problems[(RESOURCE_SHEET, 4)]
    assert Resource.objects.count() == 1


def test_values_no_column_can_hold_are_reported_not_stored(cast: CatalogCast) -> None:
    not_a_number = ["304000000/000005", "扩展字段有NaN", *GOOD[2:14], '{"a": NaN}']
    infinite = ["304000000/000006", "扩展字段无穷大", *GOOD[2:14], '{"a": 1e999}']
    long_name = ["304000000/000007", "名" * 201, *GOOD[2:]]
    huge = item_row("304000000/000002", "no", "编号")
    huge[4] = 2**70
    items = [
        huge,
        *(item_row(code, "a", "甲") for code in ("304000000/000005", "304000000/000006")),
        item_row("304000000/000007", "a", "甲"),
    ]
    problems = upload(cast, workbook([GOOD, not_a_number, infinite, long_name], items))
    assert not Resource.objects.exists()
    assert "“扩展字段”" in problems[(RESOURCE_SHEET, 3)]
    assert "“扩展字段”" in problems[(RESOURCE_SHEET, 4)]
    assert "“资源名称”" in problems[(RESOURCE_SHEET, 5)] and "200" in problems[(RESOURCE_SHEET, 5)]
    assert "“数据长度”" in problems[(ITEM_SHEET, 2)]


def test_a_workbook_uploaded_again_says_which_rows_are_in_already(cast: CatalogCast) -> None:
    # Another department's entry holds one of the codes, an entry retired another.
    actions.do_create_resource(
        cast.county, replace(ENTERPRISE, code="304000000/000009"), actor=TEST_ACTOR
    )
    old = publish(
        actions.do_create_resource(
            cast.market, replace(ENTERPRISE, code="304000000/000008"), actor=TEST_ACTOR
        )
    )
    actions.do_retire_resource(old, "停止提供。", actor=TEST_ACTOR)
    first = ["304000000/000002", *GOOD[1:]]
    second = ["304000000/000003", "食品经营许可变更信息", *GOOD[2:]]
    bad = ["304000000/000004", "", *GOOD[2:]]
    theirs = ["304000000/000009", "他部门的代码", *GOOD[2:]]
    retired = ["304000000/000008", "已下架的代码", *GOOD[2:]]
    rows = [first, second, bad, theirs, retired]
    items = [item_row(str(row[0]), "a", "甲") for row in rows]
    assert set(upload(cast, workbook(rows, items))) == {
        (RESOURCE_SHEET, 4),
        (RESOURCE_SHEET, 5),
        (RESOURCE_SHEET, 6),
    }

    # The bad row put right, the same workbook again.
    bad[1] = "食品经营许可注销信息"
    problems = upload(cast, workbook(rows, items))

    assert problems == {
        (RESOURCE_SHEET, 2): "资源代码“304000000/000002”已是您部门的目录（草稿），本次未重复导入；"
        "如需修改，请在该目录的页面上修改。",
        (RESOURCE_SHEET, 3): "资源代码“304000000/000003”已是您部门的目录（草稿），本次未重复导入；"
        "如需修改，请在该目录的页面上修改。",
        (RESOURCE_SHEET, 5): "资源代码“304000000/000009”已被使用。",
        (RESOURCE_SHEET, 6): "资源代码“304000000/000008”已被使用。",
    }
    assert Resource.objects.filter(provider=cast.market).count() == 4
