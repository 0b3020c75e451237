"""Applications the demo city has in progress, so that every workbench has work (idempotent).

Each is made through the action layer by the demo's own users, as they would
on the pages: the applicant saves a draft (prefilled from the exchange),
uploads or promises its materials and submits; staff claim and complete the
steps up to where the application is left waiting. Run after the service
items, the licences and the platform's exchange grants are loaded.

* 张三 opens a restaurant (开办餐饮店“一件事”): accepted, the market review
  done, the environment and fire reviews waiting (并联审批).
* 长沙星城环保科技有限公司 asks for a canteen's food business licence: waiting
  for acceptance at the market regulation bureau.
* 长沙橘洲文化传媒有限公司 asks for a public-place hygiene licence: accepted, and
  the reviewer has asked for a correction (补正), so its clock stands still.

The demo story's restaurant, 湘味小厨, is left alone: its owner applies live.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengtong.core.testing import make_credit_code
from zhengtong.demo import city
from zhengtong.eservices import application_actions as act
from zhengtong.eservices.models import (
    Application,
    MaterialRequirement,
    MaterialSource,
    ServiceItem,
    WorkTask,
)
from zhengtong.identity.models import User

# A one-page PDF stands in for each uploaded scan.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class _Step:
    """Who completes the open task of a lane, or asks for a correction there."""

    username: str
    lane: str
    opinion: str = ""
    correction: str = ""


@dataclass(frozen=True)
class _Case:
    applicant: str
    item_code: str
    form: dict[str, Any]
    credit_code: str = ""
    steps: list[_Step] = field(default_factory=list)


def _credit_code_of(name: str) -> str:
    firm = next(item for item in city.ENTERPRISES if item.name == name)
    return make_credit_code(firm.region_code, firm.seq)


def _cases() -> list[_Case]:
    return [
        _Case(
            "zhangsan",
            "200090100100",
            {
                "business_name": "张三米粉店",
                "premises": "湖南省长沙市芙蓉区文艺路街道八一路12号一楼",
                "area": 86,
                "seats": 32,
                "kitchen_fuel": "燃气",
                "business_items": "热食类食品制售（米粉、面条）",
                "phone": "13807311234",
            },
            steps=[
                _Step("hejing", "acceptor", "材料齐全，予以受理，转三部门并联审查。"),
                _Step("luobin", "market.reviewer", "经营场所和布局符合餐饮服务要求。"),
            ],
        ),
        _Case(
            "chenjianguo",
            "010011700100",
            {
                "business_type": "单位食堂",
                "business_items": "热食类食品制售（职工食堂）",
                "premises": "湖南省长沙市天心区坡子街街道解放西路120号三楼",
                "area": 180,
                "food_safety_officer": "王建平",
                "phone": "13307316789",
            },
            credit_code=_credit_code_of("长沙星城环保科技有限公司"),
        ),
        _Case(
            "huangli",
            "010020500100",
            {
                "place_type": "其他",
                "premises": "湖南省长沙市天心区城南路街道书院路9号橘洲小剧场",
                "area": 420,
                "staff_count": 18,
                "phone": "15874120357",
            },
            credit_code=_credit_code_of("长沙橘洲文化传媒有限公司"),
            steps=[
                _Step("kongli", "acceptor", "材料齐全，予以受理。"),
                _Step(
                    "kongli",
                    "reviewer",
                    correction=(
                        "卫生设施平面布局图未标明观众厅的通风设施和卫生间位置，请补正后重新上传。"
                    ),
                ),
            ],
        ),
    ]


def _provide_materials(application: Application, user: User) -> None:
    promise_on = timezone.localdate() + dt.timedelta(days=14)
    for material in application.item.materials.all():
        if material.source != MaterialSource.UPLOAD or act.is_application_form(material):
            continue
        if material.requirement == MaterialRequirement.REQUIRED:
            scan = SimpleUploadedFile(f"{material.name[:40]}.pdf", _PDF, "application/pdf")
            act.do_upload_material(application, material.pk, scan, acting_user=user)
        elif material.requirement == MaterialRequirement.DEFERRABLE:
            act.do_promise_material(application, material.pk, promise_on, acting_user=user)


def _open_task(application: Application, lane: str) -> WorkTask:
    return application.tasks.get(completed_at=None, role=lane)


def _work(application: Application, step: _Step) -> Application:
    staff = User.objects.get(username=step.username)
    task = _open_task(application, step.lane)
    act.do_claim_task(task, acting_user=staff)
    if step.correction:
        return act.do_request_correction(application, step.correction, acting_user=staff)
    return act.do_complete_task(task, act.TaskResult(opinion=step.opinion), acting_user=staff)


def load_demo_applications() -> int:
    """Make the demo applications that are missing; return how many were made.

    Every step acts as the demo user who would take it, so the ledger names them.
    """
    made = 0
    for case in _cases():
        item = ServiceItem.objects.filter(code=case.item_code).first()
        applicant = User.objects.filter(username=case.applicant).first()
        if item is None or applicant is None:
            continue
        if Application.objects.filter(item=item, applicant=applicant).exists():
            continue
        application = act.do_save_draft(
            item, case.form, acting_user=applicant, credit_code=case.credit_code
        )
        _provide_materials(application, applicant)
        application = act.do_submit_application(application, acting_user=applicant)
        for step in case.steps:
            application = _work(application, step)
        made += 1
    return made
