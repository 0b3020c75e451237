"""Refusing every problem of a submission at once, each beside its field.

A form that names one problem per sending makes its user send it again for
each of the others. The actions check all of their inputs first, and refuse
with all the problems found: one problem alone is refused as before (its own
code, message and detail); several are refused with ``invalid_input``, as the
catalog and the services do, ``detail.fields`` naming every field and
``detail.problems`` holding each problem's own code, message and detail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.utils.translation import gettext as _

from zhengtong.core.errors import InvalidInput, ZhengtongError
from zhengtong.core.forms import show_refusal

T = TypeVar("T")


class Problems:
    """The input problems an action finds, to refuse them together."""

    def __init__(self) -> None:
        self.found: list[InvalidInput] = []

    def check(self, check: Callable[[], T]) -> T | None:
        """Run one check: its result, or None when it refused (the refusal is kept)."""
        try:
            return check()
        except InvalidInput as error:
            self.found.append(error)
            return None

    def add(self, error: InvalidInput) -> None:
        """Keep a problem found without a check of its own."""
        self.found.append(error)

    def refuse(self) -> None:
        """Raise the problems found, if any, as one refusal."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise every_problem(self.found)


def every_problem(found: list[InvalidInput]) -> InvalidInput:
    """One refusal of several problems, each kept whole in ``detail.problems``."""
    fields: dict[str, Any] = {}
    for error in found:
        named = error.detail.get("fields")
        if isinstance(named, dict):
            for name, reason in named.items():
                fields.setdefault(name, reason)
    return InvalidInput(
        _("填写的内容有 %(n)d 处问题，请按提示逐项修改。") % {"n": len(found)},
        detail={"fields": fields, "problems": [error.as_dict() for error in found]},
    )


def show_problems(form: forms.Form, error: ZhengtongError) -> None:
    """Put each problem of a refusal beside its field (a field the form lacks: above the form)."""
    problems = error.detail.get("problems")
    if not isinstance(problems, list):
        show_refusal(form, error)
        return
    for problem in problems:
        named = problem.get("detail", {}).get("fields")
        shown = [name for name in named or {} if name in form.fields]
        for name in shown or [None]:
            form.add_error(name, problem["message"])


def field_messages(error: ZhengtongError) -> dict[str, str]:
    """Each field's message of a refusal: its own problem's, or the refusal's."""
    problems = error.detail.get("problems")
    if not isinstance(problems, list):
        problems = [error.as_dict()]
    messages: dict[str, str] = {}
    for problem in problems:
        for name in problem.get("detail", {}).get("fields") or {}:
            messages.setdefault(name, problem["message"])
    return messages
