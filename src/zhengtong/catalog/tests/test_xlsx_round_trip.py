"""The published catalog exported and imported again: every row comes back as it
was or is reported with its reason, never cut short without a word.

A spreadsheet cell holds at most 32,767 characters and openpyxl cuts off the
rest when it writes the export, so a longer text is refused where it comes in,
and a full cell read from a workbook is reported as likely cut off.
"""

import io
from typing import Any

from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.actions import CELL_CAPACITY
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish
from zhengtong.catalog.tests.test_editing import logged_in
from zhengtong.catalog.tests.test_untrusted_input import PAYLOAD
from zhengtong.catalog.tests.test_xlsx import upload
from zhengtong.catalog.xlsx import RESOURCE_SHEET
from zhengtong.core.testing import TEST_ACTOR

LONG = "长" * (CELL_CAPACITY + 10)


def test_a_text_longer_than_a_cell_holds_is_refused_by_the_api(cast: CatalogCast) -> None:
    client = logged_in(cast.officer)
    changes: list[tuple[dict[str, Any], str]] = [
        ({"abstract": LONG}, "abstract"),
        ({"share_attribute": "conditional", "share_conditions": LONG}, "share_conditions"),
        ({"extension": {"说明": LONG}}, "extension"),
    ]
    for change, field in changes:
        answer = client.post("/api/catalog/resources", {**PAYLOAD, **change}, "application/json")
        assert answer.status_code == 400, answer.json()
        assert field in answer.json()["detail"]["fields"]
    assert not Resource.objects.exists()


def test_a_text_cut_off_by_the_export_is_reported_on_import_not_imported_cut_short(
    cast: CatalogCast,
) -> None:
    resource = publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    # As an entry stored before the actions refused such texts would hold them.
    Resource.objects.filter(pk=resource.pk).update(abstract=LONG, extension={"说明": LONG})
    exported = Client().get("/catalog/export.xlsx")
    assert exported.status_code == 200
    # Imported into a catalog where the code is free, as another one would be.
    resource.delete()

    problems = upload(cast, io.BytesIO(exported.content))

    reason = problems[(RESOURCE_SHEET, 2)]
    assert "“摘要”：单元格最多容纳32767个字符，这一格已满，内容可能已被截断" in reason
    assert "“扩展字段”：单元格最多容纳32767个字符，这一格已满，内容可能已被截断" in reason
    assert not Resource.objects.exists()


def test_an_entry_exported_whole_comes_back_whole(cast: CatalogCast) -> None:
    # One short of a full cell is the longest text an entry holds, and it round-trips.
    longest = "长" * (CELL_CAPACITY - 1)
    answer = logged_in(cast.officer).post(
        "/api/catalog/resources", {**PAYLOAD, "abstract": longest}, "application/json"
    )
    assert answer.status_code == 201, answer.json()
    resource = publish(Resource.objects.get())
    exported = Client().get("/catalog/export.xlsx").content
    resource.delete()

    assert upload(cast, io.BytesIO(exported)) == {}
    assert Resource.objects.get().abstract == longest
