"""Periodic work: which tasks the scheduler enqueues, and how often.

The scheduler only enqueues; workers (the database worker by default, Celery
or RQ at scale) run the tasks. Run exactly one scheduler per installation;
every periodic task is written so that an extra run is harmless.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PeriodicTask:
    task_path: str  # dotted path of a django-tasks Task
    interval_s: int


def periodic_tasks() -> list[PeriodicTask]:
    """Return the periodic tasks of every installed module."""
    return [
        PeriodicTask("zhengtong.ledger.tasks.seal_ledger", settings.LEDGER_SEAL_INTERVAL_S),
        PeriodicTask("zhengtong.identity.tasks.purge_login_failures", 24 * 3600),
        PeriodicTask("zhengtong.exchange.tasks.measure_all_datasets_quality", 24 * 3600),
        PeriodicTask("zhengtong.exchange.tasks.recount_answer_deadlines", 3600),
        PeriodicTask("zhengtong.eservices.tasks.refresh_time_limits", 10 * 60),
        PeriodicTask("zhengtong.eservices.tasks.flag_overdue_promises", 3600),
        PeriodicTask("zhengtong.eservices.tasks.flag_overdue_rectifications", 3600),
        PeriodicTask("zhengtong.eservices.tasks.deliver_messages", 60),
        PeriodicTask("zhengtong.hotline.tasks.urge_overdue_cases", 10 * 60),
        PeriodicTask("zhengtong.hotline.tasks.recount_reply_deadlines", 3600),
        PeriodicTask("zhengtong.hotline.tasks.close_unrated_cases", 3600),
        PeriodicTask("zhengtong.hotline.tasks.refresh_hot_issues", 3600),
        PeriodicTask("zhengtong.hotline.tasks.resume_interrupted_work", 5 * 60),
        PeriodicTask("zhengtong.operations.tasks.fail_lost_tasks", 5 * 60),
        PeriodicTask("zhengtong.regulation.tasks.check_offline_points", 60),
        PeriodicTask("zhengtong.regulation.tasks.judge_open_readings", 60),
        PeriodicTask("zhengtong.regulation.tasks.check_suspicious_data", 10 * 60),
        PeriodicTask("zhengtong.regulation.tasks.publish_dishonesty_list", 3600),
        PeriodicTask("zhengtong.regulation.tasks.regrade_enterprises", 24 * 3600),
    ]
