"""The random-inspection pages through the test client: the regulator's and the public's.

The cast is the actions' (test_inspection_tasks.py): 周检 runs inspections for
the whole city, 陈芙 for the 芙蓉区 branch, 王五 reviews applications and runs
none, 张三 is a citizen; anyone may read the public pages.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.regulation import inspection_draw as draw
from zhengtong.regulation.credit_selectors import standing_of
from zhengtong.regulation.inspection_actions import do_draw_inspection_task
from zhengtong.regulation.models import (
    CreditRecord,
    DrawState,
    Inspection,
    InspectionTask,
    Inspector,
    Recusal,
)
from zhengtong.regulation.tests.bureau import logged_in, text_of
from zhengtong.regulation.tests.test_inspection_tasks import (
    MATTERS,
    InspectionCast,
    announce,
    hidden_seed,
    make_inspection_cast,
)

TASKS = "/regulation/inspections/"
INSPECTORS = "/regulation/inspectors/"
PUBLIC = "/regulation/public/inspections/"


@pytest.fixture
def cast(db: None) -> InspectionCast:
    return make_inspection_cast()


def _task_form(**changes: str) -> dict[str, str]:
    data = {
        "code": "CSHB-2026-07",
        "title": "2026年第七批排污单位双随机抽查",
        "department": "cs-environment",
        "region": "430100",
        "industry_code": "",
        "matters": MATTERS,
        "base_ratio": "0.1",
        "inspectors_per_target": "2",
        "required_qualification": "",
        "draw_after": "",
    }
    data.update(changes)
    return data


# --- who may see what --------------------------------------------------------------------------


def test_the_regulator_s_pages_need_a_log_in_and_the_permission(cast: InspectionCast) -> None:
    task = announce(cast)
    pages = [TASKS, INSPECTORS, f"{TASKS}{task.code}/"]
    for url in pages:
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
        for user in (cast.reviewer, cast.citizen):
            assert logged_in(user).get(url).status_code == 403, (url, user)
        assert logged_in(cast.regulator).get(url).status_code == 200
    for url in (f"{TASKS}{task.code}/draw/", f"{TASKS}{task.code}/cancel/"):
        assert logged_in(cast.reviewer).post(url).status_code == 403
    assert InspectionTask.objects.get(pk=task.pk).state == DrawState.ANNOUNCED


def test_a_branch_regulator_sees_only_the_branch_s_tasks_and_inspectors(
    cast: InspectionCast,
) -> None:
    city_task = announce(cast)
    branch_task = announce(
        cast, code="FRHB-2026-01", department=cast.branch, region=cast.regions.furong
    )
    branch = logged_in(cast.district_regulator)
    listing = text_of(branch.get(TASKS))
    assert f'id="task-{branch_task.code}"' in listing
    assert f'id="task-{city_task.code}"' not in listing
    assert branch.get(f"{TASKS}{city_task.code}/").status_code == 404
    assert branch.post(f"{TASKS}{city_task.code}/draw/").status_code == 404
    register = text_of(branch.get(INSPECTORS))
    assert "王四" in register and "周一" not in register
    # The department list offers the branch only.
    assert 'value="fr-environment"' in listing and 'value="cs-environment"' not in listing


# --- announcing, drawing, recording -----------------------------------------------------------


def test_the_regulator_announces_a_task_on_the_page(cast: InspectionCast) -> None:
    http = logged_in(cast.regulator)
    page = text_of(http.get(TASKS))
    assert "公告新任务" in page
    response = http.post(TASKS, _task_form())
    assert response.status_code == 302
    assert response["Location"] == f"{TASKS}CSHB-2026-07/"
    task = InspectionTask.objects.get(code="CSHB-2026-07")
    assert task.base_ratio == "1/10" and task.department == cast.environment
    detail = text_of(http.get(response["Location"]))
    assert task.commitment in detail
    assert "立即抽取" in detail


def test_bad_announcements_are_shown_again_with_the_reason(cast: InspectionCast) -> None:
    http = logged_in(cast.regulator)
    cases = [
        ({"base_ratio": "1.5"}, "抽查比例应大于 0 且不超过 1。"),
        ({"base_ratio": "十分之一"}, "抽查比例应为分数或小数"),
        ({"region": "999999"}, "没有该行政区划代码。"),
        ({"industry_code": "Z99"}, "抽查区域和行业内没有可抽取的企业。"),
        ({"department": "cs-market-nope"}, "选择一个有效的选项"),
        ({"draw_after": "明天"}, "输入一个有效的日期/时间。"),
    ]
    for changes, message in cases:
        response = http.post(TASKS, _task_form(**changes))
        assert response.status_code == 400, changes
        assert message in text_of(response), changes
    announce(cast, code="CSHB-2026-07")
    taken = http.post(TASKS, _task_form())
    assert taken.status_code == 400 and "该任务编号已被使用。" in text_of(taken)
    assert InspectionTask.objects.count() == 1


def test_the_draw_button_appears_when_due_and_draws(cast: InspectionCast) -> None:
    later = announce(cast, code="LATER", draw_after=timezone.now() + dt.timedelta(days=1))
    http = logged_in(cast.regulator)
    waiting = text_of(http.get(f"{TASKS}{later.code}/"))
    assert "立即抽取" not in waiting and "抽取时间不早于" in waiting
    early = http.post(f"{TASKS}{later.code}/draw/", follow=True)
    assert "尚未到公告的抽取时间" in text_of(early)

    task = announce(cast, base_ratio="1")
    response = http.post(f"{TASKS}{task.code}/draw/", follow=True)
    page = text_of(response)
    assert "种子和抽取记录已公开" in page
    drawn = InspectionTask.objects.get(pk=task.pk)
    assert drawn.state == DrawState.DRAWN and drawn.seed_hex in page
    for inspection in Inspection.objects.filter(task=task):
        assert f'id="inspection-{inspection.pk}"' in page
        assert inspection.enterprise.name in page
    assert 'id="verified"' in page


def test_a_result_is_recorded_in_place_and_changes_the_grade(cast: InspectionCast) -> None:
    task = do_draw_inspection_task(
        announce(cast, region=cast.regions.furong, industry_code="C2614"), actor=TEST_ACTOR
    )
    inspection = Inspection.objects.get(task=task)
    assert inspection.enterprise == cast.clean
    http = logged_in(cast.regulator)
    url = f"/regulation/inspection-results/{inspection.pk}/"
    prefix = f"result-{inspection.pk}"
    today = timezone.localdate().isoformat()
    htmx = {"HX-Request": "true"}

    missing = http.post(
        url, {f"{prefix}-outcome": "problems", f"{prefix}-inspected_on": today}, headers=htmx
    )
    assert missing.status_code == 200
    assert "请写明检查情况" in text_of(missing)
    assert not Inspection.objects.get(pk=inspection.pk).outcome

    findings = "在线监测设备未按规定校准"
    row = http.post(
        url,
        {
            f"{prefix}-outcome": "problems",
            f"{prefix}-inspected_on": today,
            f"{prefix}-findings": findings,
        },
        headers=htmx,
    )
    text = text_of(row)
    assert text.lstrip().startswith(f'<tr id="inspection-{inspection.pk}"')
    assert findings in text and "发现问题，责令整改" in text and "<form" not in text
    record = CreditRecord.objects.get(enterprise=cast.clean, kind="inspection")
    assert record.severity == "problems"
    standing = standing_of(cast.clean)
    assert standing is not None and standing.score < 100

    again = http.post(url, {f"{prefix}-outcome": "pass", f"{prefix}-inspected_on": today})
    assert again.status_code == 302
    assert CreditRecord.objects.filter(enterprise=cast.clean).count() == 1
    public = text_of(Client().get(f"{PUBLIC}{task.code}/"))
    assert findings in public


def test_a_task_is_cancelled_with_a_reason_and_its_seed_published(cast: InspectionCast) -> None:
    task = announce(cast)
    seed = hidden_seed(task)
    http = logged_in(cast.regulator)
    empty = http.post(f"{TASKS}{task.code}/cancel/", {"reason": ""})
    assert empty.status_code == 400 and "这个字段是必填项。" in text_of(empty)
    done = http.post(f"{TASKS}{task.code}/cancel/", {"reason": "检查事项有误，重新公告"})
    assert done.status_code == 302
    assert InspectionTask.objects.get(pk=task.pk).state == DrawState.CANCELLED
    public = text_of(Client().get(f"{PUBLIC}{task.code}/"))
    assert "已撤销" in public and seed in public
    assert "检查事项有误，重新公告" in public


# --- the inspector register -------------------------------------------------------------------


def test_the_register_page_adds_inspectors_recusals_and_deactivates(cast: InspectionCast) -> None:
    http = logged_in(cast.regulator)
    added = http.post(
        INSPECTORS,
        {
            "code": "HB010",
            "name": "李七",
            "department": "fr-environment",
            "qualifications": "生态环境执法、排污许可",
        },
    )
    assert added.status_code == 302
    inspector = Inspector.objects.get(code="HB010")
    assert inspector.qualifications == ["生态环境执法", "排污许可"]
    assert inspector.department == cast.branch

    taken = http.post(INSPECTORS, {"code": "HB010", "name": "李八", "department": "fr-environment"})
    assert taken.status_code == 400 and "该执法证号已在名录库中。" in text_of(taken)

    url = f"{INSPECTORS}HB010/recusals/"
    unknown = http.post(
        url, {"recusal-HB010-enterprise": "91430102MA4L000000", "recusal-HB010-relation": "亲属"}
    )
    assert unknown.status_code == 400 and "没有该统一社会信用代码的企业。" in text_of(unknown)
    ok = http.post(
        url,
        {
            "recusal-HB010-enterprise": cast.major.credit_code,
            "recusal-HB010-relation": "曾任该企业环保顾问",
        },
    )
    assert ok.status_code == 302
    recusal = Recusal.objects.get(inspector=inspector)
    page = text_of(http.get(INSPECTORS))
    assert "曾任该企业环保顾问" in page

    assert http.post(f"{INSPECTORS}HB010/recusals/{recusal.pk}/remove/").status_code == 302
    assert not Recusal.objects.filter(pk=recusal.pk).exists()
    assert http.post(f"{INSPECTORS}HB010/active/", {"is_active": "0"}).status_code == 302
    assert not Inspector.objects.get(pk=inspector.pk).is_active
    # The branch regulator cannot touch the city bureau's inspectors.
    branch = logged_in(cast.district_regulator)
    assert branch.post(f"{INSPECTORS}HB001/active/", {"is_active": "0"}).status_code == 404
    assert Inspector.objects.get(code="HB001").is_active
    # In English the state and the button that changes it read differently
    # (停用 is both in Chinese).
    http.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = text_of(http.get(INSPECTORS))
    assert "Off duty" in english and "Take off duty" in english


# --- public (一公开) ---------------------------------------------------------------------------


def test_before_the_draw_the_public_sees_the_commitment_but_never_the_seed(
    cast: InspectionCast,
) -> None:
    task = announce(cast, draw_after=timezone.now() + dt.timedelta(days=1))
    anyone = Client()
    listing = anyone.get(PUBLIC)
    assert listing.status_code == 200 and task.title in text_of(listing)
    page = anyone.get(f"{PUBLIC}{task.code}/")
    assert page.status_code == 200
    text = text_of(page)
    assert task.commitment in text and task.registers_digest in text
    assert "保密，抽取后公开" in text
    assert 'id="class-D"' in text and "2/5" in text
    announcement = anyone.get(f"{PUBLIC}{task.code}/announcement.json")
    assert announcement.status_code == 200
    assert json.loads(announcement.content) == task.announcement
    assert anyone.get(f"{PUBLIC}{task.code}/transcript.json").status_code == 404
    regulator_page = text_of(logged_in(cast.regulator).get(f"{TASKS}{task.code}/"))
    seed = hidden_seed(task)
    for body in (text_of(listing), text, announcement.content.decode(), regulator_page):
        assert seed not in body
    assert anyone.get(f"{PUBLIC}NO-SUCH-TASK/").status_code == 404


def test_after_the_draw_the_public_page_verifies_the_transcript_and_shows_results(
    cast: InspectionCast,
) -> None:
    task = do_draw_inspection_task(announce(cast, base_ratio="1"), actor=TEST_ACTOR)
    anyone = Client()
    text = text_of(anyone.get(f"{PUBLIC}{task.code}/"))
    assert task.seed_hex in text
    assert 'id="verified"' in text
    assert "python -m zhengtong.regulation.inspection_draw verify transcript.json" in text
    for inspection in Inspection.objects.filter(task=task).prefetch_related("inspectors"):
        assert inspection.enterprise.name in text
        for inspector in inspection.inspectors.all():
            assert inspector.name in text
    transcript = json.loads(anyone.get(f"{PUBLIC}{task.code}/transcript.json").content)
    announcement = json.loads(anyone.get(f"{PUBLIC}{task.code}/announcement.json").content)
    assert draw.verify_transcript(transcript, announcement)


def test_a_transcript_changed_after_the_draw_is_shown_as_not_verified(
    cast: InspectionCast,
) -> None:
    task = do_draw_inspection_task(announce(cast, base_ratio="1"), actor=TEST_ACTOR)
    assert task.transcript is not None
    forged = json.loads(json.dumps(task.transcript))
    forged["result"]["inspections"][0]["inspectors"].reverse()
    InspectionTask.objects.filter(pk=task.pk).update(transcript=forged)
    text = text_of(Client().get(f"{PUBLIC}{task.code}/"))
    assert 'id="not-verified"' in text and 'id="verified"' not in text


def test_a_get_on_a_refused_form_s_url_returns_to_its_page(cast: InspectionCast) -> None:
    # A refused cancel or recusal form is shown again at the URL it posts to;
    # a reload or the language switch brings the browser back there with a GET.
    task = announce(cast)
    http = logged_in(cast.regulator)
    http.post(INSPECTORS, {"code": "HB010", "name": "李八", "department": "fr-environment"})
    assert http.post(f"{TASKS}{task.code}/cancel/", {"reason": ""}).status_code == 400
    for url, page in (
        (f"{TASKS}{task.code}/cancel/", f"{TASKS}{task.code}/"),
        (f"{INSPECTORS}HB010/recusals/", INSPECTORS),
    ):
        response = http.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert (response.status_code, response["Location"]) == (302, page), url
        assert http.head(url).status_code == 302, url
    # Nothing was done by the GETs, and they open nothing to who may not post.
    assert InspectionTask.objects.get(pk=task.pk).state == DrawState.ANNOUNCED
    assert logged_in(cast.reviewer).get(f"{TASKS}{task.code}/cancel/").status_code == 403
