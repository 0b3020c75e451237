"""The demo city's random inspections (双随机、一公开), idempotent.

Six inspectors of the city's environment bureau and its 芙蓉区 branch (all of
the city bureau when there is no branch), one of them related to the
legal representative of the food shop and recused from it. The task
"2026年排污单位双随机抽查" over the whole city is announced, drawn and has one
result recorded, so the public page shows a verified draw and the drawn
enterprise's credit file shows the inspection; a second task of the branch
is announced to be drawn tomorrow, so the public page also shows a
commitment whose seed is still secret.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.models import Department, Enterprise
from zhengtong.core.selectors import find_enterprise_by_credit_code
from zhengtong.core.testing import make_credit_code
from zhengtong.demo import city
from zhengtong.regulation.inspection_actions import (
    do_add_recusal,
    do_announce_inspection_task,
    do_draw_inspection_task,
    do_record_inspection_result,
    do_register_inspector,
)
from zhengtong.regulation.models import (
    DrawState,
    Inspection,
    InspectionOutcome,
    InspectionTask,
    Inspector,
    Recusal,
)

CITY_BUREAU = "cs-environment"
LAW = "生态环境执法"
PERMIT = "排污许可"
MONITORING = "自动监测"
# (执法证号, name, at the branch?, qualifications)
INSPECTORS = (
    ("43010020260001", "赵立新", False, (LAW, PERMIT)),
    ("43010020260002", "钱文静", False, (LAW,)),
    ("43010020260003", "孙浩然", False, (LAW, MONITORING)),
    ("43010220260001", "李嘉欣", True, (LAW,)),
    ("43010220260002", "周子健", True, (LAW, PERMIT)),
    ("43010220260003", "吴雨桐", True, (LAW, MONITORING)),
)
RECUSED = "43010220260001"
RECUSED_FROM = "长沙市芙蓉区湘味小厨餐饮店"
RELATION = "与该店法定代表人系近亲属"
MATTERS = (
    "排污许可证载明事项执行情况；污染防治设施运行和维护情况；"
    "自动监测设备运行和数据传输情况；环境管理台账记录情况"
)
# The demo city has few enterprises: a high base share still draws more than one.
DRAWN_TASK = ("CSHB-2026-01", "2026年排污单位双随机抽查", "4/5")
WAITING_TASK = ("FRHB-2026-01", "2026年芙蓉区排污单位双随机抽查（第二批）", "1/2")
# The result recorded in the demo, for the food shop if it was drawn, else the first target.
SHOP_FINDINGS = "油烟净化设施未按规定清洗维护，油烟排放超过限值；责令十五日内整改"
CLEAN_FINDINGS = "污染防治设施正常运行，台账记录完整"


def _enterprise(name: str) -> Enterprise | None:
    item = next((e for e in city.ENTERPRISES if e.name == name), None)
    if item is None:
        return None
    return find_enterprise_by_credit_code(make_credit_code(item.region_code, item.seq))


def _inspectors(bureau: Department, branch: Department, actor: Actor) -> int:
    made = 0
    for code, name, at_branch, qualifications in INSPECTORS:
        if Inspector.objects.filter(code=code).exists():
            continue
        department = branch if at_branch else bureau
        do_register_inspector(code, name, department, list(qualifications), actor=actor)
        made += 1
    shop = _enterprise(RECUSED_FROM)
    inspector = Inspector.objects.filter(code=RECUSED).first()
    if (
        shop is not None
        and inspector is not None
        and not Recusal.objects.filter(inspector=inspector, enterprise=shop).exists()
    ):
        do_add_recusal(inspector, shop, RELATION, actor=actor)
    return made


def _drawn_task(bureau: Department, actor: Actor, recorder: Actor) -> InspectionTask:
    code, title, ratio = DRAWN_TASK
    task = InspectionTask.objects.filter(code=code).first()
    if task is None:
        task = do_announce_inspection_task(
            code,
            title,
            bureau,
            bureau.region,
            MATTERS,
            ratio,
            actor=actor,
            required_qualification=LAW,
        )
    if task.state == DrawState.ANNOUNCED:
        task = do_draw_inspection_task(task, actor=actor)
    inspections = list(Inspection.objects.filter(task=task).select_related("enterprise"))
    if inspections and not any(i.outcome for i in inspections):
        shop = next((i for i in inspections if i.enterprise.name == RECUSED_FROM), None)
        chosen = shop or inspections[0]
        outcome, findings = (
            (InspectionOutcome.PROBLEMS, SHOP_FINDINGS)
            if shop is not None
            else (InspectionOutcome.PASS, CLEAN_FINDINGS)
        )
        do_record_inspection_result(chosen, outcome, findings, timezone.localdate(), actor=recorder)
    return task


def _waiting_task(branch: Department, actor: Actor) -> InspectionTask:
    code, title, ratio = WAITING_TASK
    task = InspectionTask.objects.filter(code=code).first()
    if task is not None:
        return task
    tomorrow = timezone.localtime(timezone.now(), SHANGHAI).date() + dt.timedelta(days=1)
    return do_announce_inspection_task(
        code,
        title,
        branch,
        branch.region,
        MATTERS,
        ratio,
        actor=actor,
        required_qualification=LAW,
        draw_after=dt.datetime.combine(tomorrow, dt.time(9, 30), tzinfo=SHANGHAI),
    )


def load_demo_inspections(*, actor: Actor, recorder: Actor | None = None) -> str:
    """Register the demo inspectors and tasks (one drawn with a result, one waiting).

    ``recorder`` enters the result, as a member of the bureau's staff does
    (the task page shows who); the loading command's actor when None.
    """
    bureau = Department.objects.filter(code=CITY_BUREAU).select_related("region").first()
    if bureau is None:
        return "random inspections: skipped (no city environment bureau)"
    branch = (
        Department.objects.filter(parent=bureau, is_active=True)
        .select_related("region")
        .order_by("code")
        .first()
        or bureau
    )
    made = _inspectors(bureau, branch, actor)
    drawn = _drawn_task(bureau, actor, recorder or actor)
    waiting = _waiting_task(branch, actor)
    targets = Inspection.objects.filter(task=drawn).count()
    results = Inspection.objects.filter(task=drawn).exclude(outcome="").count()
    return (
        f"random inspections: {made} inspectors registered; {drawn.code} drawn "
        f"(targets: {targets}, results: {results}); {waiting.code} announced, "
        f"drawn from {timezone.localtime(waiting.draw_after):%Y-%m-%d %H:%M}"
    )
