"""Time limits of applications in working days: deadline, time used and the warning level.

The committed limit (承诺办结时限) runs from acceptance. The clock stops during
补正 and during special procedures that are not counted in the limit
(行政许可法第四十五条); ``core.calendar`` moves the deadline by exactly the
working time stopped. The warning turns yellow when 80 % of the working time
is used and red when the deadline has passed.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from zhengtong.core.calendar import Interval, add_working_days, working_days_between
from zhengtong.eservices.application_states import YELLOW_AT, ApplicationState, WarningLevel
from zhengtong.eservices.models import Application, Suspension

RUNNING_STATES = (ApplicationState.ACCEPTED, ApplicationState.CORRECTING)


def stopped_intervals(application: Application, now: dt.datetime) -> list[Interval]:
    """The intervals in which the clock stood still; a running suspension ends ``now``."""
    return intervals_of(application.suspensions.all(), now)


def intervals_of(suspensions: Iterable[Suspension], now: dt.datetime) -> list[Interval]:
    """The intervals of these suspensions that stop the clock; a running one ends ``now``."""
    return [
        (s.started_at, s.ended_at or max(now, s.started_at)) for s in suspensions if s.stops_clock
    ]


@dataclass(frozen=True, slots=True)
class TimeLimit:
    limit_days: int
    accepted_at: dt.datetime | None
    # The deadline as it stands now (a running suspension counted up to now).
    deadline_at: dt.datetime | None
    used_days: float
    budget_days: float
    stopped_days: float
    # Whether the clock is running (accepted, not finished, not suspended).
    running: bool
    level: str

    @property
    def used_share(self) -> float:
        return self.used_days / self.budget_days if self.budget_days > 0 else 1.0


def time_limit_of(application: Application, now: dt.datetime) -> TimeLimit:
    """Work out the application's time limit at ``now``."""
    limit = application.item.committed_limit_days
    start = application.accepted_at
    if start is None:
        return TimeLimit(limit, None, None, 0.0, float(limit), 0.0, False, WarningLevel.NORMAL)
    end = application.finished_at or now
    intervals = stopped_intervals(application, end)
    deadline = add_working_days(start, limit, intervals)
    budget = working_days_between(start, add_working_days(start, limit))
    used = working_days_between(start, end, intervals)
    stopped = working_days_between(start, end) - used
    running_suspension = any(
        s.stops_clock and s.ended_at is None for s in application.suspensions.all()
    )
    running = application.state in RUNNING_STATES and not running_suspension
    if application.state not in RUNNING_STATES:
        level = application.warning_level
    elif end > deadline:
        level = WarningLevel.RED
    elif budget > 0 and used / budget >= YELLOW_AT:
        level = WarningLevel.YELLOW
    else:
        level = WarningLevel.NORMAL
    return TimeLimit(limit, start, deadline, used, budget, stopped, running, level)


def warning_level(application: Application, now: dt.datetime) -> str:
    """Return normal, yellow or red for a running application at ``now``."""
    return time_limit_of(application, now).level
