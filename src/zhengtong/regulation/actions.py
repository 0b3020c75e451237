"""State changes of online monitoring: points, limits and alarms."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.i18n import message_of, stored_label, stored_text
from zhengtong.core.models import Enterprise, Region
from zhengtong.ledger.actions import record_entry
from zhengtong.regulation import receiver
from zhengtong.regulation.credit_actions import add_credit_record
from zhengtong.regulation.hj212 import SYSTEM_CODE
from zhengtong.regulation.ingest import JUDGED_FLAGS, judge_open_readings
from zhengtong.regulation.models import (
    Alarm,
    AlarmKind,
    AlarmState,
    CreditKind,
    Edition,
    EmissionLimit,
    MonitoringPoint,
    Reading,
)
from zhengtong.regulation.texts import refuse_control_characters, visible_text

_MN = re.compile(r"[0-9A-Za-z_-]{1,32}")
_PW = re.compile(r"[^\s;,=&]{1,16}")
_POLLUTANT = re.compile(r"[A-Za-z0-9]{2,16}")
# Far above any limit in force (concentrations, pH, flows in m³/h); a larger
# number, or infinity, is a typing error that would silence every alarm of
# the pollutant and cannot be drawn on the point's chart or written as JSON.
MAX_EMISSION_LIMIT = 1e12


def do_register_point(
    enterprise: Enterprise,
    mn: str,
    name: str,
    password: str,
    *,
    actor: Actor,
    region: Region | None = None,
    system_code: str = "31",
    interval_s: int = 30,
    crc_compat: bool = False,
    edition: str = Edition.HJ212_2017,
) -> MonitoringPoint:
    """Register a monitoring point whose collector reports under ``mn`` with ``password``."""
    # The MN is copied from the collector's label or a spreadsheet, often in
    # full width or with a trailing space: stored as the ASCII the collector
    # sends, or its packets would never find the point.
    mn = unicodedata.normalize("NFKC", mn).strip()
    if not _MN.fullmatch(mn):
        raise InvalidInput(_("设备唯一标识 MN 应为 1 至 32 位字母或数字。"), code="invalid_mn")
    if not _PW.fullmatch(password):
        raise InvalidInput(_("访问密码 PW 应为 1 至 16 位，不含分隔符。"), code="invalid_pw")
    name = visible_text(name)
    if not name:
        raise InvalidInput(_("请填写监测点名称。"), code="name_required")
    refuse_control_characters(name, "name")
    # The ST the point's packets carry (the simulator builds them with it):
    # one the parser refuses would have every packet refused as bad_st.
    system_code = unicodedata.normalize("NFKC", system_code).strip().upper()
    if not SYSTEM_CODE.fullmatch(system_code):
        raise InvalidInput(
            _("系统编码 ST 应为 2 位数字或大写字母，如 31。"),
            code="invalid_system_code",
            detail={"fields": {"system_code": "invalid"}},
        )
    if edition not in Edition.values:
        raise InvalidInput(_("标准版本无效。"), code="invalid_edition")
    if not 1 <= interval_s <= 86400:
        raise InvalidInput(_("上报间隔应在 1 秒至 1 天之间。"), code="invalid_interval")
    salt = secrets.token_hex(8)
    with transaction.atomic(durable=True):
        if MonitoringPoint.objects.filter(mn=mn).exists():
            raise Conflict(_("该 MN 已登记。"), code="mn_taken")
        point = MonitoringPoint.objects.create(
            mn=mn,
            name=name[:100],
            enterprise=enterprise,
            region=region or enterprise.region,
            system_code=system_code,
            password_salt=salt,
            password_hash=receiver.password_digest(salt, password),
            crc_compat=crc_compat,
            edition=edition,
            interval_s=interval_s,
        )
        record_entry(
            actor=actor,
            action="regulation.register_point",
            subject_type="regulation.point",
            subject_id=mn,
            data={
                "enterprise": enterprise.credit_code,
                "crc_compat": crc_compat,
                "edition": edition,
            },
        )
    return point


def do_set_emission_limit(
    point: MonitoringPoint, pollutant: str, upper: float, *, actor: Actor, unit: str = ""
) -> EmissionLimit:
    """Set a pollutant's emission limit at a point."""
    if not _POLLUTANT.fullmatch(pollutant):
        raise InvalidInput(_("污染因子编码无效。"), code="invalid_pollutant")
    if not upper > 0:
        raise InvalidInput(_("排放限值应大于零。"), code="invalid_limit")
    if upper > MAX_EMISSION_LIMIT:
        raise InvalidInput(
            _("排放限值不能超过 %(max)s。") % {"max": f"{MAX_EMISSION_LIMIT:,.0f}"},
            code="invalid_limit",
        )
    with transaction.atomic(durable=True):
        limit, _created = EmissionLimit.objects.update_or_create(
            point=point, pollutant=pollutant, defaults={"upper": upper, "unit": unit[:16]}
        )
        record_entry(
            actor=actor,
            action="regulation.set_emission_limit",
            subject_type="regulation.point",
            subject_id=point.mn,
            data={"pollutant": pollutant, "upper": upper, "unit": unit},
        )
    return limit


# --- alarms --------------------------------------------------------------------------------


# A point is offline when silent this many intervals (and at least OFFLINE_MINIMUM).
OFFLINE_INTERVALS = 3
OFFLINE_MINIMUM = dt.timedelta(minutes=5)
# Suspicious data looks at each pollutant's latest real-time values.
RECENT_VALUES = 12
REPEATED_SHARE = 0.8
# Credit-record texts stored by earlier releases: records made with them still
# read them back through their message, so their translations are kept.
STORED_EARLIER = (
    gettext_noop("%(point)s 在线监测数据中断，%(start)s 报警，%(end)s 恢复上报"),
    gettext_noop("%(point)s 在线监测数据中断：%(detail)s"),
)
# The longest note a regulator may write on an alarm (the column is unbounded;
# the forms say so too).
MAX_ALARM_NOTE = 2000


def _open_alarm(
    point_id: int,
    kind: str,
    now: dt.datetime,
    *,
    pollutant: str = "",
    detail: str = "",
    value: float | None = None,
    first_at: dt.datetime | None = None,
) -> bool:
    """Open an alarm unless one of the kind is open for the point and pollutant.

    An offline alarm whose point has reported since (``recovered_at``) is an
    episode over, waiting for the regulator: a new outage is a new alarm.
    """
    if Alarm.objects.filter(
        point_id=point_id,
        kind=kind,
        pollutant=pollutant,
        state__in=(AlarmState.OPEN, AlarmState.ACKNOWLEDGED),
        recovered_at__isnull=True,
    ).exists():
        return False
    Alarm.objects.create(
        point_id=point_id,
        kind=kind,
        pollutant=pollutant,
        detail=detail[:200],
        detail_message=message_of(detail),
        value=value,
        first_at=first_at or now,
        last_at=now,
    )
    return True


def do_check_offline_points(*, actor: Actor, now: dt.datetime | None = None) -> list[str]:
    """Open an offline alarm for each active point silent well past its interval."""
    now = now or timezone.now()
    silent = []
    for point in MonitoringPoint.objects.filter(is_active=True).only(
        "pk", "mn", "interval_s", "last_seen_at"
    ):
        allowed = max(dt.timedelta(seconds=point.interval_s * OFFLINE_INTERVALS), OFFLINE_MINIMUM)
        if point.last_seen_at is not None and now - point.last_seen_at > allowed:
            silent.append(point)
    if not silent:
        return []
    opened = []
    with transaction.atomic(durable=True):
        for point in silent:
            assert point.last_seen_at is not None
            # The outage began with the last report, not when a check noticed
            # it: the alarm starts there, and its detail says so in words that
            # stay true however long the silence lasts. How long it has lasted
            # is worked out whenever it is shown or closed.
            detail = stored_text(
                gettext_noop("%(since)s 起未上报数据"), since=_local_minute(point.last_seen_at)
            )
            if _open_alarm(
                point.pk, AlarmKind.OFFLINE, now, detail=detail, first_at=point.last_seen_at
            ):
                opened.append(point.mn)
        if opened:
            record_entry(
                actor=actor,
                action="regulation.offline_alarms",
                subject_type="regulation.alarm",
                subject_id=now.isoformat(timespec="seconds"),
                data={"points": opened},
            )
    return opened


def do_judge_open_readings(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Judge the readings split uploads left open past the split timeout; return how many.

    Their next piece never came, and the receiver process that opened them
    has ended or forgotten them (it judges its own at its first batch after
    the timeout): each is judged against its limit as it stands, once,
    whichever of the task and the receivers claims it first.
    """
    now = now or timezone.now()
    # Read at each run, as the receiver reads it.
    opened_before = now - dt.timedelta(seconds=receiver.SPLIT_TIMEOUT_S)
    with transaction.atomic(durable=True):
        judged, worst, opened = judge_open_readings(opened_before)
        if worst:
            record_entry(
                actor=actor,
                action="regulation.judge_open_readings",
                subject_type="regulation.alarm",
                subject_id=now.isoformat(timespec="seconds"),
                data={
                    "readings": judged,
                    "over_limit": [f"{point_id}:{pollutant}" for point_id, pollutant in worst],
                    "alarms_opened": opened,
                },
            )
    return judged


def _suspicion(values: list[float], operating: bool) -> str:
    """Say what is wrong with a pollutant's latest values, newest first, or ''."""
    if len(values) < RECENT_VALUES:
        return ""
    if operating and all(v == 0 for v in values):
        return stored_text(gettext_noop("排放设施运行时数据持续为零"))
    if len(set(values)) == 1:
        return stored_text(gettext_noop("数据长时间不变（恒值）"))
    most = max(values.count(v) for v in set(values))
    if most / len(values) >= REPEATED_SHARE:
        return stored_text(gettext_noop("数据大量重复"))
    return ""


def do_check_suspicious_data(*, actor: Actor, now: dt.datetime | None = None) -> list[str]:
    """Flag flat lines, repeated values and zeros while operating in the latest real-time data."""
    now = now or timezone.now()
    since = now - dt.timedelta(hours=6)
    found: list[tuple[int, str, str]] = []
    for point in MonitoringPoint.objects.filter(is_active=True, last_seen_at__gte=since).only("pk"):
        latest: dict[str, list[float]] = {}
        flow_positive = False
        rows = (
            # Only measured emissions: a value held during maintenance or read off the
            # span gas during calibration is constant by design, and flagged so.
            Reading.objects.filter(
                point=point,
                command="2011",
                received_at__gte=since,
                flag__in=JUDGED_FLAGS,
                rtd__isnull=False,
            )
            # Each pollutant's own latest values: a cap on the point's rows
            # would leave every pollutant short of RECENT_VALUES on a device
            # that reports more than a dozen, and nothing would be checked.
            .annotate(
                recency=Window(
                    RowNumber(), partition_by=[F("pollutant")], order_by=F("data_time").desc()
                )
            )
            .filter(recency__lte=RECENT_VALUES)
            .order_by("pollutant", "-data_time")
            .values_list("pollutant", "rtd")
        )
        for pollutant, rtd in rows:
            if rtd is None:  # excluded above; says so to the type checker
                continue
            if pollutant in ("a00000", "w00000"):
                flow_positive = flow_positive or rtd > 0
                continue
            values = latest.setdefault(pollutant, [])
            if len(values) < RECENT_VALUES:
                values.append(rtd)
        for pollutant, values in latest.items():
            detail = _suspicion(values, flow_positive)
            if detail:
                found.append((point.pk, pollutant, detail))
    if not found:
        return []
    opened = []
    with transaction.atomic(durable=True):
        for point_id, pollutant, detail in found:
            if _open_alarm(point_id, AlarmKind.SUSPICIOUS, now, pollutant=pollutant, detail=detail):
                opened.append(f"{point_id}:{pollutant}")
        if opened:
            record_entry(
                actor=actor,
                action="regulation.suspicious_data",
                subject_type="regulation.alarm",
                subject_id=now.isoformat(timespec="seconds"),
                data={"alarms": opened},
            )
    return opened


def _refuse_long_note(note: str) -> None:
    if len(note) > MAX_ALARM_NOTE:
        raise InvalidInput(
            _("处理说明不能超过 %(n)d 个字。") % {"n": MAX_ALARM_NOTE},
            code="note_too_long",
            detail={"fields": {"note": "too_long"}, "max_length": MAX_ALARM_NOTE},
        )


def do_acknowledge_alarm(alarm: Alarm, *, actor: Actor, note: str = "") -> Alarm:
    """A regulator has seen the alarm and is dealing with it."""
    note = visible_text(note)
    _refuse_long_note(note)
    refuse_control_characters(note, "note")
    now = timezone.now()
    with transaction.atomic(durable=True):
        locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
        if locked.state != AlarmState.OPEN:
            raise Conflict(_("只有未处理的报警可以确认。"), code="alarm_not_open")
        locked.state = AlarmState.ACKNOWLEDGED
        locked.acknowledged_by = actor.label[:64]
        locked.acknowledged_at = now
        if note:
            locked.note = note
        locked.save()
        record_entry(
            actor=actor,
            action="regulation.acknowledge_alarm",
            subject_type="regulation.alarm",
            subject_id=locked.pk,
            data={"kind": locked.kind, "point": locked.point_id},
        )
    return locked


# The alarm kinds that are facts on the enterprise's credit file once a regulator confirms them.
CREDIT_KIND_OF_ALARM = {
    AlarmKind.OVER_LIMIT: CreditKind.OVER_LIMIT_ALARM,
    AlarmKind.OFFLINE: CreditKind.OFFLINE_ALARM,
}


def do_close_alarm(
    alarm: Alarm, note: str, *, actor: Actor, counts_for_credit: bool = True
) -> Alarm:
    """Close an alarm with a note of what was found and done.

    A confirmed over-limit or offline alarm goes on the enterprise's credit
    file as one record (one episode, however many readings it spans), dated
    the day it began (today at the latest). The regulator leaves it off
    (``counts_for_credit`` False) when the note shows the enterprise is not at
    fault, e.g. a fault of the monitoring device reported in time or a
    shutdown for maintenance.
    """
    note = visible_text(note)
    if not note:
        raise InvalidInput(
            _("请填写处理说明。"), code="note_required", detail={"fields": {"note": "required"}}
        )
    _refuse_long_note(note)
    refuse_control_characters(note, "note")
    now = timezone.now()
    with transaction.atomic(durable=True):
        # Lock the alarm only: the receiver updates the point's row all the time.
        locked = (
            Alarm.objects.select_for_update(of=("self",))
            .select_related("point__enterprise")
            .get(pk=alarm.pk)
        )
        if locked.state == AlarmState.CLOSED:
            raise Conflict(_("该报警已关闭。"), code="alarm_closed")
        locked.state = AlarmState.CLOSED
        locked.closed_by = actor.label[:64]
        locked.closed_at = now
        locked.note = note
        locked.save()
        record = None
        credit_kind = CREDIT_KIND_OF_ALARM.get(AlarmKind(locked.kind))
        if credit_kind is not None and counts_for_credit:
            record = add_credit_record(
                locked.point.enterprise,
                credit_kind,
                # A device whose clock runs ahead dates its values, and so the
                # alarm, after today; the exceedance took place by today.
                min(timezone.localtime(locked.first_at).date(), timezone.localdate(now)),
                _alarm_credit_text(locked, now),
                recorded_by=actor.label,
                source_ref=f"alarm:{locked.pk}",
            )
        record_entry(
            actor=actor,
            action="regulation.close_alarm",
            subject_type="regulation.alarm",
            subject_id=locked.pk,
            data={
                "kind": locked.kind,
                "point": locked.point_id,
                "credit_record": record.pk if record else None,
            },
        )
    return locked


def _local_minute(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def silent_since(alarm: Alarm) -> dt.datetime:
    """When the outage of an offline alarm began: the point's last report before it.

    Alarms opened before the start was the last report began when a check
    noticed the silence; while the point is still silent its last report
    says when the silence really began.
    """
    last_seen = alarm.point.last_seen_at
    if alarm.recovered_at is None and last_seen is not None:
        return min(last_seen, alarm.first_at)
    return alarm.first_at


def _pollutant_text(code: str) -> str:
    """The pollutant's name, kept with its message so it shows in the reader's language."""
    # Imported here: selectors reads this module's offline allowance.
    from zhengtong.regulation.selectors import POLLUTANT_NAMES

    name = POLLUTANT_NAMES.get(code)
    return stored_label(name) if name is not None else code


def _alarm_credit_text(alarm: Alarm, now: dt.datetime) -> str:
    point = alarm.point
    if alarm.kind == AlarmKind.OVER_LIMIT:
        unit = (
            EmissionLimit.objects.filter(point=point, pollutant=alarm.pollutant)
            .values_list("unit", flat=True)
            .first()
            or ""
        )

        def amount(number: float | None) -> str:
            if number is None:
                return "—"
            return f"{number:g} {unit}" if unit else f"{number:g}"

        return stored_text(
            gettext_noop("%(point)s %(pollutant)s 超标排放（最高 %(value)s，限值 %(limit)s）"),
            point=point.name,
            pollutant=_pollutant_text(alarm.pollutant),
            value=amount(alarm.value),
            limit=amount(alarm.limit),
        )
    if alarm.recovered_at is not None:
        return stored_text(
            gettext_noop("%(point)s 在线监测数据中断，%(start)s 起未上报数据，%(end)s 恢复上报"),
            point=point.name,
            start=_local_minute(alarm.first_at),
            end=_local_minute(alarm.recovered_at),
        )
    # Still silent when closed: the outage as it stands at closing.
    start = silent_since(alarm)
    return stored_text(
        gettext_noop(
            "%(point)s 在线监测数据中断，%(start)s 起未上报数据，至 %(end)s 已 %(m)d 分钟"
        ),
        point=point.name,
        start=_local_minute(start),
        end=_local_minute(now),
        m=int((now - start).total_seconds() // 60),
    )
