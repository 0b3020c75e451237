"""Reading applications: the applicant's list, the workbench queues, timelines and messages."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextChoices,
    Value,
)
from django.db.models.functions import Cast, Concat, TruncDay, TruncMonth, TruncWeek, TruncYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.models import Department
from zhengtong.eservices.application_states import FINISHED_STATES, OPEN_STATES, ApplicationState
from zhengtong.eservices.models import (
    ApplicantKind,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    Material,
    Notification,
    ProcessVersion,
    ProvisionKind,
    Rating,
    Rectification,
    SupersededMaterial,
    Suspension,
    SuspensionKind,
    WorkTask,
)
from zhengtong.eservices.permissions import LANE_PERMISSIONS, RESPOND_RATINGS
from zhengtong.eservices.process.definitions import BASE_ROLES
from zhengtong.eservices.time_limits import TimeLimit, time_limit_of
from zhengtong.identity.models import Audience, User
from zhengtong.identity.permissions import departments_in_scope, has_permission, role_label
from zhengtong.identity.selectors import get_role, memberships_of


def with_related(rows: QuerySet[Application]) -> QuerySet[Application]:
    return rows.select_related("item__department", "applicant", "licence")


def own_applications_condition(user: User) -> Q:
    """The applications the user filed and still stands behind.

    An enterprise's application is the agent's only while the agent still
    acts for the enterprise: once the authorisation expires or is withdrawn,
    the agent "holds nothing" (docs/identity.md), as for the enterprise's
    licences, and can neither read nor act on it.
    """
    if user.audience != Audience.ENTERPRISE:
        return Q(applicant=user) & ~Q(applicant_kind=ApplicantKind.ENTERPRISE)
    codes = memberships_of(user).values("enterprise__credit_code")
    return Q(applicant=user, applicant_kind=ApplicantKind.ENTERPRISE) & Q(
        applicant_id_number__in=codes
    )


def is_own_application(user: User, application: Application) -> bool:
    """Whether the user filed the application and still stands behind it (see above)."""
    if application.applicant_id != user.pk:
        return False
    if application.applicant_kind != ApplicantKind.ENTERPRISE:
        return user.audience != Audience.ENTERPRISE
    return (
        user.audience == Audience.ENTERPRISE
        and memberships_of(user)
        .filter(enterprise__credit_code=application.applicant_id_number)
        .exists()
    )


def applications_of(user: User, state: str = "") -> QuerySet[Application]:
    """The user's own applications, newest first, optionally in one state."""
    rows = with_related(Application.objects.filter(own_applications_condition(user)))
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
        part = Q(department_id__in=departments, lane_role=role)
        condition = part if condition is None else condition | part
    return condition


def _left_claims(queue: QuerySet[WorkTask], user: User) -> Q:
    """The tasks of the queue claimed by colleagues who may no longer handle them.

    Who left the post (or whose account was closed) keeps no task: it would
    wait unseen by anyone past its deadline. Worked out per claimer, department
    and lane, a handful of rows, with the same rule as the claim itself.
    """
    claims = list(
        queue.exclude(claimed_by=None)
        .exclude(claimed_by=user)
        .values_list("claimed_by_id", "department_id", "lane_role")
        .distinct()
    )
    if not claims:
        return Q(pk__in=[])
    users = User.objects.in_bulk({c[0] for c in claims})
    departments = Department.objects.in_bulk({c[1] for c in claims})
    left = Q(pk__in=[])
    for claimer, department, lane in claims:
        permission = LANE_PERMISSIONS.get(lane)
        if permission is None or not has_permission(
            users.get(claimer), permission, department=departments.get(department)
        ):
            left |= Q(claimed_by_id=claimer, department_id=department, lane_role=lane)
    return left


def open_tasks_for(user: User, *, mine_only: bool = False) -> QuerySet[WorkTask]:
    """The open tasks the user may claim or has claimed (the workbench's 我的待办), oldest first.

    A task claimed by a colleague who has left the post is listed too, to be taken over.
    """
    condition = _queue_condition(user)
    if condition is None:
        return WorkTask.objects.none()
    queue = WorkTask.objects.filter(condition, completed_at=None)
    rows = queue.filter(Q(claimed_by=None) | Q(claimed_by=user) | _left_claims(queue, user))
    if mine_only:
        rows = rows.filter(claimed_by=user)
    # A special procedure running past its planned end is flagged on the row.
    overdue = Suspension.objects.filter(
        application=OuterRef("application"),
        kind=SuspensionKind.SPECIAL,
        ended_at=None,
        planned_end_at__lt=timezone.now(),
    )
    rows = rows.annotate(procedure_overdue=Exists(overdue))
    # Tasks of applications not yet accepted (no deadline) come after those with one on
    # every database; SQLite alone would put them first.
    return rows.select_related("application__item", "department", "claimed_by").order_by(
        F("application__deadline_at").asc(nulls_last=True), "created_at", "pk"
    )


def tasks_visible_to(user: User) -> QuerySet[WorkTask]:
    """Every task (open or done) in the queues the user works in."""
    condition = _queue_condition(user)
    if condition is None:
        return WorkTask.objects.none()
    return WorkTask.objects.filter(condition)


def staff_may_see(user: User, application: Application) -> bool:
    """Whether a member of staff works in one of the application's queues.

    Those who answer the department's bad ratings see its applications too,
    but never one that was not submitted: a draft is the applicant's alone.
    """
    if tasks_visible_to(user).filter(application=application).exists():
        return True
    return (
        application.submitted_at is not None
        and departments_in_scope(user, RESPOND_RATINGS)
        .filter(pk=application.item.department_id)
        .exists()
    )


def is_never_submitted(application: Application) -> bool:
    """Whether the applicant may delete it: a draft, or one withdrawn before it was ever sent.

    What was submitted once is a record staff worked on and stays; a draft
    withdrawn through the API before submission never reached anyone.
    """
    if application.state == ApplicationState.DRAFT:
        return True
    return application.state == ApplicationState.WITHDRAWN and application.submitted_at is None


def is_ratable(application: Application) -> bool:
    """Whether the service is over and may be rated (好差评), however it ended.

    好差评 covers every service a department gave: a refusal (不予受理, 不予许可)
    and a withdrawal alike, since an applicant talked into withdrawing (劝退)
    is the bad service a rating is there to bring out. A draft withdrawn
    before it was ever sent reached no one: there is nothing to rate.
    """
    return application.state in FINISHED_STATES and not is_never_submitted(application)


def is_decided(application: Application) -> bool:
    """Whether the decision (决定) is taken, though the licence may still await 送达."""
    return application.tasks.filter(
        step="decide", completed_at__isnull=False, completed_by__isnull=False
    ).exists()


def task_by_id(pk: int) -> WorkTask | None:
    return (
        WorkTask.objects.select_related("application__item__department", "department", "claimed_by")
        .filter(pk=pk)
        .first()
    )


def timeline(application: Application) -> QuerySet[ApplicationEvent]:
    """The application's events, oldest first."""
    return application.events.order_by("at", "pk")


def superseded_materials_of(application: Application) -> dict[int, list[SupersededMaterial]]:
    """The earlier versions of the application's materials, by material id, oldest first."""
    rows: dict[int, list[SupersededMaterial]] = {}
    for row in application.superseded_materials.order_by("superseded_at", "pk"):
        rows.setdefault(row.material_id, []).append(row)
    return rows


def materials_of(application: Application) -> QuerySet[ApplicationMaterial]:
    return application.provided_materials.select_related("material", "licence").order_by(
        "material__position", "pk"
    )


OPEN_CORRECTION = {"kind": SuspensionKind.CORRECTION, "ended_at": None}


def materials_uploaded_since(
    application: Application, material_ids: list[int], since: dt.datetime
) -> set[int]:
    """Of ``material_ids``, those the applicant uploaded anew at or after ``since``.

    An upload replaces the material's row (the earlier one is kept as
    superseded), so the current row's time is when the material was last handed in.
    """
    if not material_ids:
        return set()
    return set(
        application.provided_materials.filter(
            material_id__in=material_ids,
            kind=ProvisionKind.UPLOAD,
            created_at__gte=since,
        ).values_list("material_id", flat=True)
    )


@dataclass(frozen=True, slots=True)
class CorrectionMaterial:
    """A material a 补正 request names, and whether the applicant has replaced it."""

    material: Material
    replaced: bool


def correction_materials(
    application: Application, suspension: Suspension
) -> list[CorrectionMaterial]:
    """The materials a 补正 request names, in the item's order, each with whether it was replaced.

    A request answered was answered with each of them replaced (the
    correction is refused otherwise); one still open counts the uploads since it was made.
    """
    ids = [int(i) for i in suspension.material_ids or []]
    if not ids:
        return []
    if suspension.ended_at is not None:
        replaced = set(ids)
    else:
        replaced = materials_uploaded_since(application, ids, suspension.started_at)
    return [
        CorrectionMaterial(material, material.pk in replaced)
        for material in Material.objects.filter(pk__in=ids).order_by("position", "pk")
    ]


def suspensions_of(application: Application) -> QuerySet[Suspension]:
    return application.suspensions.select_related("special_procedure", "department").order_by(
        "started_at"
    )


def open_correction_note(application: Application) -> str | None:
    """The 补正 request the applicant is to answer, or None when none is open.

    Read from what ``applications_visible_to`` fetched with a list, if it did.
    """
    if application.state != ApplicationState.CORRECTING:
        return None
    fetched: list[Suspension] | None = getattr(application, "open_corrections", None)
    if fetched is not None:
        return next((s.note for s in fetched), None)
    return application.suspensions.filter(**OPEN_CORRECTION).values_list("note", flat=True).first()


def tasks_of(application: Application) -> QuerySet[WorkTask]:
    return application.tasks.select_related("department", "claimed_by", "completed_by").order_by(
        "created_at", "pk"
    )


def ratings_of(application: Application) -> QuerySet[Rating]:
    return application.ratings.select_related("rectification__department").order_by("at", "pk")


def open_rectifications_for(user: User) -> QuerySet[Rectification]:
    """Bad ratings of the departments where the user answers them, not yet answered.

    The soonest due first: one past its deadline must not hide among the others.
    """
    departments = departments_in_scope(user, RESPOND_RATINGS)
    return (
        Rectification.objects.filter(department__in=departments, responded_at=None)
        .select_related("rating__application__item", "department")
        .order_by("due_at", "pk")
    )


class RectificationFilter(TextChoices):
    """Which of a department's rectifications a list shows."""

    OPEN = "open", _("待整改")
    ANSWERED = "answered", _("已答复")
    ALL = "all", _("全部")


def rectifications_for(
    user: User, shown: RectificationFilter = RectificationFilter.OPEN
) -> QuerySet[Rectification]:
    """Bad ratings of the departments where the user answers them, open, answered or both.

    Open ones come first, the soonest due first; answered ones follow, the
    latest answer first, since staff look up what was said lately. Each
    application's ratings come along (``ratings_in_order``) for the
    applicant's rating after the answer.
    """
    departments = departments_in_scope(user, RESPOND_RATINGS)
    rows = Rectification.objects.filter(department__in=departments)
    if shown == RectificationFilter.OPEN:
        rows = rows.filter(responded_at=None)
    elif shown == RectificationFilter.ANSWERED:
        rows = rows.filter(responded_at__isnull=False)
    return (
        rows.select_related("rating__application__item", "department")
        .prefetch_related(
            Prefetch(
                "rating__application__ratings",
                queryset=Rating.objects.order_by("at", "pk"),
                to_attr="ratings_in_order",
            )
        )
        .order_by(F("responded_at").desc(nulls_first=True), "due_at", "pk")
    )


def follow_up_rating(rectification: Rectification) -> Rating | None:
    """The applicant's next rating of the application after the rated one, if any.

    Reads the ratings ``rectifications_for`` brought along.
    """
    rated = rectification.rating
    ratings: list[Rating] = getattr(rated.application, "ratings_in_order", [])
    later = [r for r in ratings if (r.at, r.pk) > (rated.at, rated.pk)]
    return later[0] if later else None


def overdue_rectification_count(user: User, now: dt.datetime) -> int:
    """How many bad ratings of the user's departments wait for an answer past their deadline."""
    return open_rectifications_for(user).filter(due_at__lte=now).count()


def unnotified_overdue_rectifications(now: dt.datetime) -> QuerySet[Rectification]:
    """Bad ratings left unanswered past their deadline whose department was not told yet."""
    return (
        Rectification.objects.filter(responded_at=None, due_at__lte=now, overdue_notified_at=None)
        .select_related("rating__application", "department")
        .order_by("pk")
    )


def rectification_by_id(pk: int) -> Rectification | None:
    return (
        Rectification.objects.select_related("department", "rating__application")
        .filter(pk=pk)
        .first()
    )


# How many messages the applicant's and the staff member's pages show.
RECENT_NOTIFICATIONS = 10


@dataclass(frozen=True, slots=True)
class Inbox:
    recent: list[Notification]
    unread: int


def inbox_of(user: User) -> Inbox:
    """The user's latest messages and how many of all are unread, for a page."""
    rows = Notification.objects.filter(user=user)
    return Inbox(
        list(rows.order_by("-created_at", "-pk")[:RECENT_NOTIFICATIONS]),
        rows.filter(read_at=None).count(),
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
    # Of ``open``, the tasks the user has claimed.
    mine: int = 0


def workbench_counts(user: User) -> Counts:
    """How many open tasks the user can work on, how many are warned and how many are claimed."""
    return _counts(user, open_tasks_for(user).filter(application__state__in=OPEN_STATES))


def _counts(user: User, rows: QuerySet[WorkTask]) -> Counts:
    totals = rows.order_by().aggregate(
        open=Count("pk"),
        yellow=Count("pk", filter=Q(application__warning_level="yellow")),
        red=Count("pk", filter=Q(application__warning_level="red")),
        mine=Count("pk", filter=Q(claimed_by=user)),
    )
    return Counts(**totals)


WORKLIST_PAGE_SIZE = 50

# What a worklist row shows; the application's form, prefilled data and
# process state stay in the database (several KB per row).
_WORKLIST_COLUMNS = (
    "pk",
    "application_id",
    "name",
    "department_id",
    "claimed_by_id",
    "created_at",
    "application__number",
    "application__item_id",
    "application__applicant_kind",
    "application__applicant_name",
    "application__deadline_at",
    "application__warning_level",
    "application__item__name",
    "department__name",
    "claimed_by__username",
    "claimed_by__display_name",
)


@dataclass(frozen=True, slots=True)
class Worklist:
    rows: list[WorkTask]
    counts: Counts
    page: int
    pages: int


def worklist(user: User, *, mine_only: bool = False, page: int = 1) -> Worklist:
    """One page of the workbench's 待办: open tasks of the user's queues, soonest deadline first."""
    # One queue condition for the counts and the page: working it out reads the user's posts.
    queue = open_tasks_for(user).filter(application__state__in=OPEN_STATES)
    counts = _counts(user, queue)
    total = counts.mine if mine_only else counts.open
    pages = max(1, -(-total // WORKLIST_PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = (queue.filter(claimed_by=user) if mine_only else queue).only(*_WORKLIST_COLUMNS)
    first = (page - 1) * WORKLIST_PAGE_SIZE
    return Worklist(list(rows[first : first + WORKLIST_PAGE_SIZE]), counts, page, pages)


# --- The GovStack registration profile (eservices/govstack.py) --------------------------


def applications_visible_to(user: User) -> QuerySet[Application]:
    """The user's own applications and, for staff, those in the queues they work in."""
    condition = own_applications_condition(user)
    if user.audience == Audience.STAFF:
        queued = tasks_visible_to(user).values("application_id")
        rating_departments = departments_in_scope(user, RESPOND_RATINGS).values("pk")
        # As in staff_may_see: a draft never submitted is the applicant's alone.
        condition |= Q(pk__in=queued) | Q(
            item__department__in=rating_departments, submitted_at__isnull=False
        )
    return with_related(Application.objects.filter(condition)).prefetch_related(
        Prefetch(
            "tasks",
            queryset=WorkTask.objects.filter(completed_at=None)
            .select_related("claimed_by")
            .order_by("created_at", "pk"),
            to_attr="open_tasks",
        ),
        Prefetch(
            "provided_materials",
            queryset=ApplicationMaterial.objects.order_by("material__position", "pk"),
            to_attr="materials_in_order",
        ),
        Prefetch(
            "suspensions",
            queryset=Suspension.objects.filter(**OPEN_CORRECTION),
            to_attr="open_corrections",
        ),
    )


# The application events that record a decision or a 补正 request, by the state reached.
DECIDED_STATES = (
    ApplicationState.APPROVED,
    ApplicationState.REJECTED,
    ApplicationState.CORRECTING,
)
TIMEFRAMES = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "year": TruncYear}


@dataclass(frozen=True, slots=True)
class DecisionCounts:
    """Decisions in a period: approvals, rejections (不予/不予受理) and 补正 requests."""

    start: dt.date | None
    end: dt.date | None
    approved: int
    rejected: int
    sent_back: int


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI)


def _period_end(start: dt.date, timeframe: str) -> dt.date:
    if timeframe == "day":
        return start
    if timeframe == "week":
        return start + dt.timedelta(days=6)
    if timeframe == "month":
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - dt.timedelta(days=1)
    return start.replace(month=12, day=31)


def task_role(role: str) -> Q | None:
    """Return the tasks of a role given by its code or name (any case), or None if unknown.

    A lane's base role (``reviewer``) stands for its lanes in every department
    (``fire.reviewer``), and is also found by the name of the staff role of
    that code (审核人员, in the reader's language or as stored); a lane with
    its department prefix stands for itself.
    """
    wanted = role.strip().casefold()
    if not wanted:
        return None
    for code in BASE_ROLES:
        names = {code}
        staff_role = get_role(code)
        if staff_role is not None:
            names |= {staff_role.name, role_label(staff_role)}
        if wanted in {name.casefold() for name in names}:
            return Q(lane_role=code)
    if "." in wanted and WorkTask.objects.filter(role__iexact=wanted).exists():
        return Q(role__iexact=wanted)
    return None


def _at_tasks(tasks: Q) -> Q:
    """The decision events made at one of ``tasks`` (a step completed, a 补正 asked on it)."""
    of_application = WorkTask.objects.filter(tasks, application=OuterRef("application"))
    # A step's decision is recorded at the instant the step is completed.
    completed = of_application.filter(completed_at=OuterRef("at"))
    # A 补正 request names the task it was asked on: the asker's, even after a
    # colleague took the task over when the asker left the post.
    asked_on = Q(task__isnull=False, task__in=WorkTask.objects.filter(tasks))
    # Requests recorded before they named their task: the open task the asker
    # held then and still holds (a task taken over since is no longer found).
    claimer = Concat(Value("user:"), Cast("claimed_by_id", output_field=CharField()))
    held = (
        of_application.filter(claimed_at__lte=OuterRef("at"))
        .filter(Q(completed_at__isnull=True) | Q(completed_at__gte=OuterRef("at")))
        .annotate(claimer=claimer)
        .filter(claimer=OuterRef("actor_ref"))
    )
    decided = (ApplicationState.APPROVED, ApplicationState.REJECTED)
    return (Q(to_state__in=decided) & Exists(completed)) | (
        Q(to_state=ApplicationState.CORRECTING) & (asked_on | Q(task__isnull=True) & Exists(held))
    )


def decision_counts(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    item: str = "",
    operator: str = "",
    tasks: Q | None = None,
    timeframe: str = "",
) -> list[DecisionCounts]:
    """Count decisions and 补正 requests from the applications' timelines.

    ``item`` is an item's name or code, ``operator`` the name shown for the
    member of staff who acted (automatic decisions have none), ``tasks`` the
    tasks (``task_role``) whose decisions count (automatic ones were made at
    none); with a ``timeframe`` (day, week, month, year, in Beijing time)
    there is one row per period that had any, oldest first.
    """
    rows = ApplicationEvent.objects.filter(to_state__in=DECIDED_STATES)
    if tasks is not None:
        rows = rows.filter(_at_tasks(tasks))
    if start is not None:
        rows = rows.filter(at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=SHANGHAI))
    if end is not None:
        rows = rows.filter(at__lt=_day_end(end))
    if item:
        rows = rows.filter(Q(application__item__name=item) | Q(application__item__code=item))
    if operator:
        # 秒批 and automatic refusals are no one's: recorded under the platform, and
        # under the applicant who submitted before that.
        rows = rows.filter(actor_label=operator).exclude(kind__startswith="auto_")
    counted = {
        "approved": Count("pk", filter=Q(to_state=ApplicationState.APPROVED)),
        "rejected": Count("pk", filter=Q(to_state=ApplicationState.REJECTED)),
        "sent_back": Count("pk", filter=Q(to_state=ApplicationState.CORRECTING)),
    }
    if not timeframe:
        totals = rows.aggregate(**counted)
        return [DecisionCounts(start, end, **totals)]
    trunc = TIMEFRAMES[timeframe]
    periods = (
        rows.annotate(period=trunc("at", tzinfo=SHANGHAI))
        .values("period")
        .annotate(**counted)
        .order_by("period")
    )
    result: list[DecisionCounts] = []
    for values in periods:
        row: Mapping[str, Any] = values
        period = row["period"]
        first = period.astimezone(SHANGHAI).date() if isinstance(period, dt.datetime) else period
        result.append(
            DecisionCounts(
                first,
                _period_end(first, timeframe),
                row["approved"],
                row["rejected"],
                row["sent_back"],
            )
        )
    return result


def process_version_of(application: Application) -> ProcessVersion | None:
    """Return the stored process version an application runs on, if it is known."""
    digest = (application.process_state or {}).get("digest")
    if not isinstance(digest, str) or not application.item.process_id:
        return None
    return ProcessVersion.objects.filter(
        process_id=application.item.process_id, digest=digest
    ).first()
