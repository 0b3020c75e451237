"""The lifecycle of a catalog entry, as one table and one check."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.core.transitions import step_between


class ResourceState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    REVIEWED = "reviewed", _("已审核")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已下架")


# (from, to) -> the action that makes the change.
ALLOWED_TRANSITIONS: dict[tuple[str, str], str] = {
    (ResourceState.DRAFT, ResourceState.SUBMITTED): "submit",
    (ResourceState.SUBMITTED, ResourceState.REVIEWED): "review",
    (ResourceState.SUBMITTED, ResourceState.DRAFT): "return",
    (ResourceState.REVIEWED, ResourceState.PUBLISHED): "publish",
    (ResourceState.PUBLISHED, ResourceState.RETIRED): "retire",
}


def check_transition(current: str, target: str) -> str:
    """Return the name of the step from ``current`` to ``target``, or refuse it."""
    return step_between(ALLOWED_TRANSITIONS, current, target, _("目录当前的状态不允许此操作。"))


class RevisionState(models.TextChoices):
    """A change (变更) of a published entry: drafted and submitted by the provider's
    officers, applied by the data bureau; the entry stays published meanwhile."""

    DRAFT = "draft", _("变更草稿")
    SUBMITTED = "submitted", _("变更待审核")
    APPLIED = "applied", _("变更已生效")
    DISCARDED = "discarded", _("变更已撤销")


# The states in which a resource has its one open revision.
OPEN_REVISION_STATES = (RevisionState.DRAFT, RevisionState.SUBMITTED)

# Retiring the entry also discards its open change, drafted or submitted
# (``actions.do_retire_resource``): that is the entry's step, not the change's.
REVISION_TRANSITIONS: dict[tuple[str, str], str] = {
    (RevisionState.DRAFT, RevisionState.SUBMITTED): "submit",
    (RevisionState.DRAFT, RevisionState.DISCARDED): "discard",
    (RevisionState.SUBMITTED, RevisionState.DRAFT): "return",
    (RevisionState.SUBMITTED, RevisionState.APPLIED): "apply",
}


def check_revision_transition(current: str, target: str) -> str:
    """Return the name of the revision's step from ``current`` to ``target``, or refuse it."""
    return step_between(REVISION_TRANSITIONS, current, target, _("变更当前的状态不允许此操作。"))
