"""A credit record's source names the public reference of what it comes from, on the pages."""

from __future__ import annotations

import pytest
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.regulation.inspection_actions import (
    do_draw_inspection_task,
    do_record_inspection_result,
)
from zhengtong.regulation.models import CreditRecord, Inspection
from zhengtong.regulation.tests.bureau import logged_in, text_of
from zhengtong.regulation.tests.test_inspection_tasks import (
    InspectionCast,
    announce,
    make_inspection_cast,
)


@pytest.fixture
def cast(db: None) -> InspectionCast:
    return make_inspection_cast()


def test_an_inspection_s_record_names_the_task_s_number_not_the_inspection_s_row(
    cast: InspectionCast,
) -> None:
    task = announce(
        cast,
        code="CSHB-2026-07",
        region=cast.clean.region,
        industry_code=cast.clean.industry_code,
    )
    do_draw_inspection_task(task, actor=TEST_ACTOR)
    inspection = Inspection.objects.get(task=task, enterprise=cast.clean)
    do_record_inspection_result(
        inspection, "fail", "污染防治设施未运行", timezone.localdate(), actor=TEST_ACTOR
    )
    record = CreditRecord.objects.get(enterprise=cast.clean)
    assert record.source_ref == f"inspection:{inspection.pk}"  # the key stays as it was
    page = text_of(logged_in(cast.regulator).get(f"/regulation/credit/{cast.clean.credit_code}/"))
    assert "双随机抽查任务 CSHB-2026-07" in page
    assert f"双随机抽查任务 {inspection.pk}<" not in page


def test_a_record_whose_source_row_is_gone_still_reads(cast: InspectionCast) -> None:
    record = CreditRecord.objects.create(
        enterprise=cast.clean,
        kind="inspection",
        severity="fail",
        occurred_on=timezone.localdate(),
        description="旧记录",
        source_ref="inspection:999999",
        recorded_at=timezone.now(),
    )
    page = text_of(logged_in(cast.regulator).get(f"/regulation/credit/{cast.clean.credit_code}/"))
    assert record.source_label in page and "双随机抽查任务 999999" in page
