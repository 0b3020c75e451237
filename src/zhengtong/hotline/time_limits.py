"""Dispatch and reply deadlines of 12345 cases, and their warning lights.

The limits are data (``TimeLimitRule``), per urgency and optionally per
category: dispatch within hours, reply within hours, working days or
calendar days. A rule for the case's category wins over the urgency's
general rule; without any rule the national defaults below apply
(国办发〔2020〕53号 leaves the figures to each city). The warning turns yellow
when 80 % of the time is used and red when the deadline has passed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import ngettext

from zhengtong.core.calendar import add_working_days
from zhengtong.hotline.models import Case, TimeLimitRule
from zhengtong.hotline.states import CaseState, LimitUnit, Urgency, WarningLevel

YELLOW_AT = 0.8


@dataclass(frozen=True, slots=True)
class Limits:
    dispatch_hours: int
    reply_amount: int
    reply_unit: str


DEFAULT_LIMITS: dict[str, Limits] = {
    Urgency.CRITICAL: Limits(1, 2, LimitUnit.HOURS),
    Urgency.URGENT: Limits(2, 24, LimitUnit.HOURS),
    Urgency.NORMAL: Limits(24, 15, LimitUnit.WORKING_DAYS),
}


def limits_for(urgency: str, category: str) -> Limits:
    """Return the limits for a case of this urgency and category."""
    rules = {
        rule.category: rule
        for rule in TimeLimitRule.objects.filter(urgency=urgency, category__in=[category, ""])
    }
    rule = rules.get(category) if category else None
    rule = rule or rules.get("")
    if rule is None:
        return DEFAULT_LIMITS.get(urgency, DEFAULT_LIMITS[Urgency.NORMAL])
    return Limits(rule.dispatch_hours, rule.reply_amount, rule.reply_unit)


def dispatch_due(received_at: dt.datetime, limits: Limits) -> dt.datetime:
    return received_at + dt.timedelta(hours=limits.dispatch_hours)


def reply_due(start: dt.datetime, limits: Limits, extra_working_days: int = 0) -> dt.datetime:
    """Return when the reply is due for a case dispatched at ``start``."""
    if limits.reply_unit == LimitUnit.HOURS:
        due = start + dt.timedelta(hours=limits.reply_amount)
    elif limits.reply_unit == LimitUnit.DAYS:
        due = start + dt.timedelta(days=limits.reply_amount)
    else:
        due = add_working_days(start, limits.reply_amount)
    if extra_working_days:
        due = add_working_days(due, extra_working_days)
    return due


def start_reply_clock(case: Case, start: dt.datetime, limits: Limits) -> None:
    """Set the case's reply deadline from ``start`` and keep what it was counted from."""
    case.dispatched_at = start
    case.reply_limit_amount = limits.reply_amount
    case.reply_limit_unit = limits.reply_unit
    case.reply_extension_days = 0
    case.reply_due = reply_due(start, limits)


def stop_reply_clock(case: Case) -> None:
    """The case has no reply deadline (sent back to the dispatchers)."""
    case.reply_due = None
    case.reply_limit_amount = None
    case.reply_limit_unit = ""
    case.reply_extension_days = 0


def extend_reply_clock(case: Case, working_days: int) -> None:
    """An approved extension: the deadline moves by ``working_days`` more working days."""
    if case.reply_due is None:
        return
    case.reply_extension_days += working_days
    case.reply_due = add_working_days(case.reply_due, working_days)


def recounted_reply_due(case: Case) -> dt.datetime | None:
    """The reply deadline counted again by today's calendar; None if it cannot be.

    A case dispatched before the limit was kept (migration hotline/0012 could
    not tell it) keeps the deadline it has.
    """
    if case.dispatched_at is None or case.reply_limit_amount is None or not case.reply_limit_unit:
        return None
    limits = Limits(0, case.reply_limit_amount, case.reply_limit_unit)
    return reply_due(case.dispatched_at, limits, case.reply_extension_days)


def reply_limit_text(case: Case) -> str:
    """The reply limit the case runs under, for staff: "15 个工作日（含延期 3 个工作日）"."""
    amount = case.reply_limit_amount
    if amount is None or not case.reply_limit_unit:
        return ""
    if case.reply_limit_unit == LimitUnit.HOURS:
        text = ngettext("%(n)s 小时", "%(n)s 小时", amount) % {"n": amount}
    elif case.reply_limit_unit == LimitUnit.DAYS:
        text = ngettext("%(n)s 个自然日", "%(n)s 个自然日", amount) % {"n": amount}
    else:
        text = ngettext("%(n)s 个工作日", "%(n)s 个工作日", amount) % {"n": amount}
    extended = case.reply_extension_days
    if extended:
        text += ngettext("（含延期 %(n)s 个工作日）", "（含延期 %(n)s 个工作日）", extended) % {
            "n": extended
        }
    return text


def _level(start: dt.datetime, due: dt.datetime, now: dt.datetime) -> str:
    if now > due:
        return WarningLevel.RED
    span = (due - start).total_seconds()
    if span > 0 and (now - start).total_seconds() >= YELLOW_AT * span:
        return WarningLevel.YELLOW
    return WarningLevel.NONE


@dataclass(frozen=True, slots=True)
class Clock:
    """The deadline that runs now for a case, and its light."""

    due: dt.datetime | None
    level: str
    what: str  # "dispatch" or "reply", or "" when no clock runs


def clock_of(case: Case, now: dt.datetime) -> Clock:
    """Return the running deadline of a case: dispatch while queued, reply while handled."""
    if case.state == CaseState.DISPATCHING:
        # A case sent back to the queue (returned, recalled) is dispatched
        # anew: its clock runs from then, not from the message's receipt,
        # whose time is mostly used by the first dispatch and the department.
        start = case.requeued_at or case.received_at
        return Clock(case.dispatch_due, _level(start, case.dispatch_due, now), "dispatch")
    if case.state in (CaseState.ASSIGNED, CaseState.HANDLING) and case.reply_due is not None:
        start = case.dispatched_at or case.received_at
        return Clock(case.reply_due, _level(start, case.reply_due, now), "reply")
    return Clock(None, WarningLevel.NONE, "")
