"""Cancelling (撤销) an announced supplementary draw (补充抽取) before it is drawn.

The cast and the short task are those of test_inspection_supplementary.py:
橘子洲制革 lacks one inspector. A supplementary draw announced by mistake
(or before the register was updated) is cancelled with a reason; it stays
published as cancelled, and a new one can be announced and verified
without it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.ledger.actions import canonical_json
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.selectors import tree_state
from zhengtong.regulation import inspection_draw as draw
from zhengtong.regulation.inspection_actions import do_register_inspector
from zhengtong.regulation.models import DrawState, Inspection, SupplementaryDraw
from zhengtong.regulation.seed_sealing import unseal_seed
from zhengtong.regulation.tests.bureau import logged_in, text_of
from zhengtong.regulation.tests.test_inspection_api import URL, answer_of, post_json, refusal_of
from zhengtong.regulation.tests.test_inspection_supplementary import short_task
from zhengtong.regulation.tests.test_inspection_tasks import (
    LAW,
    InspectionCast,
    make_inspection_cast,
)

TASKS = "/regulation/inspections/"
PUBLIC = "/regulation/public/inspections/"
REASON = "公告时名录尚未更新，新增检查人员未列入"


@pytest.fixture
def cast(db: None) -> InspectionCast:
    return make_inspection_cast()


def _announced(cast: InspectionCast) -> tuple[str, Client]:
    """A short task with a supplementary draw announced; its code and the regulator's client."""
    task = short_task(cast)
    do_register_inspector("HB031", "新三一", cast.environment, [LAW], actor=TEST_ACTOR)
    http = logged_in(cast.regulator)
    answer_of(post_json(http, f"/tasks/{task.code}/supplementary-draws"), 201)
    return task.code, http


def _ledger_data(entry: LedgerEntry, data: dict[str, Any]) -> bool:
    return bytes(entry.data_hash) == tree_state().hasher.digest(canonical_json(data))


# --- through the API ---------------------------------------------------------------------------


def test_an_announced_supplementary_draw_is_cancelled_and_a_new_one_verifies_without_it(
    cast: InspectionCast, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, http = _announced(cast)
    path = f"/tasks/{code}/supplementary-draws"
    first = SupplementaryDraw.objects.get(task__code=code, number=1)
    hidden = unseal_seed(
        first.sealed_seed, task_code=f"{code}/supplementary-1", commitment=first.commitment
    ).hex()

    refused = refusal_of(
        post_json(http, f"{path}/1/cancel", {"reason": "  "}), 400, "reason_required"
    )
    assert refused["detail"] == {"fields": {"reason": "invalid"}}
    assert SupplementaryDraw.objects.get(pk=first.pk).state == DrawState.ANNOUNCED

    cancelled = answer_of(post_json(http, f"{path}/1/cancel", {"reason": f" {REASON} "}))
    assert (cancelled["number"], cancelled["state"], cancelled["cancel_reason"]) == (
        1,
        "cancelled",
        REASON,
    )
    assert cancelled["cancelled_at"] is not None and cancelled["drawn_at"] is None
    # Revealed like a cancelled task's: anyone can compute what it would have drawn.
    assert cancelled["seed"] == hidden and draw.verify_commitment(
        cancelled["commitment"], bytes.fromhex(hidden)
    )
    assert cancelled["transcript"] is None and cancelled["verified"] is None
    (entry,) = LedgerEntry.objects.filter(action="regulation.cancel_supplementary_draw")
    assert entry.subject_id == code
    assert _ledger_data(
        entry,
        {
            "number": 1,
            "commitment": first.commitment,
            "reason": REASON,
            "seed": hidden,
            "seed_unavailable": False,
        },
    )

    # Neither drawn nor cancelled again.
    refusal_of(post_json(http, f"{path}/1/draw"), 409, "supplementary_cancelled")
    refusal_of(
        post_json(http, f"{path}/1/cancel", {"reason": REASON}), 409, "supplementary_cancelled"
    )
    assert LedgerEntry.objects.filter(action="regulation.cancel_supplementary_draw").count() == 1
    worst = Inspection.objects.get(task__code=code, enterprise=cast.worst)
    assert worst.shortfall == 1 and [i.code for i in worst.inspectors.all()] == ["HB004"]

    anyone = Client()
    missing = refusal_of(
        anyone.get(f"{URL}/tasks/{code}/supplementary-draws/1/transcript"),
        404,
        "supplementary_cancelled",
    )
    assert REASON in missing["message"] and missing["detail"] == {"reason": REASON}
    cancelled_announcement = answer_of(
        anyone.get(f"{URL}/tasks/{code}/supplementary-draws/1/announcement")
    )
    detail = answer_of(anyone.get(f"{URL}/tasks/{code}"))
    (listed,) = detail["supplementary_draws"]
    assert (listed["state"], listed["cancel_reason"]) == ("cancelled", REASON)

    # No longer blocking: the next one takes the next number and refers to no cancelled draw.
    second = answer_of(post_json(http, path), 201)
    assert second["number"] == 2 and second["announcement"]["basis"]["previous"] == []
    drawn = answer_of(post_json(http, f"{path}/2/draw"))
    assert drawn["state"] == "drawn" and drawn["verified"] is True and drawn["still_short"] == 0
    assert [i["code"] for i in drawn["inspections"][0]["inspectors"]] == ["HB031"]
    detail = answer_of(anyone.get(f"{URL}/tasks/{code}"))
    assert [s["verified"] for s in detail["supplementary_draws"]] == [None, True]

    original = answer_of(anyone.get(f"{URL}/tasks/{code}/transcript"))
    transcript = answer_of(anyone.get(f"{URL}/tasks/{code}/supplementary-draws/2/transcript"))
    announcement = answer_of(anyone.get(f"{URL}/tasks/{code}/supplementary-draws/2/announcement"))
    assert draw.verify_transcript(transcript, announcement, original=original)
    # The cancelled draw is not an earlier transcript: giving it fails.
    assert not draw.verify_transcript(
        transcript, announcement, original=original, previous=[cancelled_announcement]
    )
    files = {
        name: tmp_path / f"{name}.json"
        for name in ("transcript", "supplementary-2-transcript", "supplementary-2-announcement")
    }
    for name, document in zip(files, (original, transcript, announcement), strict=True):
        files[name].write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert (
        draw.main(
            [
                "verify",
                str(files["supplementary-2-transcript"]),
                "--announcement",
                str(files["supplementary-2-announcement"]),
                "--original",
                str(files["transcript"]),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith(f"OK: task {code}, supplementary draw for 1 targets")


def test_a_drawn_supplementary_draw_cannot_be_cancelled(cast: InspectionCast) -> None:
    code, http = _announced(cast)
    path = f"/tasks/{code}/supplementary-draws/1"
    answer_of(post_json(http, f"{path}/draw"))
    refused = refusal_of(
        post_json(http, f"{path}/cancel", {"reason": REASON}), 409, "already_drawn"
    )
    assert refused["detail"] == {"state": "drawn"}
    supplementary = SupplementaryDraw.objects.get(task__code=code, number=1)
    assert supplementary.state == DrawState.DRAWN and not supplementary.cancel_reason
    assert not LedgerEntry.objects.filter(action="regulation.cancel_supplementary_draw").exists()


def test_only_the_task_s_regulators_cancel_a_supplementary_draw(cast: InspectionCast) -> None:
    code, _http = _announced(cast)
    path = f"/tasks/{code}/supplementary-draws"
    body = {"reason": REASON}
    refusal_of(post_json(Client(), f"{path}/1/cancel", body), 401, "not_authenticated")
    refusal_of(
        post_json(logged_in(cast.reviewer), f"{path}/1/cancel", body), 403, "permission_denied"
    )
    refusal_of(
        post_json(logged_in(cast.district_regulator), f"{path}/1/cancel", body),
        404,
        "task_not_found",
    )
    refusal_of(
        post_json(logged_in(cast.regulator), f"{path}/2/cancel", body),
        404,
        "supplementary_draw_not_found",
    )
    assert SupplementaryDraw.objects.get(task__code=code).state == DrawState.ANNOUNCED
    # The page is as closed as the API.
    page = f"{TASKS}{code}/supplementary/1/cancel/"
    assert (
        logged_in(cast.reviewer).post(page, {"supplementary-cancel-reason": REASON}).status_code
        == 403
    )
    assert (
        logged_in(cast.district_regulator)
        .post(page, {"supplementary-cancel-reason": REASON})
        .status_code
        == 404
    )
    assert SupplementaryDraw.objects.get(task__code=code).state == DrawState.ANNOUNCED


# --- through the pages -------------------------------------------------------------------------


def test_the_task_page_cancels_a_supplementary_draw_and_the_public_page_shows_it_cancelled(
    cast: InspectionCast,
) -> None:
    code, http = _announced(cast)
    worst = Inspection.objects.get(task__code=code, enterprise=cast.worst)
    page = text_of(http.get(f"{TASKS}{code}/"))
    assert 'id="supplementary-draw"' in page and 'id="supplementary-cancel"' in page
    assert f'action="{TASKS}{code}/supplementary/1/cancel/"' in page and "data-confirm=" in page

    # A reason is required: the page comes back with the form open and nothing changed.
    blank = http.post(
        f"{TASKS}{code}/supplementary/1/cancel/", {"supplementary-cancel-reason": " "}
    )
    assert blank.status_code == 400
    assert 'id="id_supplementary-cancel-reason_error"' in text_of(blank)
    assert SupplementaryDraw.objects.get(task__code=code).state == DrawState.ANNOUNCED

    done = http.post(
        f"{TASKS}{code}/supplementary/1/cancel/", {"supplementary-cancel-reason": REASON}
    )
    assert done.status_code == 302 and done["Location"] == f"{TASKS}{code}/#supplementary"
    page = text_of(http.get(done["Location"]))
    assert "第 1 次补充抽取已撤销" in page
    assert 'id="supplementary-1-cancelled"' in page and REASON in page
    assert 'id="supplementary-draw"' not in page and 'id="supplementary-cancel"' not in page
    # The shortfall can be drawn for again.
    assert f'id="supplement-{worst.pk}"' in page

    again = http.post(
        f"{TASKS}{code}/supplementary/1/cancel/",
        {"supplementary-cancel-reason": REASON},
        follow=True,
    )
    assert "该次补充抽取已撤销。" in text_of(again)
    assert LedgerEntry.objects.filter(action="regulation.cancel_supplementary_draw").count() == 1

    anyone = Client()
    public = text_of(anyone.get(f"{PUBLIC}{code}/"))
    assert 'id="supplementary-1-state"' in public and "已撤销" in public
    assert 'id="supplementary-1-cancelled"' in public and REASON in public
    assert 'id="supplementary-cancel"' not in public
    assert anyone.get(f"{PUBLIC}{code}/supplementary/1/announcement.json").status_code == 200
    assert anyone.get(f"{PUBLIC}{code}/supplementary/1/transcript.json").status_code == 404

    announced = text_of(http.post(f"{TASKS}{code}/supplementary/", follow=True))
    assert "第 2 次补充抽取已公告" in announced
    drawn = text_of(http.post(f"{TASKS}{code}/supplementary/2/draw/", follow=True))
    assert "补充抽取已完成，检查人员已全部补足" in drawn
    assert 'id="supplementary-2-verified"' in drawn
    public = text_of(anyone.get(f"{PUBLIC}{code}/"))
    assert 'id="supplementary-2-verified"' in public and 'id="supplementary-1-cancelled"' in public


def test_a_get_on_the_cancel_form_s_url_returns_to_the_task_s_supplementary_draws(
    cast: InspectionCast,
) -> None:
    code, http = _announced(cast)
    url = f"{TASKS}{code}/supplementary/1/cancel/"
    refused = http.post(url, {"supplementary-cancel-reason": " "})
    assert refused.status_code == 400
    response = http.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response["Location"]) == (302, f"{TASKS}{code}/#supplementary")
    assert SupplementaryDraw.objects.get(task__code=code).state == DrawState.ANNOUNCED
