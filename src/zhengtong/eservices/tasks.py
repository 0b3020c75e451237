"""Background work of online services; the scheduler enqueues ``refresh_time_limits``."""

from django_tasks import task

from zhengtong.core.actors import Actor
from zhengtong.eservices.application_actions import (
    do_flag_overdue_promises,
    do_refresh_time_limits,
)


@task()
def refresh_time_limits() -> int:
    """Update the time-limit warnings (yellow, red) and urge staff on overdue applications."""
    return len(do_refresh_time_limits(actor=Actor.system("eservices.refresh_time_limits")))


@task()
def flag_overdue_promises() -> int:
    """Tell applicants and departments of 容缺 materials not handed in by the promised day."""
    return len(do_flag_overdue_promises(actor=Actor.system("eservices.flag_overdue_promises")))
