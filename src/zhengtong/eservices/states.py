"""The lifecycle of a service item (政务服务事项), as one table and one check."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.core.transitions import step_between


class ItemState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    SUSPENDED = "suspended", _("暂停办理")


# (from, to) -> the action that makes the change.
ALLOWED_TRANSITIONS: dict[tuple[str, str], str] = {
    (ItemState.DRAFT, ItemState.PUBLISHED): "publish",
    (ItemState.SUSPENDED, ItemState.PUBLISHED): "publish",
    (ItemState.PUBLISHED, ItemState.SUSPENDED): "suspend",
}


def check_transition(current: str, target: str) -> str:
    """Return the name of the step from ``current`` to ``target``, or refuse it."""
    return step_between(ALLOWED_TRANSITIONS, current, target, _("事项当前的状态不允许此操作。"))
