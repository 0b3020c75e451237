"""Periodic checks of online monitoring: silent points and suspicious data."""

from django_tasks import task

from zhengtong.core.actors import Actor
from zhengtong.regulation.actions import do_check_offline_points, do_check_suspicious_data


@task()
def check_offline_points() -> int:
    """Open offline alarms for points silent well past their interval."""
    return len(do_check_offline_points(actor=Actor.system("regulation.check_offline_points")))


@task()
def check_suspicious_data() -> int:
    """Open alarms for flat lines, repeated values and zeros while operating."""
    return len(do_check_suspicious_data(actor=Actor.system("regulation.check_suspicious_data")))
