"""The demo city's credit repair (信用修复), idempotent.

长沙星城环保科技有限公司 (its legal representative 陈建国 logs in as
'chenjianguo') had its waste-water outlet's COD over the limit four months
before the demo was loaded; the record is on its credit file and 陈建国 has
asked for its repair, so the regulator 周检 finds one request waiting at
/regulation/repairs/ and the enterprise sees it on /regulation/my/.
"""

from __future__ import annotations

from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.errors import ZhengtongError
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import User
from zhengtong.identity.selectors import memberships_of
from zhengtong.regulation.credit_actions import do_record_credit
from zhengtong.regulation.credit_scorecard import add_months
from zhengtong.regulation.models import CreditKind, CreditRecord, CreditRepair
from zhengtong.regulation.repair_actions import do_request_credit_repair

ENTERPRISE = "长沙星城环保科技有限公司"
USERNAME = "chenjianguo"
# Fixed, so that loading the demo again finds the record instead of adding one.
SOURCE_REF = "demo:xingcheng-cod-over-limit"
MONTHS_AGO = 4
DESCRIPTION = "废水总排口化学需氧量（COD）小时均值 68.4 mg/L，超过排放限值 50 mg/L"
AUTHORITY = "长沙市生态环境局"
RECTIFICATION = (
    "已查明超标原因为生化池曝气风机故障，已更换风机并增设备用风机；"
    "委托第三方检测机构连续三日采样复测，化学需氧量均低于排放限值；"
    "已修订运维规程，每日巡检曝气系统并留存记录。"
)
COMMITMENT = (
    "本企业郑重承诺：已按要求纠正失信行为、履行相关法定义务，所填整改情况和提交的材料真实、"
    "准确、完整；今后将严格遵守法律法规，诚信经营，自觉接受政府部门和社会监督。"
)


def load_demo_enterprise(*, actor: Actor) -> str:
    """Put the over-limit record on the company's file and its pending repair request, once."""
    user = User.objects.filter(username=USERNAME).first()
    membership = memberships_of(user).filter(enterprise__name=ENTERPRISE).first() if user else None
    if user is None or membership is None:
        return f"credit repair: no enterprise user {USERNAME} of {ENTERPRISE}, skipped"
    enterprise = membership.enterprise
    record = CreditRecord.objects.filter(enterprise=enterprise, source_ref=SOURCE_REF).first()
    if record is None:
        record = do_record_credit(
            enterprise,
            CreditKind.OVER_LIMIT_ALARM,
            add_months(timezone.localdate(), -MONTHS_AGO),
            DESCRIPTION,
            actor=actor,
            authority=AUTHORITY,
            source_ref=SOURCE_REF,
        )
    if CreditRepair.objects.filter(record=record).exists():
        return f"credit repair: the request of {ENTERPRISE} is already there"
    try:
        # Filed by the company's own user, as on the request form.
        do_request_credit_repair(record, RECTIFICATION, COMMITMENT, actor=actor_of(user), user=user)
    except ZhengtongError as error:
        return f"credit repair: the record of {ENTERPRISE} cannot be repaired yet ({error.code})"
    return f"credit repair: 1 request of {ENTERPRISE} waits for zhoujian at /regulation/repairs/"
