"""Periodic work of regulation: silent points, open readings, suspicious data, credit, the list."""

from django_tasks import task

from zhengtong.core.actors import Actor
from zhengtong.regulation.actions import (
    do_check_offline_points,
    do_check_suspicious_data,
    do_judge_open_readings,
)
from zhengtong.regulation.credit_actions import do_regrade_enterprises
from zhengtong.regulation.listing_actions import refresh_dishonesty_list


@task()
def check_offline_points() -> int:
    """Open offline alarms for points silent well past their interval."""
    return len(do_check_offline_points(actor=Actor.system("regulation.check_offline_points")))


@task()
def judge_open_readings() -> int:
    """Judge the readings split uploads left open past the split timeout, their receiver gone."""
    return do_judge_open_readings(actor=Actor.system("regulation.judge_open_readings"))


@task()
def check_suspicious_data() -> int:
    """Open alarms for flat lines, repeated values and zeros while operating."""
    return len(do_check_suspicious_data(actor=Actor.system("regulation.check_suspicious_data")))


@task()
def regrade_enterprises() -> int:
    """Regrade every enterprise with a credit file, as records leave their validity window."""
    return do_regrade_enterprises(actor=Actor.system("regulation.regrade_enterprises"))["changed"]


@task()
def publish_dishonesty_list() -> int:
    """Remove expired listings and publish what the exchange's copy of the list still lacks.

    Enqueued after every listing and removal commits, and hourly, so that a
    publication that failed is retried; returns how many listings are still owed.
    """
    return refresh_dishonesty_list(actor=Actor.system("regulation.publish_dishonesty_list")).owed
