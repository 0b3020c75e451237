"""Reads of the hotline: queues, histories, routing figures, the overview and hot issues."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case as Choose
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhengtong.core.models import Department
from zhengtong.hotline.hot_issues import (
    HotIssue,
    MessageForMining,
    heat_jumps,
    issue_among,
    mine_hot_issues,
)
from zhengtong.hotline.models import (
    Case,
    CaseEvent,
    ClassifierVersion,
    ExtensionRequest,
    HotIssueAlert,
    HotIssueAlertNotice,
    HotIssueSnapshot,
    Notification,
    RoutingRule,
)
from zhengtong.hotline.permissions import HANDLE, VIEW_OVERVIEW
from zhengtong.hotline.senders import sender_of
from zhengtong.hotline.states import (
    OPEN_STATES,
    CaseState,
    EventKind,
    ExtensionState,
    Rating,
    RoutedBy,
    Urgency,
)
from zhengtong.hotline.time_limits import Clock, clock_of
from zhengtong.identity.models import Audience, Role, User
from zhengtong.identity.selectors import departments_with_permission

# The most cases a hot-issue run reads: a window of a busy city's messages.
HOT_ISSUE_MAX_CASES = 20_000


def _with_relations(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.select_related("department", "district", "street")


def dispatch_queue() -> QuerySet[Case]:
    """Return the cases waiting for a dispatcher, the most urgent deadline first."""
    return _with_relations(Case.objects.filter(state=CaseState.DISPATCHING)).order_by(
        "dispatch_due", "pk"
    )


def department_cases(department_ids: Iterable[int], *, open_only: bool = True) -> QuerySet[Case]:
    """Return the cases of these departments, the nearest reply deadline first."""
    queryset = Case.objects.filter(department_id__in=list(department_ids))
    if open_only:
        queryset = queryset.filter(
            state__in=(CaseState.ASSIGNED, CaseState.HANDLING, CaseState.REPLIED)
        )
    return _with_relations(queryset).order_by("reply_due", "pk")


def cases_of_citizen(user_id: int) -> QuerySet[Case]:
    # With the case each repeat was merged into, which the list names.
    return (
        _with_relations(Case.objects.filter(citizen_id=user_id))
        .select_related("merged_into")
        .order_by("-received_at")
    )


def case_by_tracking_code(code: str) -> Case | None:
    if not code or len(code) > 64:
        return None
    return _with_relations(Case.objects.filter(tracking_code=code)).first()


def awaited_reply_due(case: Case) -> dt.datetime | None:
    """The deadline the citizen is told to expect a reply by, or None.

    Shown while a reply is still to come: once replied or closed, the
    deadline is history and would read as one still running.
    """
    if case.reply_due is None or case.state in (CaseState.REPLIED, CaseState.CLOSED):
        return None
    return case.reply_due


def case_by_number(number: str) -> Case | None:
    return _with_relations(Case.objects.filter(number=number)).first()


def history_of(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("department").order_by("at", "pk")


def last_event(case: Case, kind: str) -> CaseEvent | None:
    """Return the case's latest step of this kind."""
    return case.events.filter(kind=kind).order_by("-at", "-pk").first()


# What a citizen sees of a case's history: the steps, not the centre's
# internal notes (similar cases, reminders, extension requests, routing).
PUBLIC_EVENTS = frozenset(
    {
        EventKind.RECEIVED,
        EventKind.REPEATED,
        EventKind.ROUTED,
        EventKind.QUEUED,
        EventKind.DISPATCHED,
        EventKind.SIGNED,
        EventKind.RETURNED,
        EventKind.RECALLED,
        EventKind.EXTENSION_DECIDED,
        EventKind.REPLIED,
        EventKind.RATED,
        EventKind.REOPENED,
        EventKind.DEADLINE_RECOUNTED,
    }
)


@dataclass(frozen=True, slots=True)
class PublicEvent:
    event: CaseEvent
    # The note the citizen may read: their own comment, or a reply they were given.
    note: str
    # The department the citizen sees beside the step, if any.
    department: Department | None


def public_history_of(case: Case) -> list[PublicEvent]:
    """Return the steps of a case a citizen may see, with only the notes meant for them.

    Staff notes (dispatch notes, return and recall reasons, 催办 hints) never
    leave the centre; a refused extension is the department's business, not a
    step. A recall is shown as the centre dispatching the case again, without
    the department it was taken from: whether that department was the wrong
    one or could not take the case is the centre's business too.
    """
    steps = []
    for event in history_of(case):
        if event.kind not in PUBLIC_EVENTS:
            continue
        if event.kind == EventKind.EXTENSION_DECIDED and not (event.data or {}).get("approved"):
            continue
        # Every reply the citizen was given stays readable, their own comment,
        # and the new date of a deadline counted again.
        shown = (EventKind.RATED, EventKind.REPLIED, EventKind.DEADLINE_RECOUNTED)
        note = event.note if event.kind in shown else merged_note(event)
        department = None if event.kind == EventKind.RECALLED else event.department
        steps.append(PublicEvent(event, note, department))
    return steps


# Added to the history's note and the department's notice when a more urgent
# repeat withdraws the department's pending extension request.
EXTENSION_WITHDRAWN_ON_ESCALATION = gettext_noop(
    "%(text)s待审批的延期申请已撤回，如仍需延期，请按新的期限重新申请。"
)


def merged_note(event: CaseEvent) -> str:
    """What a merged repeat's intake says of the case it was merged into, else "".

    The repeat's state reads 已合并 only; without the number, the citizen and
    the staff would not know where its reply comes from.
    """
    if event.kind != EventKind.RECEIVED or event.state_after != CaseState.MERGED:
        return ""
    original = event.case.merged_into
    if original is None:
        return ""
    return _("重复诉求，已合并到工单 %(number)s 一并办理。") % {"number": original.number}


def event_note(event: CaseEvent) -> str:
    """Return an event's note for the staff, worded from its data where it has any.

    A merged repeat is described from the original case's side, by the
    repeat's number (notes written before said it the wrong way round); an
    escalation and an urgent message kept apart from an answered case are
    worded from their data too.
    """
    repeat = (event.data or {}).get("repeat")
    if event.kind == EventKind.REPEATED and repeat:
        raised = (event.data or {}).get("urgency")
        if isinstance(raised, dict) and {raised.get("from"), raised.get("to")} <= set(
            Urgency.values
        ):
            note = _(
                "同一诉求人再次反映，情况更为紧急，重复件工单 %(number)s 已合并到本工单办理；"
                "紧急程度由“%(before)s”提升为“%(after)s”，期限按新的紧急程度重新计算。"
            ) % {
                "number": repeat,
                "before": Urgency(raised["from"]).label,
                "after": Urgency(raised["to"]).label,
            }
            if (event.data or {}).get("extensions_withdrawn"):
                note = _(EXTENSION_WITHDRAWN_ON_ESCALATION) % {"text": note}
            return note
        return _("同一诉求人再次反映，重复件工单 %(number)s 已合并到本工单办理。") % {
            "number": repeat
        }
    answered = (event.data or {}).get("more_urgent_than")
    if event.kind == EventKind.LINKED and answered:
        return _("同一诉求人在工单 %(number)s 答复后再次反映，情况更为紧急，另立工单办理。") % {
            "number": answered
        }
    return merged_note(event) or event.note


def histories_of(cases: Iterable[Case]) -> dict[int, list[CaseEvent]]:
    """The histories of many cases at once (a page of a queue), by case id."""
    histories: dict[int, list[CaseEvent]] = {}
    events = CaseEvent.objects.filter(case__in=list(cases)).select_related("department")
    for event in events.order_by("at", "pk"):
        histories.setdefault(event.case_id, []).append(event)
    return histories


def linked_cases(case: Case) -> list[tuple[Case, float]]:
    links = case.links.select_related("related", "related__department").order_by("-similarity")
    return [(link.related, link.similarity) for link in links]


def repeats_of(case: Case) -> QuerySet[Case]:
    """Return the same person's repeats merged into the case, with their photos."""
    return (
        Case.objects.filter(merged_into=case)
        .prefetch_related("attachments")
        .order_by("received_at")
    )


@dataclass(frozen=True, slots=True)
class OverdueCase:
    case: Case
    # 催办 and 督办 since the current deadline passed.
    urged: bool
    supervised: bool


def overdue_cases_to_urge(now: dt.datetime) -> list[OverdueCase]:
    """Return the cases past their reply deadline, and whether that deadline was chased yet.

    Only 催办 and 督办 after the current deadline count: a reopened case or
    one given more time has a new deadline, and missing it is chased again.
    """
    since_due = {"case": OuterRef("pk"), "at__gte": OuterRef("reply_due")}
    flags = (
        Case.objects.filter(
            state__in=(CaseState.ASSIGNED, CaseState.HANDLING),
            reply_due__lt=now,
        )
        .annotate(
            urged=Exists(CaseEvent.objects.filter(kind=EventKind.URGED, **since_due)),
            supervised_now=Exists(CaseEvent.objects.filter(kind=EventKind.SUPERVISED, **since_due)),
        )
        .order_by("reply_due", "pk")
        .values_list("pk", "urged", "supervised_now")
    )
    rows = list(flags)
    cases = Case.objects.select_related("department").in_bulk([pk for pk, _u, _s in rows])
    return [OverdueCase(cases[pk], bool(urged), bool(supervised)) for pk, urged, supervised in rows]


def pending_extensions() -> QuerySet[ExtensionRequest]:
    return (
        ExtensionRequest.objects.filter(state=ExtensionState.PENDING)
        .select_related("case", "case__department")
        .order_by("requested_at")
    )


def notifications_for(department_ids: Iterable[int], limit: int = 20) -> list[Notification]:
    return list(
        Notification.objects.filter(department_id__in=list(department_ids))
        .select_related("case", "department")
        .order_by("-created_at")[:limit]
    )


def unread_notification_count(department_ids: Iterable[int]) -> int:
    """Return how many of the departments' notifications nobody there has marked read."""
    return Notification.objects.filter(
        department_id__in=list(department_ids), read_at__isnull=True
    ).count()


def classifier_versions() -> QuerySet[ClassifierVersion]:
    return ClassifierVersion.objects.order_by("-number")


def routing_rules() -> QuerySet[RoutingRule]:
    return RoutingRule.objects.select_related("region", "department").order_by(
        "region_id", "category", "topic"
    )


def categories() -> list[str]:
    """Return the categories a dispatcher can choose: the active model's and the rules'."""
    names = set(RoutingRule.objects.values_list("category", flat=True))
    active = ClassifierVersion.objects.filter(is_active=True).first()
    if active is not None:
        names.update(active.labels)
    return sorted(names)


def unmapped_categories(labels: Iterable[str]) -> list[str]:
    """Return the labels no routing rule sends anywhere, in the order given.

    A rule with a topic takes only the messages that name its keywords; the
    rest of its category needs a rule without one, in the city or a district.
    """
    mapped = set(
        RoutingRule.objects.filter(topic="", category__in=list(labels)).values_list(
            "category", flat=True
        )
    )
    return [label for label in labels if label not in mapped]


def handling_departments() -> QuerySet[Department]:
    """Return the active departments someone can sign for a case at.

    A case sent anywhere else would wait for nobody.
    """
    return departments_with_permission(HANDLE)


def clock(case: Case, now: dt.datetime | None = None) -> Clock:
    return clock_of(case, now or timezone.now())


@dataclass(slots=True)
class RoutingFigures:
    """How well automatic routing does, from the cases' own histories."""

    received: int = 0
    routed_automatically: int = 0
    queued: int = 0
    # Automatically routed cases that a department sent back: misroutes.
    returned_after_model: int = 0
    returned_after_dispatcher: int = 0
    # Cases the centre took back from a department before it signed for
    # them (撤回): routing corrections, counted as returns are.
    recalled_after_model: int = 0
    recalled_after_dispatcher: int = 0
    # Dispatcher decisions that differ from the model's suggestion.
    corrections: int = 0
    dispatcher_decisions: int = 0
    return_reasons: list[tuple[str, int]] = field(default_factory=list)
    recall_reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def automatic_share(self) -> float:
        """Share of the messages that needed routing which the model routed.

        A repeat merged into its person's open case needs no routing, so it
        counts neither way.
        """
        needed = self.routed_automatically + self.queued
        return self.routed_automatically / needed if needed else 0.0

    @property
    def automatic_precision(self) -> float:
        """Share of automatically routed cases neither returned nor recalled (撤回)."""
        if not self.routed_automatically:
            return 0.0
        misrouted = self.returned_after_model + self.recalled_after_model
        return 1 - misrouted / self.routed_automatically


def routing_figures(since: dt.datetime | None = None) -> RoutingFigures:
    events = CaseEvent.objects.all()
    if since is not None:
        events = events.filter(at__gte=since)
    counts = Counter(
        dict(events.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    )
    figures = RoutingFigures(
        received=counts[EventKind.RECEIVED],
        routed_automatically=counts[EventKind.ROUTED],
        queued=counts[EventKind.QUEUED],
        dispatcher_decisions=counts[EventKind.DISPATCHED],
    )
    returns = events.filter(kind=EventKind.RETURNED)
    figures.returned_after_model = returns.filter(data__routed_by=RoutedBy.MODEL).count()
    figures.returned_after_dispatcher = returns.filter(data__routed_by=RoutedBy.DISPATCHER).count()
    reasons = Counter(note.strip()[:40] for note in returns.values_list("note", flat=True))
    figures.return_reasons = reasons.most_common(5)
    recalls = events.filter(kind=EventKind.RECALLED)
    figures.recalled_after_model = recalls.filter(data__routed_by=RoutedBy.MODEL).count()
    figures.recalled_after_dispatcher = recalls.filter(data__routed_by=RoutedBy.DISPATCHER).count()
    recall_reasons = Counter(note.strip()[:40] for note in recalls.values_list("note", flat=True))
    figures.recall_reasons = recall_reasons.most_common(5)
    dispatched = events.filter(kind=EventKind.DISPATCHED).values_list("data", flat=True)
    for data in dispatched:
        suggested = (data or {}).get("suggested")
        if suggested and suggested != (data or {}).get("category"):
            figures.corrections += 1
    return figures


@dataclass(slots=True)
class Overview:
    since: dt.datetime
    until: dt.datetime
    total: int
    open: int
    overdue: int
    by_category: list[tuple[str, int]]
    by_district: list[tuple[str, int]]
    by_day: list[tuple[dt.date, int]]
    by_state: list[tuple[str, int]]
    ratings: dict[str, int]

    @property
    def satisfaction(self) -> float | None:
        rated = sum(self.ratings.values())
        if not rated:
            return None
        good = self.ratings.get(Rating.SATISFIED, 0) + self.ratings.get(Rating.BASICALLY, 0)
        return good / rated


def _category_or_suggestion() -> Coalesce:
    # A queued case has no category yet: count it under the model's suggestion.
    return Coalesce(NullIf(F("category"), Value("")), F("predicted_category"))


def _last_callback() -> Choose:
    # A 不满意 that reopened the case is cleared from the case, whose next
    # reply awaits a callback of its own (do_rate_case); until that callback
    # (or if it never comes) the case's last word is still 不满意, and a
    # satisfaction rate without it would read better than the callbacks did.
    return Choose(
        When(rating="", reopened=True, then=Value(Rating.UNSATISFIED.value)),
        default=F("rating"),
    )


def overview(since: dt.datetime, until: dt.datetime, *, within: Q | None = None) -> Overview:
    """Return volumes by category, district, every day of the window and state, and the ratings.

    The volumes are those of the cases received in the window; ``open`` and
    ``overdue`` count every case open now, whenever it was received.

    ``within`` narrows them to the cases of a leader's area (None: every case).
    """
    cases = Case.objects.filter(received_at__gte=since, received_at__lt=until).exclude(
        state=CaseState.MERGED
    )
    if within is not None:
        cases = cases.filter(within)
    now = timezone.now()
    by_category = list(
        cases.annotate(name=_category_or_suggestion())
        .values_list("name")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("name", "n")
    )
    by_district = list(
        cases.values_list("district__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("district__name", "n")
    )
    counted = dict(
        cases.annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by("day")
        .values_list("day", "n")
    )
    # Every day of the window, a quiet one as 0: a trend that skips the days
    # without messages joins the days around them as if they were neighbours.
    first, last = timezone.localtime(since).date(), timezone.localtime(until).date()
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    by_day = [(day, counted.get(day, 0)) for day in days]
    by_state = list(
        cases.values_list("state")
        .annotate(n=Count("pk"))
        .order_by("state")
        .values_list("state", "n")
    )
    ratings = dict(
        cases.annotate(callback=_last_callback())
        .exclude(callback="")
        .values_list("callback")
        .annotate(n=Count("pk"))
        .values_list("callback", "n")
    )
    # The open and overdue cases are today's workload, whenever they came in:
    # a case left open for months must not drop out of a 30-day view.
    open_cases = Case.objects.filter(state__in=OPEN_STATES, received_at__lt=until)
    if within is not None:
        open_cases = open_cases.filter(within)
    overdue = open_cases.filter(
        Q(state=CaseState.DISPATCHING, dispatch_due__lt=now)
        | Q(state__in=(CaseState.ASSIGNED, CaseState.HANDLING), reply_due__lt=now)
    ).count()
    return Overview(
        since=since,
        until=until,
        total=cases.count(),
        open=open_cases.count(),
        overdue=overdue,
        by_category=[(name or "", n) for name, n in by_category],
        by_district=[(name or "", n) for name, n in by_district],
        by_day=by_day,
        by_state=by_state,
        ratings=ratings,
    )


_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def _first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0][:60]


def _author_of(case: Case) -> str:
    """Who wrote the message, as far as it is known, for counting people.

    The sender is known by the rule repeats are merged by (``senders``); a
    message whose sender is not known is its own author, so that one visitor
    cannot fold other people's messages into a single voice. A repeat merged
    into a case is that case's sender's, however the repeat came in.
    """
    original = case.merged_into or case
    sender = sender_of(original)
    if sender is not None:
        return sender.key
    # Unknown: the original case stands for its sender, with its merged repeats.
    return f"case:{original.pk}"


def _mining_rows(cases: Sequence[Case]) -> list[MessageForMining]:
    rows = []
    for case in cases:
        names = (
            case.district.name if case.district else "",
            case.street.name if case.street else "",
            case.location_text,
        )
        place = " ".join(name for name in names if name)
        rows.append(
            MessageForMining(
                key=case.number,
                # A call summary has no title: its first sentence says what and where.
                title=case.title or _first_sentence(case.content),
                body=case.content,
                created_at=case.received_at,
                supporters=case.supporters,
                place=place,
                author=_author_of(case),
            )
        )
    return rows


@dataclass(slots=True)
class HotIssues:
    issues: list[HotIssue]
    jumps: list[tuple[HotIssue, float]]
    cases: dict[str, Case]
    # When the issues were mined: None when mined for this request.
    computed_at: dt.datetime | None = None
    # Too many messages to mine per request and no snapshot yet.
    pending: bool = False
    # The window the issues were mined over; an area's share of an issue is
    # measured over the same one.
    start: dt.datetime | None = None
    end: dt.datetime | None = None


# Windows with at most this many messages are mined per request; larger ones
# are read from the hourly snapshot (mining 13,000 messages takes about 9 s).
LIVE_MINING_LIMIT = 3000
SNAPSHOT_WINDOWS = (7, 30, 90)
# The city's view shows its hottest issues; a district's view looks for its
# own among this many of the city's, so a snapshot keeps as many.
CITY_ISSUES = 20
AREA_ISSUES = 100


def mine_recent_hot_issues(
    *, days: int, now: dt.datetime, limit: int = CITY_ISSUES
) -> tuple[list[HotIssue], list[tuple[HotIssue, float]]]:
    """Mine the last ``days`` days' hot issues, and which jumped against the window before."""
    window = dt.timedelta(days=days)
    # Merged repeats included: the miner joins a person's repeat to their first
    # message (listed, but no second voice), so an issue shows every message.
    cases = list(
        Case.objects.filter(received_at__gte=now - 2 * window, received_at__lte=now)
        .select_related("district", "street", "merged_into")
        .order_by("-received_at")[:HOT_ISSUE_MAX_CASES]
    )
    rows = _mining_rows(cases)
    current = mine_hot_issues(
        [r for r in rows if r.created_at >= now - window], now=now, window=window, limit=limit
    )
    # Every issue of the window before, not only its hottest: an issue that
    # ranked below them then is still its own earlier self, and compared with
    # a lone message instead it would show as a jump that never happened.
    earlier = [r for r in rows if r.created_at < now - window]
    previous = mine_hot_issues(earlier, now=now - window, window=window, limit=len(earlier))
    return current, heat_jumps(previous, current)


def issue_as_dict(issue: HotIssue) -> dict[str, object]:
    return {
        "label": issue.label,
        "place": issue.place,
        "keywords": list(issue.keywords),
        "first_at": issue.first_at.isoformat(),
        "last_at": issue.last_at.isoformat(),
        "message_keys": list(issue.message_keys),
        "heat": issue.heat,
        "message_count": issue.message_count,
        "supporters": issue.supporters,
        "growth": issue.growth,
    }


def _issue_from_dict(data: dict[str, Any]) -> HotIssue:
    return HotIssue(
        label=str(data["label"]),
        place=str(data["place"]),
        keywords=tuple(data["keywords"]),
        first_at=dt.datetime.fromisoformat(data["first_at"]),
        last_at=dt.datetime.fromisoformat(data["last_at"]),
        message_keys=tuple(data["message_keys"]),
        heat=float(data["heat"]),
        message_count=int(data["message_count"]),
        supporters=int(data["supporters"]),
        growth=float(data["growth"]),
    )


def _cases_by_number(issues: Sequence[HotIssue]) -> dict[str, Case]:
    numbers = {key for issue in issues for key in issue.message_keys}
    return {case.number: case for case in Case.objects.filter(number__in=numbers)}


def hot_issues(
    *, days: int = 30, now: dt.datetime | None = None, limit: int = CITY_ISSUES
) -> HotIssues:
    """Return the hot issues of the last ``days`` days: mined now if few, else the snapshot."""
    now = now or timezone.now()
    window = dt.timedelta(days=days)
    in_window = Case.objects.filter(received_at__gte=now - window, received_at__lte=now).count()
    if in_window <= LIVE_MINING_LIMIT:
        issues, jumps = mine_recent_hot_issues(days=days, now=now, limit=limit)
        return HotIssues(
            issues=issues,
            jumps=jumps,
            cases=_cases_by_number(issues),
            start=now - window,
            end=now,
        )
    snapshot = HotIssueSnapshot.objects.filter(days=days).first()
    if snapshot is None:
        return HotIssues(issues=[], jumps=[], cases={}, pending=True)
    issues = [_issue_from_dict(item) for item in snapshot.issues][:limit]
    jumps = [
        (issues[position], float(factor))
        for position, factor in snapshot.jumps
        if position < len(issues)
    ]
    return HotIssues(
        issues=issues,
        jumps=jumps,
        cases=_cases_by_number(issues),
        computed_at=snapshot.computed_at,
        start=snapshot.computed_at - window,
        end=snapshot.computed_at,
    )


@dataclass(frozen=True, slots=True)
class IssueInArea:
    issue: HotIssue
    # How much its heat jumped, when it did.
    jumped_by: float | None
    # Its messages in the area (all of them for the whole city).
    keys: list[str]


def issues_within(hot: HotIssues, area: Q | None, limit: int) -> list[IssueInArea]:
    """Return the hot issues with messages in a leader's area (None: the city), hottest there first.

    An issue mined over the whole city may reach beyond the area (the same
    factory's fumes reported from two districts): the area's view shows it
    with its messages in the area alone, counted, supported and weighed as
    those messages make it, as the area's volumes count its cases only.
    """
    jumped = {issue.message_keys: factor for issue, factor in hot.jumps}
    if area is None:
        return [
            IssueInArea(issue, jumped.get(issue.message_keys), list(issue.message_keys))
            for issue in hot.issues[:limit]
        ]
    numbers = [key for issue in hot.issues for key in issue.message_keys]
    inside = _mining_rows(
        list(
            Case.objects.filter(area, number__in=numbers).select_related(
                "district", "street", "merged_into"
            )
        )
    )
    end = hot.end or timezone.now()
    start = hot.start or end - dt.timedelta(days=max(SNAPSHOT_WINDOWS))
    found = []
    for issue in hot.issues:
        part = issue_among(issue, inside, start=start, end=end)
        if part is not None:
            found.append(IssueInArea(part, jumped.get(issue.message_keys), list(part.message_keys)))
    found.sort(key=lambda item: (-item.issue.heat, item.issue.first_at, item.issue.message_keys))
    return found[:limit]


def hot_issue_alerts(limit: int = 20) -> list[HotIssueAlert]:
    """Return the latest heat-jump alerts, newest first."""
    return list(HotIssueAlert.objects.order_by("-created_at", "-pk")[:limit])


# --- heat-jump alerts as leaders are told of them -------------------------------------

# How many alerts the alert log shows, and how many of the latest it looks
# through for an area's: a district's alerts are a few of the city's.
ALERT_LOG_LIMIT = 20
ALERT_LOOKBACK = 500
# The case numbers one query tests against an area, far below any database's
# limit on a statement's parameters.
_NUMBERS_PER_QUERY = 2000


@dataclass(frozen=True, slots=True)
class AlertInArea:
    alert: HotIssueAlert
    # The alert's messages in the area: the cases the leader may open.
    cases: list[str]
    # When the leader was told of it (None: their post came later) and acknowledged it.
    notified_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None


def overview_holders() -> list[User]:
    """Return the active staff whose posts let them read the overview: the leaders to alert."""
    roles = [
        pk
        for pk, permissions in Role.objects.values_list("pk", "permissions")
        if VIEW_OVERVIEW in (permissions or [])
    ]
    return list(
        User.objects.filter(
            is_active=True,
            audience=Audience.STAFF,
            posts__is_active=True,
            posts__department__is_active=True,
            posts__role_id__in=roles,
        )
        .distinct()
        .order_by("pk")
    )


def alerts_within(alerts: Sequence[HotIssueAlert], area: Q | None) -> dict[int, list[str]]:
    """Return the alerts with messages in a leader's area (None: the city), with those messages.

    The rule of the overview's hot issues (``issues_within``): an issue is the
    area's when some of its messages are placed there, and the area's leader
    opens those messages only.
    """
    if area is None:
        return {alert.pk: list(alert.case_numbers) for alert in alerts}
    numbers = sorted({str(number) for alert in alerts for number in alert.case_numbers})
    inside: set[str] = set()
    for start in range(0, len(numbers), _NUMBERS_PER_QUERY):
        chunk = numbers[start : start + _NUMBERS_PER_QUERY]
        inside.update(Case.objects.filter(area, number__in=chunk).values_list("number", flat=True))
    found = {}
    for alert in alerts:
        cases = [number for number in alert.case_numbers if number in inside]
        if cases:
            found[alert.pk] = cases
    return found


def alert_log(user: User, area: Q | None, *, limit: int = ALERT_LOG_LIMIT) -> list[AlertInArea]:
    """Return the latest heat-jump alerts in a leader's area, newest first, as they saw them."""
    found: list[AlertInArea] = []
    latest = HotIssueAlert.objects.order_by("-created_at", "-pk")[:ALERT_LOOKBACK]
    # A batch at a time: a city leader's log is the first batch, a quiet
    # district's may lie further back.
    batch = max(limit, ALERT_LOG_LIMIT)
    for start in range(0, ALERT_LOOKBACK, batch):
        alerts = list(latest[start : start + batch])
        inside = alerts_within(alerts, area)
        found.extend(AlertInArea(alert, inside[alert.pk]) for alert in alerts if alert.pk in inside)
        if len(found) >= limit or len(alerts) < batch:
            break
    found = found[:limit]
    notices = {
        notice.alert_id: notice
        for notice in HotIssueAlertNotice.objects.filter(
            user=user, alert_id__in=[item.alert.pk for item in found]
        )
    }
    return [
        AlertInArea(
            item.alert,
            item.cases,
            notices[item.alert.pk].created_at if item.alert.pk in notices else None,
            notices[item.alert.pk].acknowledged_at if item.alert.pk in notices else None,
        )
        for item in found
    ]
