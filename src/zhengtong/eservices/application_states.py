"""The lifecycle of an online application (办件), as one table and one check."""

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override as translation_override

from zhengtong.core.transitions import step_between


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交，待受理")
    ACCEPTED = "accepted", _("已受理，办理中")
    CORRECTING = "correcting", _("待补正")
    APPROVED = "approved", _("准予")
    REJECTED = "rejected", _("不予")
    WITHDRAWN = "withdrawn", _("已撤回")


# The states in which an application is finished; nothing changes it any more
# except ratings.
FINISHED_STATES = (ApplicationState.APPROVED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN)
# The states in which staff are working on it.
OPEN_STATES = (ApplicationState.SUBMITTED, ApplicationState.ACCEPTED, ApplicationState.CORRECTING)

# (from, to) -> the step that makes the change.
ALLOWED_TRANSITIONS: dict[tuple[str, str], str] = {
    (ApplicationState.DRAFT, ApplicationState.SUBMITTED): "submit",
    # 秒批: the decision table approves at submission, with no human step.
    (ApplicationState.DRAFT, ApplicationState.APPROVED): "auto_approve",
    # A check table ended the process at submission (e.g. not eligible).
    (ApplicationState.DRAFT, ApplicationState.REJECTED): "auto_reject",
    (ApplicationState.DRAFT, ApplicationState.WITHDRAWN): "withdraw",
    (ApplicationState.SUBMITTED, ApplicationState.ACCEPTED): "accept",
    (ApplicationState.SUBMITTED, ApplicationState.REJECTED): "refuse",
    (ApplicationState.SUBMITTED, ApplicationState.CORRECTING): "request_correction",
    (ApplicationState.SUBMITTED, ApplicationState.WITHDRAWN): "withdraw",
    (ApplicationState.ACCEPTED, ApplicationState.CORRECTING): "request_correction",
    (ApplicationState.ACCEPTED, ApplicationState.APPROVED): "approve",
    (ApplicationState.ACCEPTED, ApplicationState.REJECTED): "reject",
    (ApplicationState.ACCEPTED, ApplicationState.WITHDRAWN): "withdraw",
    # After 补正 the application goes back to where it was asked for.
    (ApplicationState.CORRECTING, ApplicationState.SUBMITTED): "submit_correction",
    (ApplicationState.CORRECTING, ApplicationState.ACCEPTED): "submit_correction",
    (ApplicationState.CORRECTING, ApplicationState.WITHDRAWN): "withdraw",
}


def check_application_transition(current: str, target: str) -> str:
    """Return the name of the step from ``current`` to ``target``, or refuse it."""
    return step_between(ALLOWED_TRANSITIONS, current, target, _("申请当前的状态不允许此操作。"))


class WarningLevel(models.TextChoices):
    NORMAL = "normal", _("正常")
    YELLOW = "yellow", _("黄牌预警")
    RED = "red", _("红牌超期")


# The share of the committed time limit used at which the warning turns yellow.
YELLOW_AT = 0.8


class RatingTag(models.TextChoices):
    """Tags an applicant may attach to a rating (好差评); stored by code, shown translated."""

    CONVENIENT = "convenient", _("办事便捷")
    FEW_MATERIALS = "few_materials", _("材料精简")
    COURTEOUS = "courteous", _("服务热情")
    TIMELY = "timely", _("办理及时")
    CUMBERSOME = "cumbersome", _("流程繁琐")
    LONG_WAIT = "long_wait", _("等待时间长")
    UNCLEAR = "unclear", _("告知不清楚")


def _source(label: Promise) -> str:
    # The untranslated (zh-Hans) text of a lazy label.
    with translation_override(None):
        return str(label)


def rating_tag_code(tag: str) -> str | None:
    """Return the code of a tag given by code or by its Chinese label, None if unknown."""
    if tag in RatingTag.values:
        return tag
    for choice in RatingTag:
        if _source(choice.label) == tag:
            return str(choice.value)
    return None


def rating_tag_label(tag: str) -> str:
    """Show a stored tag: a code by its label; a Chinese tag stored before codes translated."""
    code = rating_tag_code(tag)
    return str(RatingTag(code).label) if code else tag


class StepName(models.TextChoices):
    """The names the process files give their user tasks, to translate them on display."""

    ACCEPT = "受理", _("受理")
    REVIEW = "审查", _("审查")
    DECIDE = "决定", _("决定")
    DELIVER = "送达", _("送达")
    REVIEW_MARKET = "审查（市场监管）", _("审查（市场监管）")
    REVIEW_ENVIRONMENT = "审查（生态环境）", _("审查（生态环境）")
    REVIEW_FIRE = "审查（消防）", _("审查（消防）")


def step_label(name: str) -> str:
    """Show a task's name in the user's language (a name the list does not know, as it is)."""
    return str(StepName(name).label) if name in StepName.values else name
