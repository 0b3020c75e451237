"""Lifecycles as tables: (from state, to state) -> the step that makes the change."""

from collections.abc import Mapping

from django.utils.functional import Promise

from zhengtong.core.errors import Conflict


def step_between(
    table: Mapping[tuple[str, str], str], current: str, target: str, refusal: str | Promise
) -> str:
    """Return the step from ``current`` to ``target`` in ``table``, or refuse with ``refusal``."""
    step = table.get((current, target))
    if step is None:
        raise Conflict(
            refusal,
            code="invalid_transition",
            detail={"from": str(current), "to": str(target)},
        )
    return step
