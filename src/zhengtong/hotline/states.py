"""The life of a 12345 case (工单), as one table and one check."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.core.transitions import step_between


class CaseState(models.TextChoices):
    # Waiting for a dispatcher: the model was unsure, nobody handles the
    # category in that region, a department sent it back, or the centre
    # recalled it from a department that had not signed for it.
    DISPATCHING = "dispatching", _("待派单")
    ASSIGNED = "assigned", _("待签收")
    HANDLING = "handling", _("办理中")
    REPLIED = "replied", _("已答复待回访")
    CLOSED = "closed", _("已办结")
    # A repeat of the same person's open case: its content lives on there.
    MERGED = "merged", _("已合并")


OPEN_STATES = (CaseState.DISPATCHING, CaseState.ASSIGNED, CaseState.HANDLING, CaseState.REPLIED)

# (from, to) -> the steps that may make the change. Two steps send an assigned
# case back to the dispatch queue: the department returns it (退回), or the
# centre recalls it (撤回) before the department has signed for it.
ALLOWED_TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (CaseState.DISPATCHING, CaseState.ASSIGNED): frozenset({"dispatch"}),
    (CaseState.DISPATCHING, CaseState.MERGED): frozenset({"merge"}),
    (CaseState.ASSIGNED, CaseState.HANDLING): frozenset({"sign"}),
    (CaseState.ASSIGNED, CaseState.DISPATCHING): frozenset({"return", "recall"}),
    (CaseState.HANDLING, CaseState.DISPATCHING): frozenset({"return"}),
    (CaseState.HANDLING, CaseState.REPLIED): frozenset({"reply"}),
    # Rated at the callback, or closed with the reply when nobody can be called back.
    (CaseState.REPLIED, CaseState.CLOSED): frozenset({"rate", "close"}),
    (CaseState.REPLIED, CaseState.HANDLING): frozenset({"reopen"}),
}


def check_transition(current: str, target: str, step: str) -> str:
    """Return ``step`` if it may move a case from ``current`` to ``target``, or refuse it."""
    allowed = {pair: step for pair, steps in ALLOWED_TRANSITIONS.items() if step in steps}
    return step_between(allowed, current, target, _("工单当前的状态不允许此操作。"))


class Channel(models.TextChoices):
    WEB = "web", _("网站")
    APP = "app", _("移动端")
    PHONE = "phone", _("电话")
    IMPORT = "import", _("批量导入")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    CRITICAL = "critical", _("特急")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class RoutedBy(models.TextChoices):
    MODEL = "model", _("自动分拨")
    DISPATCHER = "dispatcher", _("人工派单")


class EventKind(models.TextChoices):
    RECEIVED = "received", _("受理登记")
    REPEATED = "repeated", _("重复来电合并")
    LINKED = "linked", _("并单关联")
    ROUTED = "routed", _("自动分拨")
    QUEUED = "queued", _("转人工派单")
    DISPATCHED = "dispatched", _("派单")
    SIGNED = "signed", _("签收")
    RETURNED = "returned", _("退回")
    # The centre took an assigned case back before the department signed for it.
    RECALLED = "recalled", pgettext_lazy("hotline event", "撤回")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_DECIDED = "extension_decided", _("延期审批")
    URGED = "urged", _("催办")
    SUPERVISED = "supervised", _("督办")
    REPLIED = "replied", _("答复")
    RATED = "rated", _("回访评价")
    REOPENED = "reopened", _("重新办理")
    DEADLINE_RECOUNTED = "deadline_recounted", _("答复期限重算")
    # Nobody rated the reply within the callback period: the case closed unrated.
    CALLBACK_LAPSED = "callback_lapsed", _("回访期满办结")
    # A dispatcher or the department's head graded a dispatched case anew.
    URGENCY_CHANGED = "urgency_changed", _("调整紧急程度")


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REFUSED = "refused", _("未同意")
    # The department sent the case back or replied before the centre decided,
    # or a more urgent repeat shortened the deadline it asked to move: the
    # request no longer concerns anyone.
    WITHDRAWN = "withdrawn", _("已撤回")


class TrainingState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("训练中")
    READY = "ready", _("可启用")
    FAILED = "failed", _("失败")


class LimitUnit(models.TextChoices):
    HOURS = "hours", _("小时")
    WORKING_DAYS = "working_days", _("工作日")
    DAYS = "days", _("自然日")


class WarningLevel(models.TextChoices):
    NONE = "", _("正常")
    YELLOW = "yellow", _("黄灯预警")
    RED = "red", _("红灯超时")
