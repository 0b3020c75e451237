"""A row of the workbook that is not imported gives its reasons as one sentence in
the reader's language: separated by "；" and ended by "。" on the Chinese page, by
"; " and "." on the English one, each reason's own full stop dropped on the way."""

import io
from typing import Any

import pytest
from django.test import Client

from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import CatalogCast
from zhengtong.catalog.tests.test_xlsx import GOOD, item_row, workbook
from zhengtong.catalog.xlsx import ITEM_SHEET, RESOURCE_SHEET

CODE = str(GOOD[0])
# The resources sheet's row 2 without a name and an abstract; the items sheet's
# row 2 with a length that is no number and a bad code.
NAMELESS = [CODE, "", "", *GOOD[3:]]
BAD_ITEM = [CODE, "sp ace", "许可证编号", "C", "三十", "否", "内部", "", "", "", None]


def _upload(cast: CatalogCast, file: io.BytesIO, language: str) -> Any:
    file.name = "catalog.xlsx"
    client = Client()
    client.force_login(cast.officer)
    response = client.post(
        "/catalog/upload/",
        {"department": "cs-market", "file": file},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return response


def _reasons(cast: CatalogCast, file: io.BytesIO, language: str) -> dict[tuple[str, int], str]:
    response = _upload(cast, file, language)
    return {(p.sheet, p.row): p.reason for p in response.context["problems"]}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh-hans",
            {
                (RESOURCE_SHEET, 2): "“资源名称”：请填写资源名称；“摘要”：请填写资源摘要；"
                "信息项有误（“信息项”表第2行），该资源未导入。",
                (ITEM_SHEET, 2): "“数据长度”：应为整数；"
                "“信息项代码”：信息项代码只能由字母、数字和 _ . - 组成。",
            },
        ),
        (
            "en",
            {
                (RESOURCE_SHEET, 2): "“资源名称”: Enter the resource name; "
                "“摘要”: Enter the resource abstract; "
                "Its items have errors (sheet “信息项”, row 2); the resource was not imported.",
                (ITEM_SHEET, 2): "“数据长度”: Must be a whole number; "
                "“信息项代码”: An item code consists of letters, digits and _ . - only.",
            },
        ),
    ],
)
def test_a_rows_reasons_read_as_one_sentence_in_the_readers_language(
    cast: CatalogCast, language: str, expected: dict[tuple[str, int], str]
) -> None:
    reasons = _reasons(cast, workbook([NAMELESS], [BAD_ITEM]), language)
    assert reasons == expected
    assert not Resource.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "目录内容不完整或不符合要求；目录中没有这些资源：304000000/000099。"),
        (
            "en",
            "The catalog entry is incomplete or invalid; "
            "The catalog has no such resources: 304000000/000099.",
        ),
    ],
)
def test_an_import_refused_as_a_whole_gives_its_reasons_in_the_readers_language(
    cast: CatalogCast, monkeypatch: pytest.MonkeyPatch, language: str, expected: str
) -> None:
    # The related entry was there when the workbook was read, and gone by the
    # time its rows were imported.
    monkeypatch.setattr("zhengtong.catalog.views.visible_codes", lambda user, codes: set(codes))
    row: list[object] = [*GOOD, "304000000/000099"]
    response = _upload(cast, workbook([row], [item_row(CODE, "a", "甲")]), language)
    [problem] = response.context["problems"]
    assert problem.reason == expected
    assert response.context["created"] == []
