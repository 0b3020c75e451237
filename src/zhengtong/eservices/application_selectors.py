"""Reading applications: the applicant's list, the workbench queues, timelines and messages."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengtong.eservices.application_states import OPEN_STATES
from zhengtong.eservices.models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    Notification,
    Rating,
    Rectification,
    Suspension,
    WorkTask,
)
from zhengtong.eservices.permissions import LANE_PERMISSIONS, RESPOND_RATINGS
from zhengtong.eservices.time_limits import TimeLimit, time_limit_of
from zhengtong.identity.models import User
from zhengtong.identity.permissions import departments_in_scope


def with_related(rows: QuerySet[Application]) -> QuerySet[Application]:
    return rows.select_related("item__department", "applicant", "licence")


def applications_of(user: User, state: str = "") -> QuerySet[Application]:
    """The user's own applications, newest first, optionally in one state."""
    rows = with_related(Application.objects.filter(applicant=user))
    if state:
        rows = rows.filter(state=state)
    return rows


def application_by_number(number: str) -> Application | None:
    return with_related(Application.objects.filter(number=number)).first()


def _queue_condition(user: User) -> Q | None:
    """Tasks whose lane role the user holds in the task's department, as one condition."""
    condition: Q | None = None
    for role, permission in LANE_PERMISSIONS.items():
        departments = list(departments_in_scope(user, permission).values_list("pk", flat=True))
        if not departments:
            continue
        part = Q(department_id__in=departments) & (Q(role=role) | Q(role__endswith=f".{role}"))
        condition = part if condition is None else condition | part
    return condition


def open_tasks_for(user: User, *, mine_only: bool = False) -> QuerySet[WorkTask]:
    """The open tasks the user may claim or has claimed (the workbench's 我的待办), oldest first."""
    condition = _queue_condition(user)
    if condition is None:
        return WorkTask.objects.none()
    rows = WorkTask.objects.filter(condition, completed_at=None).filter(
        Q(claimed_by=None) | Q(claimed_by=user)
    )
    if mine_only:
        rows = rows.filter(claimed_by=user)
    return rows.select_related("application__item", "department", "claimed_by").order_by(
        "application__deadline_at", "created_at", "pk"
    )


def tasks_visible_to(user: User) -> QuerySet[WorkTask]:
    """Every task (open or done) in the queues the user works in."""
    condition = _queue_condition(user)
    if condition is None:
        return WorkTask.objects.none()
    return WorkTask.objects.filter(condition)


def staff_may_see(user: User, application: Application) -> bool:
    """Whether a member of staff works in one of the application's queues."""
    return tasks_visible_to(user).filter(application=application).exists() or (
        departments_in_scope(user, RESPOND_RATINGS)
        .filter(pk=application.item.department_id)
        .exists()
    )


def task_by_id(pk: int) -> WorkTask | None:
    return (
        WorkTask.objects.select_related("application__item__department", "department", "claimed_by")
        .filter(pk=pk)
        .first()
    )


def timeline(application: Application) -> QuerySet[ApplicationEvent]:
    """The application's events, oldest first."""
    return application.events.order_by("at", "pk")


def materials_of(application: Application) -> QuerySet[ApplicationMaterial]:
    return application.provided_materials.select_related("material", "licence").order_by(
        "material__position", "pk"
    )


def suspensions_of(application: Application) -> QuerySet[Suspension]:
    return application.suspensions.select_related("special_procedure").order_by("started_at")


def tasks_of(application: Application) -> QuerySet[WorkTask]:
    return application.tasks.select_related("department", "claimed_by", "completed_by").order_by(
        "created_at", "pk"
    )


def ratings_of(application: Application) -> QuerySet[Rating]:
    return application.ratings.select_related("rectification").order_by("at", "pk")


def open_rectifications_for(user: User) -> QuerySet[Rectification]:
    """Bad ratings of the departments where the user answers them, not yet answered."""
    departments = departments_in_scope(user, RESPOND_RATINGS)
    return Rectification.objects.filter(
        department__in=departments, responded_at=None
    ).select_related("rating__application__item", "department")


def rectification_by_id(pk: int) -> Rectification | None:
    return (
        Rectification.objects.select_related("department", "rating__application")
        .filter(pk=pk)
        .first()
    )


def notifications_of(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(user=user)
    if unread_only:
        rows = rows.filter(read_at=None)
    return rows.order_by("-created_at", "-pk")


def time_limit(application: Application) -> TimeLimit:
    """The application's time limit as of now: deadline, working days used, warning."""
    return time_limit_of(application, timezone.now())


@dataclass(frozen=True, slots=True)
class Counts:
    open: int
    yellow: int
    red: int


def workbench_counts(user: User) -> Counts:
    """How many open tasks the user can work on, and how many of them are warned."""
    rows = open_tasks_for(user).filter(application__state__in=OPEN_STATES)
    return Counts(
        open=rows.count(),
        yellow=rows.filter(application__warning_level="yellow").count(),
        red=rows.filter(application__warning_level="red").count(),
    )
