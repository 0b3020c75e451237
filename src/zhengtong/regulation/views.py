"""The regulator's online-monitoring pages: the 24-hour view and one point with its charts.

Every view parses, fetches through ``access``, calls one action and
renders; the alarm forms are swapped by htmx with the alarm's row, a partial
of the same template. Charts are inline SVG drawn from attributes, because
the Content-Security-Policy forbids inline styles.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from zhengtong.core.errors import ZhengtongError
from zhengtong.core.htmx import is_htmx
from zhengtong.core.redirects import local_path, redirect_back
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import page_user
from zhengtong.identity.models import Audience, User
from zhengtong.regulation import access, selectors
from zhengtong.regulation.actions import do_acknowledge_alarm, do_close_alarm, silent_since
from zhengtong.regulation.models import Alarm, AlarmKind, AlarmState, EmissionLimit, MonitoringPoint
from zhengtong.regulation.permissions import MONITOR
from zhengtong.regulation.selectors import FLOW_CODES, PointState, Sample

WINDOW = dt.timedelta(hours=24)
POINT_ALARMS = 50

# Badge classes (portal.css) of the alarm kinds and states.
KIND_TAGS = {AlarmKind.OVER_LIMIT: "tag-red", AlarmKind.OFFLINE: "tag-soon"}
STATE_TAGS = {AlarmState.OPEN: "tag-red", AlarmState.ACKNOWLEDGED: "", AlarmState.CLOSED: "tag-off"}


def staff_member(request: HttpRequest) -> User | None:
    """The logged-in member of staff; None when not logged in; 403 for other accounts."""
    return page_user(request, Audience.STAFF)


def _regulator(request: HttpRequest) -> User | None:
    return page_user(request, Audience.STAFF, MONITOR)


# --- alarm rows ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlarmRow:
    alarm: Alarm
    unit: str
    kind_tag: str
    state_tag: str
    pollutant_name: str
    # How far over the limit, in per cent (over-limit alarms).
    over_percent: int | None
    acknowledge_error: str = ""
    close_error: str = ""
    note: str = ""
    # What was typed into the acknowledge form, kept when it is refused.
    acknowledge_note: str = ""
    # An offline alarm whose point is still silent: how long, as of now.
    outage: str = ""


def _units(alarms: Sequence[Alarm]) -> dict[tuple[int, str], str]:
    rows = EmissionLimit.objects.filter(point_id__in={a.point_id for a in alarms}).values_list(
        "point_id", "pollutant", "unit"
    )
    return {(point_id, pollutant): unit for point_id, pollutant, unit in rows}


def _outage(alarm: Alarm, now: dt.datetime) -> str:
    """How long a still-silent point has been silent, for an open offline alarm."""
    if (
        alarm.kind != AlarmKind.OFFLINE
        or alarm.recovered_at is not None
        or alarm.state == AlarmState.CLOSED
    ):
        return ""
    minutes = max(int((now - silent_since(alarm)).total_seconds() // 60), 0)
    return _("已 %(m)d 分钟未上报数据") % {"m": minutes}


def alarm_rows(alarms: Sequence[Alarm], **errors: str) -> list[AlarmRow]:
    units = _units(alarms)
    now = timezone.now()
    rows = []
    for alarm in alarms:
        over = None
        if alarm.kind == AlarmKind.OVER_LIMIT and alarm.value is not None and alarm.limit:
            over = round((alarm.value - alarm.limit) / alarm.limit * 100)
        rows.append(
            AlarmRow(
                alarm=alarm,
                unit=units.get((alarm.point_id, alarm.pollutant), ""),
                kind_tag=KIND_TAGS.get(AlarmKind(alarm.kind), "tag-soon"),
                state_tag=STATE_TAGS.get(AlarmState(alarm.state), ""),
                pollutant_name=selectors.pollutant_name(alarm.pollutant) if alarm.pollutant else "",
                over_percent=over,
                outage=_outage(alarm, now),
                **errors,
            )
        )
    return rows


def _answer(request: HttpRequest, alarm: Alarm, done: str, **errors: str) -> HttpResponse:
    """The alarm's row for htmx (errors included: htmx swaps only successes), else a redirect."""
    if is_htmx(request):
        fresh = selectors.alarm_by_id(alarm.pk) or alarm
        (row,) = alarm_rows([fresh], **errors)
        context = {"row": row, "next_url": local_path(request, request.POST.get("next"))}
        return render(request, "regulation/monitoring.html#alarm_row", context)
    problem = next((text for key, text in errors.items() if key.endswith("error") and text), "")
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, done)
    # Without htmx the form returns to the page it was on, if it is ours.
    return redirect_back(request, "regulation:monitoring")


def _alarm(user: User, pk: int) -> Alarm:
    try:
        return access.access_alarm_by_id(user, pk)
    except ZhengtongError:
        raise Http404 from None


@require_POST
def acknowledge_alarm(request: HttpRequest, pk: int) -> HttpResponse:
    """The regulator has seen the alarm and deals with it (an optional note)."""
    user = _regulator(request)
    if user is None:
        return redirect_to_login(reverse("regulation:monitoring"))
    alarm = _alarm(user, pk)
    note = request.POST.get("note", "")
    try:
        do_acknowledge_alarm(alarm, actor=actor_of(user), note=note)
    except ZhengtongError as error:
        return _answer(
            request, alarm, "", acknowledge_error=str(error.message), acknowledge_note=note
        )
    return _answer(request, alarm, _("报警已确认。"))


@require_POST
def close_alarm(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the alarm with a note of what was found and done."""
    user = _regulator(request)
    if user is None:
        return redirect_to_login(reverse("regulation:monitoring"))
    alarm = _alarm(user, pk)
    note = request.POST.get("note", "")
    # The form offers the choice for over-limit and offline alarms; counted unless declined.
    counts_for_credit = request.POST.get("credit", "1") != "0"
    try:
        do_close_alarm(alarm, note, actor=actor_of(user), counts_for_credit=counts_for_credit)
    except ZhengtongError as error:
        return _answer(request, alarm, "", close_error=str(error.message), note=note)
    return _answer(request, alarm, _("报警已关闭。"))


# --- the 24-hour view ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    points: int
    online: int
    offline: int
    never: int
    open_alarms: int
    acknowledged_alarms: int
    over_limit_today: int


def _figures(summaries: Sequence[selectors.PointSummary]) -> Figures:
    def count(state: str) -> int:
        return sum(1 for s in summaries if s.state == state)

    return Figures(
        points=len(summaries),
        online=count(PointState.ONLINE),
        offline=count(PointState.OFFLINE),
        never=count(PointState.NEVER),
        open_alarms=sum(s.open_alarms for s in summaries),
        acknowledged_alarms=sum(s.acknowledged_alarms for s in summaries),
        over_limit_today=sum(s.over_limit_today for s in summaries),
    )


@require_safe
def monitoring(request: HttpRequest) -> HttpResponse:
    """The points in the regulator's scope, the alarms to handle and the refused packets."""
    user = _regulator(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    now = timezone.now()
    points = access.monitored_points(user)
    # Points that need attention first: open alarms, then silence.
    summaries = sorted(
        selectors.point_summaries(points, now),
        key=lambda s: (-s.open_alarms, s.state != PointState.OFFLINE),
    )
    context = {
        "summaries": summaries,
        "figures": _figures(summaries),
        "checked_at": now,
    }
    if is_htmx(request):
        # The points table refreshes itself every minute.
        return render(request, "regulation/monitoring.html#points", context)
    context.update(
        alarm_rows=alarm_rows(selectors.alarms_to_handle(points)),
        refused=selectors.refused_since(points, now - WINDOW),
        next_url=request.get_full_path(),
    )
    return render(request, "regulation/monitoring.html", context)


# --- one point and its charts ----------------------------------------------------------------

# The chart's drawing area, in the SVG's own units: it scales to the page width.
CHART_WIDTH = 360
CHART_HEIGHT = 180
PLOT_LEFT = 34
PLOT_RIGHT = CHART_WIDTH - 8
PLOT_TOP = 12
PLOT_BOTTOM = CHART_HEIGHT - 24
# More values than this are thinned to each slot's lowest and highest, so that
# a 30-second day (2,880 values) stays a light drawing and no peak is lost.
MAX_DRAWN = 480


@dataclass(frozen=True, slots=True)
class Tick:
    at: str  # the x or y coordinate
    label: str


@dataclass(frozen=True, slots=True)
class Mark:
    x: str
    y: str
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    pollutant: str
    name: str
    unit: str
    limit: float | None
    lines: list[str]
    dots: list[Mark]
    limit_y: str | None
    marks: list[Mark]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    count: int
    latest: Sample | None
    highest: float | None
    over: list[Sample] = field(default_factory=list)

    @property
    def over_count(self) -> int:
        return len(self.over)


def nice_ceiling(value: float) -> float:
    """Return the smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten)
    that is at least ``value``: the top of a chart's scale."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0):
        if step * power >= value * (1 - 1e-9):
            return step * power
    return 10.0 * power


def _coordinate(value: float) -> str:
    return f"{value:.1f}"


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def _label(sample: Sample) -> str:
    return f"{timezone.localtime(sample.at):%H:%M} {_number(sample.value)}"


def runs_of(samples: Sequence[Sample], gap: dt.timedelta) -> list[list[Sample]]:
    """Split the values where the point was silent longer than ``gap``."""
    runs: list[list[Sample]] = []
    for sample in samples:
        if runs and sample.at - runs[-1][-1].at <= gap:
            runs[-1].append(sample)
        else:
            runs.append([sample])
    return runs


def thinned(run: Sequence[Sample], since: dt.datetime, until: dt.datetime) -> list[Sample]:
    """Keep each time slot's lowest and highest value, in time order."""
    slots: dict[int, list[Sample]] = {}
    span = (until - since).total_seconds() or 1.0
    for sample in run:
        slot = int((sample.at - since).total_seconds() / span * (MAX_DRAWN // 2))
        slots.setdefault(slot, []).append(sample)
    kept: list[Sample] = []
    for slot in sorted(slots):
        group = slots[slot]
        low = min(group, key=lambda s: s.value)
        high = max(group, key=lambda s: s.value)
        kept.extend([low] if low is high else sorted((low, high), key=lambda s: s.at))
    return kept


def make_chart(
    pollutant: str,
    samples: Sequence[Sample],
    limit: EmissionLimit | None,
    since: dt.datetime,
    until: dt.datetime,
    gap: dt.timedelta,
) -> Chart:
    """Lay out one pollutant's line chart: values, the limit as a line, over-limit values marked."""
    upper = limit.upper if limit else None
    highest = max((s.value for s in samples), default=None)
    top = nice_ceiling(max(highest or 0.0, (upper or 0.0) * 1.25))
    span = (until - since).total_seconds() or 1.0

    def x_of(at: dt.datetime) -> float:
        share = min(max((at - since).total_seconds() / span, 0.0), 1.0)
        return PLOT_LEFT + share * (PLOT_RIGHT - PLOT_LEFT)

    def y_of(value: float) -> float:
        share = min(max(value / top, 0.0), 1.0)
        return PLOT_BOTTOM - share * (PLOT_BOTTOM - PLOT_TOP)

    # A silence longer than the point's offline allowance breaks the line.
    runs = runs_of(samples, gap)
    if len(samples) > MAX_DRAWN:
        runs = [thinned(run, since, until) for run in runs]
    lines = [
        " ".join(f"{_coordinate(x_of(s.at))},{_coordinate(y_of(s.value))}" for s in run)
        for run in runs
        if len(run) > 1
    ]
    # A value alone between silences has no line to be on: it is drawn as a dot.
    dots = [
        Mark(_coordinate(x_of(s.at)), _coordinate(y_of(s.value)), _label(s))
        for run in runs
        if len(run) == 1
        for s in run
    ]
    drawn = [sample for run in runs for sample in run]
    marks = [
        Mark(_coordinate(x_of(s.at)), _coordinate(y_of(s.value)), _label(s))
        for s in drawn
        if selectors.is_over(s, upper)
    ]
    x_ticks = []
    for hours in range(0, int(span // 3600) + 1, 6):
        at = since + dt.timedelta(hours=hours)
        x_ticks.append(Tick(_coordinate(x_of(at)), f"{timezone.localtime(at):%H:%M}"))
    y_ticks = [Tick(_coordinate(y_of(v)), _number(v)) for v in (0.0, top / 2, top)]
    return Chart(
        pollutant=pollutant,
        name=selectors.pollutant_name(pollutant),
        unit=limit.unit if limit else "",
        limit=upper,
        lines=lines,
        dots=dots,
        limit_y=_coordinate(y_of(upper)) if upper is not None else None,
        marks=marks,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        count=len(samples),
        latest=samples[-1] if samples else None,
        highest=highest,
        over=[s for s in samples if selectors.is_over(s, upper)],
    )


def charts_of(
    point: MonitoringPoint, since: dt.datetime, until: dt.datetime
) -> tuple[str, list[Chart]]:
    """Return the command charted and a chart per pollutant: limited ones first, flow last."""
    command, found = selectors.series(point, since, until)
    limits = {limit.pollutant: limit for limit in selectors.limits_of(point)}
    codes = sorted(
        set(found) | set(limits),
        key=lambda code: (code in FLOW_CODES, code not in limits, code),
    )
    gap = selectors.offline_after(point)
    return command, [
        make_chart(code, found.get(code, []), limits.get(code), since, until, gap) for code in codes
    ]


@require_safe
def point_detail(request: HttpRequest, mn: str) -> HttpResponse:
    """One point: its limits, a chart per pollutant of the last 24 hours, its alarms."""
    user = _regulator(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        point = access.access_point_by_mn(user, mn)
    except ZhengtongError:
        raise Http404 from None
    now = timezone.now()
    since = now - WINDOW
    command, charts = charts_of(point, since, now)
    (summary,) = selectors.point_summaries(MonitoringPoint.objects.filter(pk=point.pk), now)
    alarms = list(
        selectors.alarms_of(MonitoringPoint.objects.filter(pk=point.pk), AlarmState.values)[
            :POINT_ALARMS
        ]
    )
    context = {
        "point": point,
        "summary": summary,
        "limits": [
            (limit, selectors.pollutant_name(limit.pollutant))
            for limit in selectors.limits_of(point)
        ],
        "charts": charts,
        "real_time": command == selectors.REAL_TIME,
        "since": since,
        "until": now,
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "plot": {
            "left": PLOT_LEFT,
            "right": PLOT_RIGHT,
            "top": PLOT_TOP,
            "bottom": PLOT_BOTTOM,
            "label_x": PLOT_LEFT - 5,
            "label_y": CHART_HEIGHT - 7,
            "limit_x": PLOT_LEFT + 4,
        },
        "alarm_rows": alarm_rows(alarms),
        "refused": [
            (
                packet,
                selectors.refusal_reason(packet.code),
                selectors.refusal_detail(packet.code, packet.detail, packet.detail_message),
            )
            for packet in selectors.refused_of_point(point, since)
        ],
        "commands": selectors.commands_of_point(point),
        "next_url": request.get_full_path(),
    }
    return render(request, "regulation/point.html", context)
