"""The one error the process engine raises, with stable codes."""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.core.errors import ZhengtongError


class ProcessError(ZhengtongError):
    """A process file or a process step was refused.

    ``code`` is one of the stable identifiers below; ``detail`` names the file,
    element or expression concerned.

    Load-time codes: ``process_not_found``, ``invalid_bpmn``, ``invalid_dmn``,
    ``missing_decision``, ``unknown_lane``, ``task_without_lane``,
    ``unknown_step``, ``unknown_outcome``, ``unsupported_element``,
    ``unsafe_expression``, ``invalid_expression``.
    Run-time codes: ``missing_input``, ``invalid_data``, ``task_not_ready``,
    ``missing_task_data``, ``review_not_passed``, ``already_finished``,
    ``state_incompatible``, ``version_mismatch``, ``evaluation_failed``,
    ``stalled``.
    """

    code = "process_error"
    status = 400
    default_message = _("办理流程无法继续。")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str,
        status: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, detail=detail)


class SandboxViolation(ValueError):
    """An expression uses something the restricted evaluator does not allow.

    Kept apart from ``ProcessError`` because it is raised deep inside the
    workflow engine; the loader and the runtime translate it.
    """
