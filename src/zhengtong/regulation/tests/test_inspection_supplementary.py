"""Supplementary inspector draws (补充抽取) through the API and the pages.

The cast is the actions' (test_inspection_tasks.py). The task draws with two
生态环境执法 inspectors per target; 周一 (HB001) must recuse himself from
橘子洲制革 (class D, always drawn), and so, here, must 吴二 and 郑三, which
leaves 橘子洲制革 with 王四 alone: one inspector short. After the register
changes (an inspector added, a recusal lifted) a supplementary draw fills it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation import inspection_draw as draw
from zhengtong.regulation.inspection_actions import (
    do_add_recusal,
    do_draw_inspection_task,
    do_register_inspector,
)
from zhengtong.regulation.models import (
    CreditRecord,
    Inspection,
    InspectionTask,
    SupplementaryDraw,
)
from zhengtong.regulation.seed_sealing import unseal_seed
from zhengtong.regulation.tests.bureau import logged_in, text_of
from zhengtong.regulation.tests.test_inspection_api import URL, answer_of, post_json, refusal_of
from zhengtong.regulation.tests.test_inspection_tasks import (
    LAW,
    PERMIT,
    InspectionCast,
    announce,
    make_inspection_cast,
)

TASKS = "/regulation/inspections/"
PUBLIC = "/regulation/public/inspections/"


@pytest.fixture
def cast(db: None) -> InspectionCast:
    return make_inspection_cast()


def short_task(
    cast: InspectionCast, recused: tuple[str, ...] = ("HB002", "HB003")
) -> InspectionTask:
    """A drawn task whose inspection of 橘子洲制革 lacks inspectors (one, by default)."""
    for code in recused:
        do_add_recusal(cast.inspectors[code], cast.worst, "近亲属在该企业任职", actor=TEST_ACTOR)
    return do_draw_inspection_task(
        announce(cast, base_ratio="1", required_qualification=LAW), actor=TEST_ACTOR
    )


def _inspection_of(detail: dict[str, Any], credit_code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        i for i in detail["inspections"] if i["enterprise_credit_code"] == credit_code
    ]
    (inspection,) = found
    return inspection


def _new_inspector(http: Client, code: str, qualifications: list[str]) -> None:
    answer_of(
        post_json(
            http,
            "/inspectors",
            {
                "code": code,
                "name": f"新{code}",
                "department_code": "fr-environment",
                "qualifications": qualifications,
            },
        ),
        201,
    )


# --- through the API ---------------------------------------------------------------------------


def test_a_short_inspection_s_result_is_refused_until_a_supplementary_draw_fills_it(
    cast: InspectionCast,
) -> None:
    task = short_task(cast)
    http = logged_in(cast.regulator)
    detail = answer_of(http.get(f"{URL}/tasks/{task.code}"))
    worst = _inspection_of(detail, cast.worst.credit_code)
    assert worst["shortfall"] == 1 and [i["code"] for i in worst["inspectors"]] == ["HB004"]
    assert detail["supplementary_draws"] == []

    today = timezone.localdate().isoformat()
    result = {"outcome": "pass", "inspected_on": today}
    refused = refusal_of(
        post_json(http, f"/inspections/{worst['id']}/result", result), 409, "short_of_inspectors"
    )
    assert refused["detail"] == {"shortfall": 1}
    assert not CreditRecord.objects.filter(enterprise=cast.worst, kind="inspection").exists()

    # Nobody new on the register yet: nothing to draw.
    refusal_of(
        post_json(http, f"/tasks/{task.code}/supplementary-draws"), 409, "no_eligible_inspectors"
    )
    # Someone without the qualification does not help either.
    _new_inspector(http, "HB030", [PERMIT])
    refusal_of(
        post_json(http, f"/tasks/{task.code}/supplementary-draws"), 409, "no_eligible_inspectors"
    )

    _new_inspector(http, "HB031", [LAW])
    announced = answer_of(post_json(http, f"/tasks/{task.code}/supplementary-draws"), 201)
    assert (announced["number"], announced["state"], announced["seed"]) == (1, "announced", None)
    assert announced["transcript"] is None and announced["verified"] is None
    supplementary = SupplementaryDraw.objects.get(task=task)
    assert announced["commitment"] == supplementary.commitment
    assert announced["announcement"]["basis"]["original"] == draw.transcript_digest(
        task.transcript or {}
    )
    (entry,) = announced["announcement"]["registers"]["inspections"]
    assert entry == {
        "assigned": [{"department": cast.branch.name, "id": "HB004"}],
        "shortfall": 1,
        "target": cast.worst.credit_code,
    }
    refusal_of(
        post_json(http, f"/tasks/{task.code}/supplementary-draws"), 409, "supplementary_pending"
    )
    anyone = Client()
    refusal_of(
        anyone.get(f"{URL}/tasks/{task.code}/supplementary-draws/1/transcript"), 404, "not_drawn"
    )
    announcement_response = anyone.get(
        f"{URL}/tasks/{task.code}/supplementary-draws/1/announcement"
    )
    public_announcement = answer_of(announcement_response)
    assert "seed" not in public_announcement
    # Sealed apart from the task's own seed, and shown nowhere before its draw.
    hidden = unseal_seed(
        supplementary.sealed_seed,
        task_code=f"{task.code}/supplementary-1",
        commitment=supplementary.commitment,
    ).hex()
    for response in (
        announcement_response,
        anyone.get(f"{URL}/tasks/{task.code}"),
        anyone.get(f"{PUBLIC}{task.code}/"),
        http.get(f"{TASKS}{task.code}/"),
    ):
        assert hidden not in response.content.decode()

    drawn = answer_of(post_json(http, f"/tasks/{task.code}/supplementary-draws/1/draw"))
    assert drawn["state"] == "drawn" and drawn["verified"] is True and drawn["still_short"] == 0
    (filled,) = drawn["inspections"]
    assert [i["code"] for i in filled["inspectors"]] == ["HB031"]
    assert (filled["shortfall_before"], filled["shortfall"]) == (1, 0)
    refusal_of(
        post_json(http, f"/tasks/{task.code}/supplementary-draws/1/draw"), 409, "not_announced"
    )
    refusal_of(post_json(http, f"/tasks/{task.code}/supplementary-draws"), 409, "no_shortfall")

    # The public downloads the supplementary transcript beside the original and verifies it.
    original = answer_of(anyone.get(f"{URL}/tasks/{task.code}/transcript"))
    transcript = answer_of(anyone.get(f"{URL}/tasks/{task.code}/supplementary-draws/1/transcript"))
    assert drawn["seed"] == transcript["seed"]
    assert draw.verify_transcript(transcript, public_announcement, original=original)
    forged = json.loads(json.dumps(transcript))
    forged["result"]["inspections"][0]["inspectors"] = ["HB002"]
    assert not draw.verify_transcript(forged, public_announcement, original=original)

    detail = answer_of(anyone.get(f"{URL}/tasks/{task.code}"))
    worst = _inspection_of(detail, cast.worst.credit_code)
    # In draw order: the original draw's first, then the supplementary draw's.
    assert [i["code"] for i in worst["inspectors"]] == ["HB004", "HB031"]
    assert worst["shortfall"] == 0
    assert detail["verified"] is True and detail["supplementary_draws"][0]["verified"] is True

    recorded = answer_of(post_json(http, f"/inspections/{worst['id']}/result", result))
    assert recorded["outcome"] == "pass"
    ledger = LedgerEntry.objects.filter(subject_id=task.code)
    assert ledger.filter(action="regulation.announce_supplementary_draw").count() == 1
    assert ledger.filter(action="regulation.draw_supplementary_inspectors").count() == 1


def test_a_supplementary_draw_that_cannot_fill_stays_short_and_says_so(
    cast: InspectionCast,
) -> None:
    # 王四 recused too: nobody at all for 橘子洲制革.
    task = short_task(cast, recused=("HB002", "HB003", "HB004"))
    http = logged_in(cast.regulator)
    worst = _inspection_of(answer_of(http.get(f"{URL}/tasks/{task.code}")), cast.worst.credit_code)
    assert worst["shortfall"] == 2 and worst["inspectors"] == []

    _new_inspector(http, "HB032", [LAW])
    answer_of(post_json(http, f"/tasks/{task.code}/supplementary-draws"), 201)
    first = answer_of(post_json(http, f"/tasks/{task.code}/supplementary-draws/1/draw"))
    assert first["still_short"] == 1 and first["verified"] is True
    assert first["inspections"][0]["shortfall"] == 1
    worst = _inspection_of(answer_of(http.get(f"{URL}/tasks/{task.code}")), cast.worst.credit_code)
    assert worst["shortfall"] == 1 and [i["code"] for i in worst["inspectors"]] == ["HB032"]
    refusal_of(
        post_json(
            http,
            f"/inspections/{worst['id']}/result",
            {"outcome": "pass", "inspected_on": timezone.localdate().isoformat()},
        ),
        409,
        "short_of_inspectors",
    )

    # 郑三's relation no longer holds: lifting it lets a second draw fill the gap.
    answer_of(http.delete(f"{URL}/inspectors/HB003/recusals/{cast.worst.credit_code}"))
    second = answer_of(post_json(http, f"/tasks/{task.code}/supplementary-draws"), 201)
    assert second["number"] == 2
    (entry,) = second["announcement"]["registers"]["inspections"]
    assert [a["id"] for a in entry["assigned"]] == ["HB032"] and entry["shortfall"] == 1
    second = answer_of(post_json(http, f"/tasks/{task.code}/supplementary-draws/2/draw"))
    # HB032 is of the branch: the city bureau's 郑三 (HB003) is the only one eligible left.
    assert [i["code"] for i in second["inspections"][0]["inspectors"]] == ["HB003"]
    assert second["still_short"] == 0 and second["verified"] is True

    anyone = Client()
    original = answer_of(anyone.get(f"{URL}/tasks/{task.code}/transcript"))
    one = answer_of(anyone.get(f"{URL}/tasks/{task.code}/supplementary-draws/1/transcript"))
    two = answer_of(anyone.get(f"{URL}/tasks/{task.code}/supplementary-draws/2/transcript"))
    assert two["basis"]["previous"] == [draw.transcript_digest(one)]
    assert draw.verify_transcript(two, original=original, previous=[one])
    assert not draw.verify_transcript(two, original=original)


def test_only_the_task_s_regulators_run_supplementary_draws(cast: InspectionCast) -> None:
    task = short_task(cast)
    do_register_inspector("HB033", "刘九", cast.environment, [LAW], actor=TEST_ACTOR)
    path = f"/tasks/{task.code}/supplementary-draws"
    refusal_of(post_json(Client(), path), 401, "not_authenticated")
    refusal_of(post_json(logged_in(cast.reviewer), path), 403, "permission_denied")
    # 陈芙's post covers the 芙蓉区 branch, not the city bureau's task.
    refusal_of(post_json(logged_in(cast.district_regulator), path), 404, "task_not_found")
    assert not SupplementaryDraw.objects.exists()
    answer_of(post_json(logged_in(cast.regulator), path), 201)
    refusal_of(
        post_json(logged_in(cast.district_regulator), f"{path}/1/draw"), 404, "task_not_found"
    )
    refusal_of(
        post_json(logged_in(cast.regulator), f"{path}/2/draw"), 404, "supplementary_draw_not_found"
    )


def test_a_task_not_yet_drawn_has_no_supplementary_draw(cast: InspectionCast) -> None:
    task = announce(cast)
    refusal_of(
        post_json(logged_in(cast.regulator), f"/tasks/{task.code}/supplementary-draws"),
        409,
        "not_drawn",
    )


# --- through the pages -------------------------------------------------------------------------


def test_the_task_page_offers_the_supplementary_draw_beside_the_shortfall(
    cast: InspectionCast,
) -> None:
    task = short_task(cast)
    worst = Inspection.objects.get(task=task, enterprise=cast.worst)
    http = logged_in(cast.regulator)
    page = text_of(http.get(f"{TASKS}{task.code}/"))
    assert "缺 1 名（需补充抽取）" in page
    assert f'id="supplement-{worst.pk}"' in page
    assert f'id="short-{worst.pk}"' in page and "补充抽取后才能录入检查结果" in page
    # The short inspection has no result form; posting one anyway is refused with the reason.
    assert f'action="/regulation/inspection-results/{worst.pk}/"' not in page
    prefix = f"result-{worst.pk}"
    today = timezone.localdate().isoformat()
    posted = http.post(
        f"/regulation/inspection-results/{worst.pk}/",
        {f"{prefix}-outcome": "pass", f"{prefix}-inspected_on": today},
        follow=True,
    )
    assert "该检查对象的检查人员不足（缺 1 名），补充抽取后才能录入检查结果。" in text_of(posted)
    htmx = http.post(
        f"/regulation/inspection-results/{worst.pk}/",
        {f"{prefix}-outcome": "pass", f"{prefix}-inspected_on": today},
        headers={"HX-Request": "true"},
    )
    assert "补充抽取后才能录入检查结果" in text_of(htmx)
    assert not Inspection.objects.get(pk=worst.pk).outcome

    # Before the register changes, the button says why nothing can be drawn.
    refused = http.post(f"{TASKS}{task.code}/supplementary/", follow=True)
    assert "名录库中没有可补充抽取的检查人员" in text_of(refused)
    do_register_inspector("HB034", "刘十", cast.branch, [LAW], actor=TEST_ACTOR)

    announced = text_of(http.post(f"{TASKS}{task.code}/supplementary/", follow=True))
    assert "第 1 次补充抽取已公告" in announced
    supplementary = SupplementaryDraw.objects.get(task=task)
    assert supplementary.commitment in announced
    assert 'id="supplementary-draw"' in announced and f'id="supplement-{worst.pk}"' not in announced

    drawn = text_of(http.post(f"{TASKS}{task.code}/supplementary/1/draw/", follow=True))
    assert "补充抽取已完成，检查人员已全部补足" in drawn
    assert 'id="supplementary-1-verified"' in drawn
    assert f"{PUBLIC}{task.code}/supplementary/1/transcript.json" in drawn
    assert "刘十" in drawn and "缺 1 名（需补充抽取）" not in drawn
    assert f'action="/regulation/inspection-results/{worst.pk}/"' in drawn


def test_the_public_page_publishes_the_supplementary_draw_and_its_transcript_verifies(
    cast: InspectionCast,
) -> None:
    task = short_task(cast, recused=("HB002", "HB003", "HB004"))
    do_register_inspector("HB035", "钱一", cast.branch, [LAW], actor=TEST_ACTOR)
    http = logged_in(cast.regulator)
    http.post(f"{TASKS}{task.code}/supplementary/")
    anyone = Client()
    before = text_of(anyone.get(f"{PUBLIC}{task.code}/"))
    supplementary = SupplementaryDraw.objects.get(task=task)
    assert supplementary.commitment in before and 'id="supplementary-draw"' not in before
    assert anyone.get(f"{PUBLIC}{task.code}/supplementary/1/transcript.json").status_code == 404
    announcement = json.loads(
        anyone.get(f"{PUBLIC}{task.code}/supplementary/1/announcement.json").content
    )

    warned = text_of(http.post(f"{TASKS}{task.code}/supplementary/1/draw/", follow=True))
    assert "仍有 1 户检查人员不足" in warned
    page = text_of(anyone.get(f"{PUBLIC}{task.code}/"))
    assert 'id="supplementary-1-verified"' in page and 'id="supplementary-1-short"' in page
    assert "钱一" in page and "仍缺 1 名" in page
    assert 'id="supplement-' not in page
    transcript = json.loads(
        anyone.get(f"{PUBLIC}{task.code}/supplementary/1/transcript.json").content
    )
    original = json.loads(anyone.get(f"{PUBLIC}{task.code}/transcript.json").content)
    assert draw.verify_transcript(transcript, announcement, original=original)

    forged = json.loads(json.dumps(transcript))
    forged["result"]["inspections"][0]["shortfall"] = 0
    SupplementaryDraw.objects.filter(pk=supplementary.pk).update(transcript=forged)
    tampered = text_of(anyone.get(f"{PUBLIC}{task.code}/"))
    assert 'id="supplementary-1-not-verified"' in tampered
    assert 'id="supplementary-1-verified"' not in tampered


# --- results recorded while short ---------------------------------------------------------------


def test_an_inspection_whose_result_was_recorded_while_short_is_not_filled_any_more(
    cast: InspectionCast,
) -> None:
    # 星沙电镀 is short too: 周一, 吴二 and 郑三 must recuse themselves, only 王四 is left.
    for code in ("HB001", "HB002", "HB003"):
        do_add_recusal(cast.inspectors[code], cast.severe, "近亲属在该企业任职", actor=TEST_ACTOR)
    task = short_task(cast)
    # Its result was recorded before results of short inspections were refused (no
    # public path records one now): the data as such a platform still holds it.
    Inspection.objects.filter(task=task, enterprise=cast.severe).update(
        outcome="pass",
        inspected_on=timezone.localdate(),
        recorded_by="检查员",
        recorded_at=timezone.now(),
    )
    http = logged_in(cast.regulator)
    _new_inspector(http, "HB036", [LAW])
    announced = answer_of(post_json(http, f"/tasks/{task.code}/supplementary-draws"), 201)
    basis = announced["announcement"]["basis"]
    assert basis["finished"] == [cast.severe.credit_code]
    assert [row["enterprise_credit_code"] for row in announced["inspections"]] == [
        cast.worst.credit_code
    ]
    drawn = answer_of(post_json(http, f"/tasks/{task.code}/supplementary-draws/1/draw"))
    assert drawn["verified"] is True
    assert [i["code"] for i in drawn["inspections"][0]["inspectors"]] == ["HB036"]
    detail = answer_of(http.get(f"{URL}/tasks/{task.code}"))
    severe = _inspection_of(detail, cast.severe.credit_code)
    assert [i["code"] for i in severe["inspectors"]] == ["HB004"] and severe["outcome"] == "pass"

    anyone = Client()
    original = answer_of(anyone.get(f"{URL}/tasks/{task.code}/transcript"))
    transcript = answer_of(anyone.get(f"{URL}/tasks/{task.code}/supplementary-draws/1/transcript"))
    assert draw.verify_transcript(transcript, original=original)
    # The finished inspection is part of what the draw committed to.
    forged = json.loads(json.dumps(transcript))
    del forged["basis"]["finished"]
    assert not draw.verify_transcript(forged, original=original)

    # Nothing else is short: the finished one alone calls for no supplementary draw.
    _new_inspector(http, "HB037", [LAW])
    refusal_of(post_json(http, f"/tasks/{task.code}/supplementary-draws"), 409, "no_shortfall")
