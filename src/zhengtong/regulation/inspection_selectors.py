"""Reads of random inspections (双随机、一公开): the registers a task draws from, tasks, results.

The registers are read live only when a task is announced; from then on
everything about a task (what was announced, what was drawn, how many each
class had) is read from the frozen announcement and transcript, so that the
pages show exactly what anyone can verify.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from zhengtong.core.models import Department, Enterprise, Region
from zhengtong.regulation import inspection_draw as draw
from zhengtong.regulation.credit_selectors import credit_class_of
from zhengtong.regulation.models import (
    DrawState,
    Inspection,
    InspectionTask,
    Inspector,
    Recusal,
    SupplementaryDraw,
)

# The most tasks a list shows, newest first.
MAX_LISTED = 200
CLASS_BATCH = 5000


def _inside(field: str, path: str) -> Q:
    area = path.rstrip("/")
    return Q(**{field: area}) | Q(**{f"{field}__startswith": area + "/"})


# --- the registers ---------------------------------------------------------------------------


def target_register(region: Region, industry_code: str = "") -> list[draw.Target]:
    """Return the enterprises in the region (and industry) as draw targets with their credit class.

    An enterprise never graded has a clean file and so the grade of the base
    score; ids are the 统一社会信用代码.
    """
    enterprises = Enterprise.objects.filter(_inside("region__path", region.path))
    if industry_code:
        enterprises = enterprises.filter(industry_code__startswith=industry_code)
    rows = list(enterprises.order_by("pk").values_list("pk", "credit_code", "name"))
    classes: dict[int, str] = {}
    # In batches: a city's register can hold more ids than one query may take as parameters.
    for start in range(0, len(rows), CLASS_BATCH):
        classes.update(
            credit_class_of([pk for pk, _code, _name in rows[start : start + CLASS_BATCH]])
        )
    targets = []
    for pk, credit_code, name in rows:
        grade = classes[pk]
        if grade not in draw.CREDIT_CLASSES:
            raise ValueError(f"enterprise {credit_code} has no credit class A-D: {grade!r}")
        targets.append(draw.Target(id=credit_code, name=name, credit_class=grade))
    return targets


def inspection_departments(department: Department) -> QuerySet[Department]:
    """Return the department and its active branches, whose inspectors a task of it draws."""
    return Department.objects.filter(Q(pk=department.pk) | Q(parent=department, is_active=True))


def inspector_register(department: Department, target_ids: Iterable[str]) -> list[draw.Inspector]:
    """Return the active inspectors of the department and its branches as the draw sees them.

    An inspector's ``conflicts`` are the targets among ``target_ids`` he must
    recuse himself from; relations with enterprises outside the task are not
    published.
    """
    targets = set(target_ids)
    inspectors = list(
        Inspector.objects.filter(
            is_active=True, department__in=inspection_departments(department)
        ).select_related("department")
    )
    conflicts: dict[int, set[str]] = {}
    # Fetched per inspector rather than filtered by the target ids, which can
    # be more than a database accepts as query parameters.
    for inspector_id, credit_code in Recusal.objects.filter(
        inspector__in=[i.pk for i in inspectors]
    ).values_list("inspector_id", "enterprise__credit_code"):
        if credit_code in targets:
            conflicts.setdefault(inspector_id, set()).add(credit_code)
    return [
        draw.Inspector(
            id=i.code,
            name=i.name,
            department=i.department.name,
            qualifications=frozenset(str(q) for q in i.qualifications if q),
            conflicts=frozenset(conflicts.get(i.pk, ())),
        )
        for i in inspectors
    ]


def inspectors_in(departments: QuerySet[Department]) -> QuerySet[Inspector]:
    """Return the inspectors of the departments, with their department and recusals."""
    return (
        Inspector.objects.filter(department__in=departments)
        .select_related("department")
        .prefetch_related(
            Prefetch(
                "recusals",
                queryset=Recusal.objects.select_related("enterprise").order_by("pk"),
            )
        )
        .order_by("department__name", "code")
    )


def inspector_by_code(code: str) -> Inspector | None:
    return Inspector.objects.select_related("department").filter(code=code).first()


# --- tasks -----------------------------------------------------------------------------------


def tasks_listed(tasks: QuerySet[InspectionTask] | None = None) -> QuerySet[InspectionTask]:
    """Return tasks newest first, with how many targets were drawn and how many have results."""
    tasks = InspectionTask.objects.all() if tasks is None else tasks
    return (
        tasks.select_related("department", "region")
        .annotate(
            drawn_count=Count("inspections", distinct=True),
            recorded_count=Count("inspections", filter=~Q(inspections__outcome=""), distinct=True),
        )
        .order_by("-announced_at", "-pk")
    )


def task_by_code(code: str) -> InspectionTask | None:
    return InspectionTask.objects.select_related("department", "region").filter(code=code).first()


def is_due(task: InspectionTask, now: dt.datetime | None = None) -> bool:
    """Say whether an announced task may be drawn now."""
    now = now or timezone.now()
    return task.state == DrawState.ANNOUNCED and now >= task.draw_after


def seed_of(task: InspectionTask) -> str | None:
    """Return the seed once it may be known: after the draw, or once the task is cancelled.

    A cancelled task reveals its seed so that anyone can compute what it
    would have drawn; cancelling a draw one did not like cannot go unseen.
    """
    if task.state in (DrawState.DRAWN, DrawState.CANCELLED):
        # Empty only for a cancelled task whose sealed seed no longer opened.
        return task.seed_hex or None
    return None


def public_announcement(task: InspectionTask) -> dict[str, Any]:
    """Return the announcement as published before the draw (never holding the seed)."""
    published = dict(task.announcement)
    # The announcement is built without the seed; this keeps a future change
    # of its format from publishing it early.
    published.pop("seed", None)
    return published


def public_transcript(task: InspectionTask) -> dict[str, Any] | None:
    """Return the transcript of a drawn task, None before the draw."""
    if task.state != DrawState.DRAWN or task.transcript is None:
        return None
    return dict(task.transcript)


def verification_of(task: InspectionTask) -> list[str] | None:
    """Recompute a drawn task's transcript against its announcement; [] when it checks out.

    None before the draw, when there is nothing to verify.
    """
    transcript = public_transcript(task)
    if transcript is None:
        return None
    return draw.transcript_differences(transcript, public_announcement(task))


@dataclass(frozen=True, slots=True)
class ClassRow:
    """One credit class of a task: its share, how many it has and how many are (to be) drawn."""

    credit_class: str
    ratio: Fraction
    targets: int
    to_draw: int
    drawn: int | None

    @property
    def percent(self) -> str:
        value = self.ratio * 100
        return f"{float(value):.4g}"


def class_rows(task: InspectionTask) -> list[ClassRow]:
    """Return each class's share, size and count to draw, from the frozen announcement."""
    announced = task.announcement
    ratios = announced["rules"]["ratios"]
    sizes = {c: 0 for c in draw.CREDIT_CLASSES}
    for target in announced["registers"]["targets"]:
        sizes[target["credit_class"]] += 1
    drawn: dict[str, list[str]] | None = None
    if task.state == DrawState.DRAWN and task.transcript:
        drawn = task.transcript["result"]["targets"]
    rows = []
    for credit_class in draw.CREDIT_CLASSES:
        ratio = Fraction(ratios[credit_class])
        rows.append(
            ClassRow(
                credit_class=credit_class,
                ratio=ratio,
                targets=sizes[credit_class],
                # The draw's own rounding: ceil(ratio × class size).
                to_draw=draw.DrawRules(task_id="-", ratios={credit_class: ratio}).count(
                    credit_class, sizes[credit_class]
                ),
                drawn=None if drawn is None else len(drawn.get(credit_class, [])),
            )
        )
    return rows


def register_sizes(task: InspectionTask) -> tuple[int, int]:
    """Return how many targets and inspectors the task's frozen registers hold."""
    registers = task.announcement["registers"]
    return len(registers["targets"]), len(registers["inspectors"])


# --- inspections -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InspectionView:
    """A drawn inspection with its inspectors in the order the draw picked them."""

    inspection: Inspection
    inspectors: list[Inspector]


def _with_inspectors(inspections: QuerySet[Inspection]) -> QuerySet[Inspection]:
    return inspections.select_related("enterprise").prefetch_related(
        Prefetch("inspectors", queryset=Inspector.objects.select_related("department"))
    )


def _views(task: InspectionTask, inspections: Iterable[Inspection]) -> list[InspectionView]:
    # The many-to-many relation keeps no order; the transcripts have the draws'.
    order: dict[str, list[str]] = {}
    if task.transcript:
        order = {
            entry["target"]: list(entry["inspectors"])
            for entry in task.transcript["result"]["inspections"]
        }
        for transcript in _supplementary_transcripts(task):
            for entry in transcript["result"]["inspections"]:
                order.setdefault(entry["target"], []).extend(entry["inspectors"])
    views = []
    for inspection in inspections:
        ranks = {code: n for n, code in enumerate(order.get(inspection.enterprise.credit_code, []))}
        inspectors = sorted(
            inspection.inspectors.all(), key=lambda i: (ranks.get(i.code, len(ranks)), i.code)
        )
        views.append(InspectionView(inspection, inspectors))
    return views


def inspections_of(task: InspectionTask) -> list[InspectionView]:
    """Return the task's drawn inspections by target id, inspectors in draw order."""
    inspections = _with_inspectors(Inspection.objects.filter(task=task)).order_by(
        "enterprise__credit_code"
    )
    return _views(task, inspections)


def recorded_targets(task: InspectionTask, target_ids: Iterable[str]) -> set[str]:
    """Return those of the targets (统一社会信用代码) whose inspection has its result recorded."""
    return set(
        Inspection.objects.filter(task=task, enterprise__credit_code__in=list(target_ids))
        .exclude(outcome="")
        .values_list("enterprise__credit_code", flat=True)
    )


def inspection_by_id(pk: int) -> Inspection | None:
    return (
        Inspection.objects.select_related("task__department", "task__region", "enterprise")
        .filter(pk=pk)
        .first()
    )


def inspection_view(inspection: Inspection) -> InspectionView:
    """Return one inspection as ``inspections_of`` shows it (read afresh)."""
    (view,) = _views(inspection.task, _with_inspectors(Inspection.objects.filter(pk=inspection.pk)))
    return view


# --- supplementary draws (补充抽取) -----------------------------------------------------------


def supplementary_draws_of(task: InspectionTask) -> list[SupplementaryDraw]:
    """Return the task's supplementary draws, first to last."""
    return list(SupplementaryDraw.objects.filter(task=task).order_by("number"))


def supplementary_by_number(task: InspectionTask, number: int) -> SupplementaryDraw | None:
    return SupplementaryDraw.objects.filter(task=task, number=number).first()


def _supplementary_transcripts(task: InspectionTask) -> list[dict[str, Any]]:
    return [
        s.transcript
        for s in supplementary_draws_of(task)
        if s.state == DrawState.DRAWN and s.transcript is not None
    ]


def _supplementary_seed(supplementary: SupplementaryDraw) -> str | None:
    # As a task's: revealed by the draw, or by the cancellation of one never drawn.
    if supplementary.state in (DrawState.DRAWN, DrawState.CANCELLED):
        return supplementary.seed_hex or None
    return None


def public_supplementary_announcement(supplementary: SupplementaryDraw) -> dict[str, Any]:
    """Return a supplementary draw's announcement as published before it (never the seed)."""
    published = dict(supplementary.announcement)
    published.pop("seed", None)
    return published


def public_supplementary_transcript(supplementary: SupplementaryDraw) -> dict[str, Any] | None:
    """Return a drawn supplementary draw's transcript, None before it is drawn."""
    if supplementary.state != DrawState.DRAWN or supplementary.transcript is None:
        return None
    return dict(supplementary.transcript)


@dataclass(frozen=True, slots=True)
class SupplementaryRow:
    """One short target of a supplementary draw: the inspectors it added, what it still lacks."""

    target_id: str
    enterprise_name: str
    shortfall_before: int
    added: list[Inspector]
    shortfall: int | None


@dataclass(frozen=True, slots=True)
class SupplementaryView:
    """A supplementary draw as its pages show it, checked against the transcripts before it."""

    draw: SupplementaryDraw
    seed: str | None
    rows: list[SupplementaryRow]
    differences: list[str] | None

    @property
    def verified(self) -> bool:
        return self.differences == []

    @property
    def still_short(self) -> int:
        return sum(1 for row in self.rows if row.shortfall)


def supplementary_views(task: InspectionTask) -> list[SupplementaryView]:
    """Return the task's supplementary draws with their results, each verified in turn.

    A drawn one is recomputed and checked to refer to the task's transcript
    and the earlier supplementary transcripts, and to fill what they left short.
    A cancelled one drew nobody and has no transcript, so the later ones do
    not refer to it.
    """
    draws = supplementary_draws_of(task)
    names = dict(
        Enterprise.objects.filter(
            credit_code__in={
                entry["target"]
                for s in draws
                for entry in s.announcement["registers"]["inspections"]
            }
        ).values_list("credit_code", "name")
    )
    inspectors = {
        i.code: i
        for i in Inspector.objects.filter(
            code__in={
                code
                for s in draws
                if s.transcript
                for entry in s.transcript["result"]["inspections"]
                for code in entry["inspectors"]
            }
        ).select_related("department")
    }
    views = []
    previous: list[dict[str, Any]] = []
    for supplementary in draws:
        transcript = public_supplementary_transcript(supplementary)
        results = {}
        differences = None
        if transcript is not None:
            results = {entry["target"]: entry for entry in transcript["result"]["inspections"]}
            differences = draw.transcript_differences(
                transcript,
                public_supplementary_announcement(supplementary),
                original=task.transcript,
                previous=previous,
            )
            previous = [*previous, transcript]
        rows = []
        for entry in supplementary.announcement["registers"]["inspections"]:
            result = results.get(entry["target"])
            rows.append(
                SupplementaryRow(
                    target_id=entry["target"],
                    enterprise_name=names.get(entry["target"], ""),
                    shortfall_before=entry["shortfall"],
                    added=[
                        inspectors[code]
                        for code in (result["inspectors"] if result else [])
                        if code in inspectors
                    ],
                    shortfall=result["shortfall"] if result else None,
                )
            )
        views.append(
            SupplementaryView(
                draw=supplementary,
                seed=_supplementary_seed(supplementary),
                rows=rows,
                differences=differences,
            )
        )
    return views
