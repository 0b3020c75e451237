"""Background work of the hotline: training, imports, deadlines and urging, hot-issue alerts."""

from django_tasks import task

from zhengtong.core.actors import Actor
from zhengtong.hotline.actions import (
    do_close_unrated_cases,
    do_recount_reply_deadlines,
    do_refresh_hot_issues,
    do_urge_overdue_cases,
)
from zhengtong.hotline.classifier_actions import run_training
from zhengtong.hotline.models import CaseImport, ClassifierVersion
from zhengtong.hotline.states import TrainingState


@task()
def train_classifier(version_id: int) -> str:
    """Train the queued classifier version and record its report."""
    version = ClassifierVersion.objects.get(pk=version_id)
    if version.state not in (TrainingState.QUEUED, TrainingState.RUNNING):
        # A task queued again for a run that finished meanwhile (hotline.recovery).
        return str(version.state)
    result = run_training(version, actor=Actor.system("hotline.train_classifier"))
    return str(result.state)


@task()
def urge_overdue_cases() -> int:
    """催办 and 督办 the cases past their reply deadline."""
    return len(do_urge_overdue_cases(actor=Actor.system("hotline.urge_overdue_cases")))


@task()
def close_unrated_cases() -> int:
    """Close the replied cases whose callback period ran out unrated."""
    return len(do_close_unrated_cases(actor=Actor.system("hotline.close_unrated_cases")))


@task()
def recount_reply_deadlines() -> int:
    """Count the running reply deadlines again after a holiday notice moved working days."""
    return len(do_recount_reply_deadlines(actor=Actor.system("hotline.recount_reply_deadlines")))


@task()
def refresh_hot_issues() -> int:
    """Mine the hot-issue snapshots and alert the issues whose heat jumped this week."""
    return len(do_refresh_hot_issues(actor=Actor.system("hotline.refresh_hot_issues")))


@task()
def resume_interrupted_work() -> int:
    """Queue again the imports and training runs whose worker stopped (see hotline.recovery)."""
    from zhengtong.hotline.recovery import do_resume_interrupted_work

    return len(do_resume_interrupted_work(actor=Actor.system("hotline.resume_work")))


@task()
def import_cases(import_id: int) -> str:
    """Import the rows of a queued XLSX workbook as cases."""
    from zhengtong.hotline.imports import run_import

    case_import = CaseImport.objects.get(pk=import_id)
    return str(run_import(case_import, actor=Actor.system("hotline.import_cases")).state)
