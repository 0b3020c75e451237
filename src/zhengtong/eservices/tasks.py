"""Background work of online services, enqueued by the scheduler (and ``deliver_messages`` after
an action that wrote SMS or e-mail messages commits)."""

from django_tasks import task

from zhengtong.core.actors import Actor
from zhengtong.eservices.application_actions import (
    do_flag_overdue_promises,
    do_flag_overdue_rectifications,
    do_refresh_time_limits,
)
from zhengtong.eservices.notifications import do_deliver_messages


@task()
def refresh_time_limits() -> int:
    """Update the time-limit warnings (yellow, red) and urge staff on overdue applications."""
    return len(do_refresh_time_limits(actor=Actor.system("eservices.refresh_time_limits")))


@task()
def flag_overdue_promises() -> int:
    """Tell applicants and departments of 容缺 materials not handed in by the promised day."""
    return len(do_flag_overdue_promises(actor=Actor.system("eservices.flag_overdue_promises")))


@task()
def flag_overdue_rectifications() -> int:
    """Tell departments of bad ratings left unanswered past the rectification deadline."""
    return len(
        do_flag_overdue_rectifications(actor=Actor.system("eservices.flag_overdue_rectifications"))
    )


@task()
def deliver_messages() -> int:
    """Send the SMS and e-mail messages that are due, trying again those a gateway refused."""
    return do_deliver_messages()
