"""Time limits of applications in working days: deadline, time used and the warning level.

The committed limit (承诺办结时限) runs from acceptance. The clock stops during
补正 and during special procedures that are not counted in the limit
(行政许可法第四十五条); ``core.calendar`` moves the deadline by exactly the
working time stopped once the clock runs again. A special procedure stops the
clock for its maximum working days at most (``Suspension.planned_end_at``):
once past its planned end the clock runs again even while the procedure goes
on, and the deadline moves by the maximum, no more. While it stands still the
deadline stays where it was when it stopped: it is the one stored on the
application (``Application.deadline_at``), so that lists, pages and the API
show one date without working it out per row. The warning turns yellow when 80 % of the working time
is used and red when the deadline has passed; a finished application keeps
red if it finished after its deadline and no warning otherwise.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zhengtong.core.calendar import Interval, add_working_days, working_days_between
from zhengtong.eservices.application_states import YELLOW_AT, ApplicationState, WarningLevel
from zhengtong.eservices.models import Application, Suspension

# Below a tenth of a working day the stopped time reads "0.0 days": it is shown
# in hours and minutes instead.
SHOWN_IN_DAYS = 0.1

RUNNING_STATES = (ApplicationState.ACCEPTED, ApplicationState.CORRECTING)


def stopped_intervals(application: Application, now: dt.datetime) -> list[Interval]:
    """The intervals in which the clock stood still; a running suspension ends ``now``."""
    return intervals_of(application.suspensions.all(), now)


def intervals_of(suspensions: Iterable[Suspension], now: dt.datetime) -> list[Interval]:
    """The intervals of these suspensions that stop the clock; a running one ends ``now``."""
    return [(s.started_at, s.stopped_until(now)) for s in suspensions if s.stops_clock]


def stops_clock_at(suspension: Suspension, now: dt.datetime) -> bool:
    """Whether the suspension holds the clock still at ``now`` (running, within its planned end)."""
    if not suspension.stops_clock or suspension.ended_at is not None:
        return False
    return suspension.planned_end_at is None or now < suspension.planned_end_at


@dataclass(frozen=True, slots=True)
class TimeLimit:
    limit_days: int
    accepted_at: dt.datetime | None
    # The deadline as it stands now: suspensions that ended move it, a running
    # one only when it ends (the same value as ``Application.deadline_at``).
    deadline_at: dt.datetime | None
    used_days: float
    budget_days: float
    stopped_days: float
    # The wall-clock time the clock stood still, for suspensions too short to
    # show in working days.
    stopped: dt.timedelta
    # Whether the clock is running (accepted, not finished, not suspended).
    running: bool
    level: str

    @property
    def used_share(self) -> float:
        return self.used_days / self.budget_days if self.budget_days > 0 else 1.0

    @property
    def stopped_label(self) -> str:
        """How long the clock stood still: working days, or hours and minutes when short."""
        if self.stopped_days >= SHOWN_IN_DAYS:
            return _("%(days).1f 个工作日") % {"days": self.stopped_days}
        minutes = max(1, round(self.stopped.total_seconds() / 60)) if self.stopped else 0
        hours, minutes = divmod(minutes, 60)
        if hours:
            return _("%(hours)d 小时 %(minutes)d 分钟") % {"hours": hours, "minutes": minutes}
        return ngettext("%(minutes)d 分钟", "%(minutes)d 分钟", minutes) % {"minutes": minutes}


def committed_limit_of(application: Application) -> int:
    """The working days promised at acceptance (the item's present limit before it)."""
    if application.limit_days is not None:
        return application.limit_days
    return application.item.committed_limit_days


def time_limit_of(application: Application, now: dt.datetime) -> TimeLimit:
    """Work out the application's time limit at ``now``."""
    limit = committed_limit_of(application)
    start = application.accepted_at
    if start is None:
        return TimeLimit(
            limit, None, None, 0.0, float(limit), 0.0, dt.timedelta(), False, WarningLevel.NORMAL
        )
    end = application.finished_at or now
    intervals = stopped_intervals(application, end)
    deadline = deadline_of(start, limit, application.suspensions.all(), end)
    budget = working_days_between(start, add_working_days(start, limit))
    used = working_days_between(start, end, intervals)
    stopped_days = working_days_between(start, end) - used
    stopped = _time_stood_still(intervals, start, end)
    running_since = [s.started_at for s in application.suspensions.all() if stops_clock_at(s, end)]
    running = application.state in RUNNING_STATES and not running_since
    # Overdue is judged where the clock stopped, not at a moment it stood still.
    clock_at = min(running_since, default=end)
    if application.finished_at is not None:
        level = finished_level(deadline, application.finished_at)
    elif application.state not in RUNNING_STATES:
        level = application.warning_level
    elif clock_at > deadline:
        level = WarningLevel.RED
    elif budget > 0 and used / budget >= YELLOW_AT:
        level = WarningLevel.YELLOW
    else:
        level = WarningLevel.NORMAL
    return TimeLimit(limit, start, deadline, used, budget, stopped_days, stopped, running, level)


def finished_level(deadline_at: dt.datetime | None, finished_at: dt.datetime) -> str:
    """The warning a finished application keeps: red if it finished after its deadline.

    A yellow warning says the deadline is near; once the application is
    finished nothing is near any more, whatever the last refresh stored.
    """
    if deadline_at is not None and finished_at > deadline_at:
        return WarningLevel.RED
    return WarningLevel.NORMAL


def _time_stood_still(
    intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime
) -> dt.timedelta:
    """The wall-clock time within ``start``..``end`` that at least one interval covers.

    A correction answered before acceptance stopped nothing, and a 补正 during
    a special procedure stops the clock once, not twice.
    """
    total = dt.timedelta()
    covered_until = start
    for begin, finish in sorted(intervals):
        begin, finish = max(begin, covered_until), min(finish, end)
        if finish > begin:
            total += finish - begin
            covered_until = finish
    return total


def deadline_of(
    start: dt.datetime,
    limit_days: int,
    suspensions: Iterable[Suspension],
    now: dt.datetime,
    *,
    end_running: bool = False,
) -> dt.datetime:
    """The committed deadline from ``start``, moved by the suspensions ended by ``now``.

    ``end_running``: the running suspensions end ``now`` (the application finishes).
    A special procedure running past its planned end moves the deadline as one
    that ended there: the clock runs again from that moment.
    """
    closed: list[Interval] = []
    for s in suspensions:
        if not s.stops_clock:
            continue
        ended = s.ended_at if s.ended_at is not None else (now if end_running else None)
        # Read as an attribute that may be missing: migration 0011 passes the
        # historical model, from before suspensions had a planned end.
        planned: dt.datetime | None = getattr(s, "planned_end_at", None)
        if planned is not None:
            ended = planned if ended is None else min(ended, planned)
        if ended is not None and ended <= now:
            closed.append((s.started_at, max(ended, s.started_at)))
    return add_working_days(start, limit_days, closed)


def warning_level(application: Application, now: dt.datetime) -> str:
    """Return normal, yellow or red for a running application at ``now``."""
    return time_limit_of(application, now).level
