"""Background tasks of the operations module: thin, each calls one action."""

from __future__ import annotations

from django_tasks import task

from zhengtong.core.actors import Actor


@task()
def fail_lost_tasks() -> int:
    """Mark failed the running tasks whose worker died (see operations.task_watch)."""
    from zhengtong.operations.actions import do_fail_lost_tasks

    return len(do_fail_lost_tasks(actor=Actor.system("operations.fail_lost_tasks")))
