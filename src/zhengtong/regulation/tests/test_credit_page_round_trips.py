"""The credit, repair and inspection pages as a regulator and an enterprise move between them.

A refused form's URL answers a reload or a language switch with its page, the
repair form predicts only what a repair can change, the queue keeps the
regulator's note and filter, a counted record is coloured by what it does to
the score, and the repair queue and an inspection task link to the credit file
for those who keep it. The casts are those of the credit, repair and
inspection page tests.
"""

from __future__ import annotations

import re

import pytest
from django.utils.translation import override, pgettext

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import Role, ScopeLevel
from zhengtong.regulation.inspection_actions import do_draw_inspection_task
from zhengtong.regulation.models import CreditRepair, Inspection, RepairState
from zhengtong.regulation.repair_actions import MAX_NOTE
from zhengtong.regulation.tests import test_credit_pages as credit
from zhengtong.regulation.tests import test_credit_repair as repairs
from zhengtong.regulation.tests import test_inspection_tasks as inspections
from zhengtong.regulation.tests.bureau import PASSWORD, logged_in, text_of

HX = {"HX-Request": "true"}
QUEUE = "/regulation/repairs/"


@pytest.fixture
def credit_cast(db: None) -> credit.CreditCast:
    return credit.make_cast()


@pytest.fixture
def repair_cast(db: None) -> repairs.RepairCast:
    return repairs.make_cast()


def _row(page: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}".*?</tr>', page, re.S)
    assert found is not None, row_id
    return found.group()


# --- A: the URLs the credit forms post to ----------------------------------------------------


def test_a_get_on_a_refused_credit_form_s_url_returns_to_the_credit_file(
    credit_cast: credit.CreditCast,
) -> None:
    code = credit_cast.materials.credit_code
    listing = credit.listed(credit_cast.materials)
    http = logged_in(credit_cast.regulator)
    # The record form refused (内容 empty) is shown again at its own URL ...
    refused = http.post(
        f"/regulation/credit/{code}/records/",
        {"kind": "complaint_upheld", "occurred_on": "2026-01-05", "count": "1"},
    )
    assert refused.status_code == 400
    # ... and the language switch brings the browser back there with a GET.
    http.cookies["django_language"] = "en"
    for url in (
        f"/regulation/credit/{code}/records/",
        f"/regulation/credit/{code}/list/",
        f"/regulation/credit/listings/{listing.pk}/remove/",
    ):
        response = http.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 302, url
        assert response["Location"] == f"/regulation/credit/{code}/", url
        assert http.head(url).status_code == 302, url
    # The way back is no way into another district's file.
    district = logged_in(credit_cast.district_regulator)
    media = credit_cast.media.credit_code
    assert district.get(f"/regulation/credit/{media}/records/").status_code == 404
    # Nothing was written by the GETs.
    assert http.get(f"/regulation/credit/{code}/").status_code == 200
    listing.refresh_from_db()
    assert listing.removed_at is None


# --- B: 事项 in the score breakdown and the scorecard ------------------------------------------


def test_the_credit_line_s_item_heading_is_not_the_service_item_s(
    credit_cast: credit.CreditCast,
) -> None:
    credit.major_penalty(credit_cast.materials)
    http = logged_in(credit_cast.regulator)
    http.cookies["django_language"] = "en"
    pages = [
        text_of(http.get("/regulation/credit/scorecard/", HTTP_ACCEPT_LANGUAGE="en")),
        text_of(
            http.get(
                f"/regulation/credit/{credit_cast.materials.credit_code}/",
                HTTP_ACCEPT_LANGUAGE="en",
            )
        ),
    ]
    with override("en"):
        shown = pgettext("credit scoring item", "事项")
    for page in pages:
        assert 'class="data-table credit-lines"' in page or "scorecard-rules" in page
        assert "Service items" not in page
        assert f'data-label="{shown}"' in page


# --- C: the repair form of a record that cannot be repaired ----------------------------------


def test_a_record_that_takes_no_points_off_gets_no_predicted_change(
    repair_cast: repairs.RepairCast,
) -> None:
    commendation = repairs.record(
        repair_cast.plant, "commendation", repairs.months_ago(2), description="环保诚信企业"
    )
    http = logged_in(repair_cast.owner)
    page = text_of(http.get(f"/regulation/my/repair/{commendation.pk}/"))
    assert "该记录不扣分，无需修复。" in page
    assert 'id="repair-effect"' not in page and "修复后的变化" not in page
    assert 'name="rectification"' not in page
    # A record repair can lift still shows what repairing it changes.
    penalty = repairs.record(repair_cast.plant, "penalty", repairs.months_ago(4), severity="minor")
    page = text_of(http.get(f"/regulation/my/repair/{penalty.pk}/"))
    assert 'id="repair-effect"' in page and 'name="rectification"' in page


# --- D: the queue keeps the regulator's note and filter --------------------------------------


def test_a_refused_grant_keeps_its_note_and_the_queue_keeps_its_filter(
    repair_cast: repairs.RepairCast,
) -> None:
    repair = repairs.request(
        repair_cast,
        repairs.record(repair_cast.plant, "penalty", repairs.months_ago(4), severity="minor"),
    )
    http = logged_in(repair_cast.regulator)
    url = f"/regulation/repairs/{repair.pk}/decide/"
    note = "整改材料齐全" * (MAX_NOTE // 6 + 1)
    part = text_of(http.post(url, {"decision": "grant", "note": note}, headers=HX))
    assert "审核意见过长" in part
    assert f'id="grant-note-{repair.pk}" name="note" maxlength="2000" value="{note}"' in part
    assert CreditRepair.objects.get(pk=repair.pk).state == RepairState.SUBMITTED

    filtered = f"{QUEUE}?state=submitted"
    assert f'name="next" value="{filtered}"' in text_of(http.get(filtered))
    # Without htmx the answer goes back to the queue as it was filtered ...
    refused = http.post(url, {"decision": "grant", "note": note, "next": filtered})
    assert refused.status_code == 302 and refused["Location"] == filtered
    # ... but never elsewhere, even on this site.
    for elsewhere in ("https://example.com/regulation/repairs/", "/regulation/monitoring/", url):
        response = http.post(url, {"decision": "grant", "note": note, "next": elsewhere})
        assert response["Location"] == QUEUE, elsewhere
    granted = http.post(url, {"decision": "grant", "note": "已整改", "next": filtered})
    assert granted["Location"] == filtered
    assert CreditRepair.objects.get(pk=repair.pk).state == RepairState.GRANTED


# --- E: the colour of a counted record -------------------------------------------------------


def test_a_counted_record_is_green_when_it_adds_points_and_red_when_it_takes_them(
    repair_cast: repairs.RepairCast,
) -> None:
    commendation = repairs.record(
        repair_cast.plant, "commendation", repairs.months_ago(2), description="环保诚信企业"
    )
    penalty = repairs.record(repair_cast.plant, "penalty", repairs.months_ago(4), severity="minor")
    page = text_of(
        logged_in(repair_cast.owner).get("/regulation/my/", {"uscc": repair_cast.plant.credit_code})
    )
    assert '<span class="tag tag-ok">计分中</span>' in _row(page, f"record-{commendation.pk}")
    assert '<span class="tag tag-red">计分中</span>' in _row(page, f"record-{penalty.pk}")


# --- F: links to the credit file -------------------------------------------------------------


def test_the_repair_queue_links_each_request_to_the_enterprise_s_credit_file(
    repair_cast: repairs.RepairCast,
) -> None:
    repair = repairs.request(
        repair_cast,
        repairs.record(repair_cast.plant, "penalty", repairs.months_ago(4), severity="minor"),
    )
    file_url = f"/regulation/credit/{repair_cast.plant.credit_code}/"
    http = logged_in(repair_cast.regulator)
    row = _row(text_of(http.get(QUEUE)), f"repair-{repair.pk}")
    assert f'<a href="{file_url}">{repair_cast.plant.name}</a>' in row
    assert http.get(file_url).status_code == 200
    # The row swapped in by htmx keeps the link.
    part = text_of(
        http.post(f"/regulation/repairs/{repair.pk}/decide/", {"decision": "grant"}, headers=HX)
    )
    assert f'<a href="{file_url}">' in part


def test_an_inspection_links_to_the_credit_file_only_for_who_keeps_it(db: None) -> None:
    cast = inspections.make_inspection_cast()
    task = do_draw_inspection_task(
        inspections.announce(cast, region=cast.regions.furong, industry_code="C2614"),
        actor=TEST_ACTOR,
    )
    inspection = Inspection.objects.get(task=task)
    file_url = f"/regulation/credit/{inspection.enterprise.credit_code}/"
    link = f'<a href="{file_url}">{inspection.enterprise.name}</a>'
    page_url = f"/regulation/inspections/{task.code}/"

    regulator = logged_in(cast.regulator)
    assert link in _row(text_of(regulator.get(page_url)), f"inspection-{inspection.pk}")
    prefix = f"result-{inspection.pk}"
    part = text_of(
        regulator.post(
            f"/regulation/inspection-results/{inspection.pk}/",
            {f"{prefix}-outcome": "problems", f"{prefix}-inspected_on": "2026-01-05"},
            headers=HX,
        )
    )
    assert link in part

    # An officer who runs inspections but keeps no credit files sees no link.
    officers = Role.objects.create(
        code="inspection_officer",
        name="抽查人员",
        audience="staff",
        permissions=["regulation.run_inspections", "portal.use_workbench"],
    )
    officer = do_create_staff(
        "lijian",
        PASSWORD,
        "李检",
        cast.environment,
        [officers.code],
        actor=TEST_ACTOR,
        scope=ScopeLevel.REGION,
        scope_region=cast.regions.city,
    )
    http = logged_in(officer)
    assert http.get(file_url).status_code == 403
    row = _row(text_of(http.get(page_url)), f"inspection-{inspection.pk}")
    assert inspection.enterprise.name in row and file_url not in row
