"""Codes typed with a Chinese input method in full-width mode are refused saying so."""

from django.test import Client

from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import CatalogCast
from zhengtong.catalog.tests.test_xlsx import GOOD, item_row, upload, workbook
from zhengtong.catalog.xlsx import ITEM_SHEET, RESOURCE_SHEET

FULL_WIDTH_CODE = "３０４００００００/０００００３"


def test_a_workbook_code_in_full_width_is_reported_as_such_and_good_rows_kept(
    cast: CatalogCast,
) -> None:
    problems = upload(
        cast,
        workbook(
            [GOOD, [FULL_WIDTH_CODE, "食品生产许可信息", *GOOD[2:]]],
            [
                item_row(str(GOOD[0]), "a", "甲"),
                item_row(str(GOOD[0]), "ｌｉｃｅｎｃｅ", "许可证"),
                item_row(FULL_WIDTH_CODE, "a", "甲"),
            ],
        ),
    )
    assert "资源代码须用半角数字和“/”填写" in problems[(RESOURCE_SHEET, 3)]
    assert "信息项代码须用半角字母" in problems[(ITEM_SHEET, 3)]
    assert not Resource.objects.exists()


def test_the_api_says_a_full_width_code_must_be_written_in_half_width(
    cast: CatalogCast,
) -> None:
    client = Client()
    client.force_login(cast.officer)
    payload = {
        "department_code": cast.market.code,
        "code": FULL_WIDTH_CODE,
        "name": "食品生产许可信息",
        "abstract": "许可证信息。",
        "format": "database",
        "share_attribute": "unconditional",
        "share_method": "api",
        "open_attribute": "unconditional",
        "update_cycle": "daily",
        "items": [{"code": "licence_no", "name": "许可证编号", "data_type": "C"}],
    }
    refused = client.post("/api/catalog/resources", payload, "application/json")
    assert refused.status_code == 400
    assert "半角" in refused.json()["detail"]["fields"]["code"]
