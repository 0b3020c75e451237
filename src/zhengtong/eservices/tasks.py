"""Background work of online services; the scheduler enqueues ``refresh_time_limits``."""

from django_tasks import task

from zhengtong.core.actors import Actor
from zhengtong.eservices.application_actions import do_refresh_time_limits


@task()
def refresh_time_limits() -> int:
    """Update the time-limit warnings (yellow, red) and urge staff on overdue applications."""
    return len(do_refresh_time_limits(actor=Actor.system("eservices.refresh_time_limits")))
