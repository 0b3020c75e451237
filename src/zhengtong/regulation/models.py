"""Online monitoring (HJ 212): monitoring points, emission limits, readings, refused packets."""

from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.i18n import shown_text
from zhengtong.core.models import Department, Enterprise, Region
from zhengtong.core.punctuation import with_note


class Edition(models.TextChoices):
    HJ212_2017 = "2017", _("HJ 212-2017")
    HJ212_2025 = "2025", _("HJ 212-2025")


class MonitoringPoint(models.Model):
    """A monitoring point (排放口) whose data collector reports by HJ 212 under its MN."""

    mn = models.CharField(_("设备唯一标识 MN"), max_length=32, unique=True)
    name = models.CharField(_("监测点名称"), max_length=100)
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="monitoring_points"
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    system_code = models.CharField(_("系统编码 ST"), max_length=2, default="31")
    # SHA-256 of a per-point salt and the PW: the password travels in clear in
    # every packet, but a copy of this table does not give it away.
    password_salt = models.CharField(max_length=32)
    password_hash = models.CharField(max_length=64)
    # The CRC variants accepted from this device: the standard's, and, only
    # when switched on for a device known to need it, swapped CRC-16/MODBUS.
    crc_compat = models.BooleanField(_("兼容 CRC-16/MODBUS（字节交换）"), default=False)
    edition = models.CharField(
        _("标准版本"), max_length=4, choices=Edition.choices, default=Edition.HJ212_2017
    )
    # How often the device reports real-time data; silence well past it is an offline alarm.
    interval_s = models.PositiveIntegerField(_("实时数据间隔（秒）"), default=30)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    last_seen_at = models.DateTimeField(_("最近上报"), null=True, blank=True)
    packets = models.PositiveBigIntegerField(_("有效数据包"), default=0)
    bad_packets = models.PositiveBigIntegerField(_("被拒数据包"), default=0)

    class Meta:
        ordering = ["mn"]
        verbose_name = _("监测点")
        verbose_name_plural = _("监测点")

    def __str__(self) -> str:
        return with_note(self.name, self.mn)


class EmissionLimit(models.Model):
    """The emission limit of one pollutant at one point (e.g. a21026 SO2 ≤ 35 mg/m³)."""

    point = models.ForeignKey(MonitoringPoint, on_delete=models.CASCADE, related_name="limits")
    pollutant = models.CharField(_("污染因子编码"), max_length=16)
    upper = models.FloatField(_("排放限值"))
    unit = models.CharField(_("单位"), max_length=16, blank=True)

    class Meta:
        ordering = ["point_id", "pollutant"]
        constraints = [
            models.UniqueConstraint(fields=["point", "pollutant"], name="unique_emission_limit")
        ]
        verbose_name = _("排放限值")
        verbose_name_plural = _("排放限值")

    def __str__(self) -> str:
        return f"{self.pollutant} ≤ {self.upper}"


class Reading(models.Model):
    """One pollutant's values at one point for one time and kind of data.

    ``command`` is the upload's CN: 2011 real-time, 2051 minute, 2061 hourly,
    2031 daily. A device resends a packet it got no answer for, so the row is
    unique per point, pollutant, command and time and a resend stores nothing.
    """

    # Keyed by what makes a reading unique, with no id: the receiver writes
    # every index on each of its many inserts, and a second one (an id's)
    # cost PostgreSQL nearly half as much again per row (7.9 against 5.4 µs,
    # measured) and its space on the largest table of the platform.
    pk = models.CompositePrimaryKey("point", "pollutant", "command", "data_time")
    # No index of its own: the key's index starts with the point. No
    # foreign-key constraint in the database either: PostgreSQL checks one per
    # row inserted (3.2 µs of its 7.4 µs a reading, measured), and the receiver
    # writes point ids it read from the registry. Nothing deletes a point (one
    # leaves service with is_active off), and readings are evidence: deleting
    # a point that has any is refused (PROTECT, checked by Django).
    point = models.ForeignKey(
        MonitoringPoint,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    pollutant = models.CharField(max_length=16)
    command = models.CharField(max_length=4)
    data_time = models.DateTimeField()
    rtd = models.FloatField(null=True)
    avg = models.FloatField(null=True)
    min = models.FloatField(null=True)
    max = models.FloatField(null=True)
    cou = models.FloatField(null=True)
    zs = models.FloatField(null=True)  # the converted (折算) value of the same kind
    # Data flag of table 8: N normal, F stopped, M maintenance, S set by hand,
    # D fault, C calibration, T over range, B communication error.
    flag = models.CharField(max_length=1, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("监测数据")
        verbose_name_plural = _("监测数据")

    def __str__(self) -> str:
        return f"{self.point_id} {self.pollutant} {self.command} {self.data_time:%Y-%m-%d %H:%M:%S}"


class OpenReading(models.Model):
    """A stored reading that a piece of a split upload left open, until it is judged.

    A reading ending a piece other than the last without a data flag may go
    on in the next piece, so it is judged against its limit only when that
    piece comes, to whichever receiver process, or as it stands after the
    split timeout. Kept in the database, in the transaction that stored the
    reading, so that a restart or another process loses none: whoever
    deletes the row judges the reading, and only they (alarms count values).
    """

    point = models.ForeignKey(
        MonitoringPoint, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    pollutant = models.CharField(max_length=16)
    command = models.CharField(max_length=4)
    data_time = models.DateTimeField()
    # The PNO of the piece it ends: the piece after it, same point, command
    # and DataTime (each piece may have a QN of its own), closes it.
    piece_number = models.PositiveIntegerField()
    opened_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One per reading; its index, led by the point, serves every look-up.
            models.UniqueConstraint(
                fields=["point", "pollutant", "command", "data_time"], name="unique_open_reading"
            )
        ]
        verbose_name = _("待判定的分包监测数据")
        verbose_name_plural = _("待判定的分包监测数据")

    def __str__(self) -> str:
        return f"{self.point_id} {self.pollutant} {self.command} {self.data_time:%Y-%m-%d %H:%M:%S}"


class RefusedPacket(models.Model):
    """A packet refused by the receiver, with the reason (kept for the device's operator)."""

    point = models.ForeignKey(
        MonitoringPoint, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    mn = models.CharField(max_length=32, blank=True)
    code = models.CharField(max_length=32)
    detail = models.CharField(max_length=300)
    # What the detail was made from, to show it in the reader's language;
    # None for a detail stored as plain text (the rows stored before).
    detail_message = models.JSONField(null=True, blank=True, editable=False)
    peer = models.CharField(max_length=64, blank=True)
    head = models.CharField(max_length=120, blank=True)  # the packet's first bytes, escaped
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("拒收的数据包")
        verbose_name_plural = _("拒收的数据包")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["point", "received_at"], name="refused_packet_point_idx")]

    def __str__(self) -> str:
        return f"{self.mn} {self.code}"


class CommandState(models.TextChoices):
    SENT = "sent", _("已发送，设备未应答")
    ACCEPTED = "accepted", _("设备已接受，待执行结果")
    EXECUTED = "executed", _("已执行")
    FAILED = "failed", _("执行失败")


class DeviceCommand(models.Model):
    """A command the platform sent a device (1012 setting its time), with the device's answers.

    The device answers with the command's QN: 9011 says whether it takes the
    command (QnRtn, table 7: 1 it will), 9012 how it went (ExeRtn, table 6:
    1 success). Both codes are kept as sent, for the regulator and the
    device's operator.
    """

    point = models.ForeignKey(MonitoringPoint, on_delete=models.CASCADE, related_name="commands")
    qn = models.CharField(_("请求编码 QN"), max_length=20)
    cn = models.CharField(_("命令编码 CN"), max_length=4)
    # The command's data area as sent, e.g. ``PolId=w01018;SystemTime=20260301090000``.
    parameters = models.CharField(_("命令参数"), max_length=200, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=CommandState.choices, default=CommandState.SENT
    )
    qn_rtn = models.CharField(_("请求应答 QnRtn"), max_length=8, blank=True)
    exe_rtn = models.CharField(_("执行结果 ExeRtn"), max_length=8, blank=True)
    sent_at = models.DateTimeField(_("发送时间"))
    answered_at = models.DateTimeField(_("请求应答时间"), null=True, blank=True)
    executed_at = models.DateTimeField(_("执行结果时间"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["point", "qn"], name="unique_device_command_qn")
        ]
        verbose_name = _("设备命令")
        verbose_name_plural = _("设备命令")

    def __str__(self) -> str:
        return f"{self.point_id} {self.cn} {self.qn} {self.state}"


class AlarmKind(models.TextChoices):
    OVER_LIMIT = "over_limit", _("超标")
    OFFLINE = "offline", _("离线")
    SUSPICIOUS = "suspicious", _("数据异常")


class AlarmState(models.TextChoices):
    OPEN = "open", _("未处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    CLOSED = "closed", _("已关闭")


class Alarm(models.Model):
    """An over-limit, offline or suspicious-data alarm of a point, open until closed."""

    point = models.ForeignKey(MonitoringPoint, on_delete=models.CASCADE, related_name="alarms")
    pollutant = models.CharField(_("污染因子"), max_length=16, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=AlarmKind.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=AlarmState.choices, default=AlarmState.OPEN
    )
    # What set it off: the highest value and the limit, or what looked wrong.
    value = models.FloatField(_("监测值"), null=True, blank=True)
    limit = models.FloatField(_("限值"), null=True, blank=True)
    detail = models.CharField(_("说明"), max_length=200, blank=True)
    # What the detail was made from, to show it in the reader's language.
    detail_message = models.JSONField(null=True, blank=True, editable=False)
    count = models.PositiveIntegerField(_("次数"), default=1)
    first_at = models.DateTimeField(_("开始时间"))
    last_at = models.DateTimeField(_("最近时间"))
    acknowledged_by = models.CharField(max_length=64, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=64, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("处理说明"), blank=True)
    # An offline alarm: when the point reported again. The alarm stays open
    # for the regulator; a later outage opens an alarm of its own.
    recovered_at = models.DateTimeField(_("恢复上报时间"), null=True, blank=True)

    class Meta:
        ordering = ["-last_at", "-pk"]
        indexes = [models.Index(fields=["state", "point"], name="alarm_state_point_idx")]
        verbose_name = _("报警")
        verbose_name_plural = _("报警")

    def __str__(self) -> str:
        return f"{self.point_id} {self.kind} {self.pollutant}"

    @property
    def shown_detail(self) -> str:
        """The detail in the reader's language."""
        return shown_text(self.detail, self.detail_message)


# --- Credit (信用) ----------------------------------------------------------------------------


class CreditKind(models.TextChoices):
    """The kinds of credit record; the values are ``credit_scorecard``'s kinds."""

    PENALTY = "penalty", _("行政处罚")
    INSPECTION = "inspection", _("监督检查")
    COMPLAINT_UPHELD = "complaint_upheld", _("查实的投诉")
    OVER_LIMIT_ALARM = "over_limit_alarm", _("在线监测超标报警")
    OFFLINE_ALARM = "offline_alarm", _("在线监测离线报警")
    COMMENDATION = "commendation", _("表彰奖励")
    SERIOUS_DISHONESTY = "serious_dishonesty", _("列入严重失信主体名单")


class CreditRecord(models.Model):
    """One fact on an enterprise's credit file (信用记录), graded by the active scorecard.

    ``source_ref`` names where the fact comes from (a penalty decision's
    number, ``inspection:<id>``, ``alarm:<id>``, ``hotline:<case>``); records
    written automatically are unique per enterprise and source, so a check that
    runs twice does not count a fact twice.
    """

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="credit_records"
    )
    kind = models.CharField(_("类型"), max_length=24, choices=CreditKind.choices)
    severity = models.CharField(_("情节"), max_length=16, blank=True)
    occurred_on = models.DateField(_("发生日期"))
    count = models.PositiveIntegerField(_("次数"), default=1)
    description = models.CharField(_("内容"), max_length=500)
    # What a description the platform wrote was made from, to show it in the reader's language.
    description_message = models.JSONField(null=True, blank=True, editable=False)
    authority = models.CharField(_("认定部门"), max_length=128, blank=True)
    source_ref = models.CharField(_("来源"), max_length=128, blank=True)
    # Set when credit repair (信用修复) is granted for the record, or, for a
    # listing, when the enterprise is removed from the list.
    repaired_at = models.DateTimeField(_("修复时间"), null=True, blank=True)
    recorded_by = models.CharField(max_length=64, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"))
    # The key of the request that recorded it (core.idempotency.caller_key):
    # an API client's Idempotency-Key or the page form's one-time key, made one
    # with the caller's account. A retry or a double click finds the record the
    # first sending made instead of making a second one, which would lower the
    # grade twice. Empty for records written otherwise.
    request_key = models.CharField(max_length=32, blank=True, default="", editable=False)
    # What that first sending asked for: a retry under the key must ask for the same.
    request_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="unique_credit_record_source",
            ),
            # Two sendings at once both find no record under the key: the
            # database lets one in, and the other answers with it.
            models.UniqueConstraint(
                fields=["request_key"],
                condition=~models.Q(request_key=""),
                name="credit_record_request_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "occurred_on"], name="credit_record_ent_idx")]
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.kind} {self.occurred_on}"

    @property
    def shown_description(self) -> str:
        """The description in the reader's language (one staff typed stays as typed)."""
        return shown_text(self.description, self.description_message)

    @property
    def source_label(self) -> str:
        """Where the fact comes from, as people read it; ``source_ref`` is the key."""
        kind, separator, ref = self.source_ref.partition(":")
        label = _SOURCE_LABELS.get(kind) if separator else None
        if label is None:
            return self.source_ref
        # Some keys hold a row's database id, which means nothing to a reader
        # (nor is it public): the label names the row's public reference,
        # looked up as it is shown, so records written before read the same.
        if kind in _PUBLIC_REFERENCES and ref.isdigit():
            found = _PUBLIC_REFERENCES[kind](int(ref))
            if found is not None:
                return found
            # The row is gone: the key is all there is left to show.
        return str(label % {"ref": ref})


def _inspection_reference(pk: int) -> str | None:
    code = Inspection.objects.filter(pk=pk).values_list("task__code", flat=True).first()
    return None if code is None else str(_("双随机抽查任务 %(ref)s") % {"ref": code})


def _listing_reference(pk: int) -> str | None:
    listed_on = DishonestyListing.objects.filter(pk=pk).values_list("listed_on", flat=True).first()
    if listed_on is None:
        return None
    return str(_("严重失信主体名单认定（%(date)s 列入）") % {"date": listed_on.isoformat()})


def _alarm_reference(pk: int) -> str | None:
    alarm = Alarm.objects.filter(pk=pk).select_related("point").only("first_at", "point__name")
    found = alarm.first()
    if found is None:
        return None
    return str(
        _("在线监测报警（%(point)s，%(at)s）")
        % {
            "point": found.point.name,
            "at": timezone.localtime(found.first_at).strftime("%Y-%m-%d %H:%M"),
        }
    )


# The records the platform writes by itself carry "<where>:<key>" as their key.
_SOURCE_LABELS = {
    "hotline": _("12345工单 %(ref)s"),
    "inspection": _("双随机抽查任务 %(ref)s"),
    "alarm": _("在线监测报警 %(ref)s"),
    "listing": _("名单认定 %(ref)s"),
    "demo": _("演示数据"),
}
# The keys that hold a database id, and how to find the public reference of its row.
_PUBLIC_REFERENCES: dict[str, Callable[[int], str | None]] = {
    "inspection": _inspection_reference,
    "listing": _listing_reference,
    "alarm": _alarm_reference,
}


class ScorecardVersion(models.Model):
    """A version of the credit scorecard (``credit_scorecard.Scorecard`` as JSON); one is active."""

    number = models.PositiveIntegerField(_("版本号"), unique=True)
    config = models.JSONField(_("评分规则"))
    note = models.CharField(_("修订说明"), max_length=300, blank=True)
    is_active = models.BooleanField(_("在用"), default=False)
    created_by = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_scorecard",
            )
        ]
        verbose_name = _("信用评分规则")
        verbose_name_plural = _("信用评分规则")

    def __str__(self) -> str:
        return f"v{self.number}"


class CreditStanding(models.Model):
    """An enterprise's current score and grade, kept so lists and draws need not regrade."""

    enterprise = models.OneToOneField(
        Enterprise, on_delete=models.CASCADE, related_name="credit_standing"
    )
    score = models.IntegerField(_("信用分"))
    grade = models.CharField(_("信用等级"), max_length=1)
    listed = models.BooleanField(_("严重失信"), default=False)
    as_of = models.DateField(_("评定日期"))
    scorecard = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="+")
    graded_at = models.DateTimeField()

    class Meta:
        ordering = ["enterprise_id"]
        indexes = [models.Index(fields=["grade"], name="credit_standing_grade_idx")]
        verbose_name = _("信用等级")
        verbose_name_plural = _("信用等级")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.grade} {self.score}"


class RepairState(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    GRANTED = "granted", _("已修复")
    REFUSED = "refused", _("不予修复")
    WITHDRAWN = "withdrawn", _("已撤回")


class CreditRepair(models.Model):
    """An enterprise's request to repair one credit record (信用修复), decided by the regulator."""

    record = models.ForeignKey(CreditRecord, on_delete=models.PROTECT, related_name="repairs")
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="credit_repairs"
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=RepairState.choices, default=RepairState.SUBMITTED
    )
    # What the enterprise has done about it (整改情况) and its promise (信用承诺).
    rectification = models.TextField(_("整改情况"))
    commitment = models.TextField(_("信用承诺"))
    submitted_by = models.CharField(max_length=64)
    submitted_at = models.DateTimeField(_("申请时间"))
    decided_by = models.CharField(max_length=64, blank=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record"],
                condition=models.Q(state="submitted"),
                name="one_pending_repair_per_record",
            )
        ]
        verbose_name = _("信用修复申请")
        verbose_name_plural = _("信用修复申请")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.record_id} {self.state}"


class DishonestyListing(models.Model):
    """An enterprise on the serious-dishonesty list (严重失信主体名单), published via the exchange.

    ``published_at`` is when the exchange's copy last matched this listing
    (added, or withdrawn once ``removed_at`` is set); None means a publication
    is still owed, which the publishing task retries until it succeeds.
    """

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="dishonesty_listings"
    )
    record = models.OneToOneField(CreditRecord, on_delete=models.PROTECT, related_name="listing")
    reason = models.CharField(_("列入事由"), max_length=500)
    legal_basis = models.CharField(_("认定依据"), max_length=300)
    authority = models.CharField(_("认定部门"), max_length=128)
    listed_on = models.DateField(_("列入日期"))
    expires_on = models.DateField(_("有效期至"))
    listed_by = models.CharField(max_length=64)
    removed_at = models.DateTimeField(_("移出时间"), null=True, blank=True)
    removal_reason = models.CharField(_("移出原因"), max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-listed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(removed_at=None),
                name="one_current_listing",
            )
        ]
        verbose_name = _("严重失信主体名单")
        verbose_name_plural = _("严重失信主体名单")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.listed_on}"


# --- 双随机、一公开 ----------------------------------------------------------------------------


class Inspector(models.Model):
    """An inspector on the register (执法检查人员名录库)."""

    code = models.CharField(_("执法证号"), max_length=32, unique=True)
    name = models.CharField(_("姓名"), max_length=64)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    qualifications = models.JSONField(_("执法资格"), default=list)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("检查人员")
        verbose_name_plural = _("检查人员")

    def __str__(self) -> str:
        return with_note(self.name, self.code)


class Recusal(models.Model):
    """A relation between an inspector and an enterprise that requires recusal (回避)."""

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="recusals")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(_("回避事由"), max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inspector", "enterprise"], name="unique_recusal")
        ]
        verbose_name = _("回避关系")
        verbose_name_plural = _("回避关系")

    def __str__(self) -> str:
        return f"{self.inspector_id} × {self.enterprise_id}"


class DrawState(models.TextChoices):
    ANNOUNCED = "announced", _("已公告，待抽取")
    DRAWN = "drawn", _("已抽取")
    CANCELLED = "cancelled", _("已撤销")


class VerifiableDraw(models.Model):
    """What every verifiable draw keeps: announced with a commitment, then drawn and revealed.

    The registers are frozen into ``announcement`` with the commitment to a
    secret seed, kept sealed in ``sealed_seed`` until the draw; the draw reveals
    it in ``seed_hex`` and publishes ``transcript``; or it is cancelled before
    the draw, for a stated reason, and reveals its seed all the same.
    """

    state = models.CharField(
        _("状态"), max_length=16, choices=DrawState.choices, default=DrawState.ANNOUNCED
    )
    seed_hex = models.CharField(max_length=128, blank=True)
    sealed_seed = models.CharField(max_length=200, blank=True)
    commitment = models.CharField(_("种子承诺值"), max_length=64)
    registers_digest = models.CharField(_("名录摘要"), max_length=64)
    announcement = models.JSONField()
    transcript = models.JSONField(null=True, blank=True)
    created_by = models.CharField(max_length=64)
    announced_at = models.DateTimeField(_("公告时间"))
    draw_after = models.DateTimeField(_("抽取时间不早于"))
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    drawn_by = models.CharField(max_length=64, blank=True)
    # Cancelled before its draw: the announcement was published, so the row stays.
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancelled_by = models.CharField(max_length=64, blank=True)
    cancel_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)

    class Meta:
        abstract = True


class InspectionTask(VerifiableDraw):
    """A random-inspection task (抽查任务) and its verifiable draw.

    On announcement the registers (targets with their credit class, the
    inspectors with qualifications and recusals) are frozen into
    ``announcement`` with the commitment to a secret seed; the draw later uses
    exactly those registers and reveals the seed in ``transcript``. Until then
    the seed is kept only in ``sealed_seed``, sealed under a key outside the
    database (``seed_sealing``); ``seed_hex`` holds it once revealed.
    """

    code = models.CharField(_("任务编号"), max_length=64, unique=True)
    title = models.CharField(_("任务名称"), max_length=200)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    industry_code = models.CharField(_("行业代码"), max_length=8, blank=True)
    matters = models.TextField(_("检查事项"))
    base_ratio = models.CharField(_("基准抽查比例"), max_length=16)
    ratios = models.JSONField(_("各等级抽查比例"))
    inspectors_per_target = models.PositiveSmallIntegerField(_("每户检查人员数"), default=2)
    required_qualification = models.CharField(_("所需执法资格"), max_length=64, blank=True)

    class Meta:
        ordering = ["-announced_at", "-pk"]
        verbose_name = _("抽查任务")
        verbose_name_plural = _("抽查任务")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class InspectionOutcome(models.TextChoices):
    PASS = "pass", _("未发现问题")
    PROBLEMS = "problems", _("发现问题，责令整改")
    FAIL = "fail", _("不合格")
    NOT_FOUND = "not_found", _("未发现企业（通过登记的住所无法联系）")


class Inspection(models.Model):
    """One drawn target of a task, its inspectors and, once inspected, the published result."""

    task = models.ForeignKey(InspectionTask, on_delete=models.CASCADE, related_name="inspections")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="inspections")
    credit_class = models.CharField(_("信用等级"), max_length=1)
    inspectors = models.ManyToManyField(Inspector, related_name="inspections")
    shortfall = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(
        _("检查结果"), max_length=16, choices=InspectionOutcome.choices, blank=True
    )
    findings = models.TextField(_("检查情况"), blank=True)
    inspected_on = models.DateField(_("检查日期"), null=True, blank=True)
    recorded_by = models.CharField(max_length=64, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task_id", "enterprise_id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "enterprise"], name="unique_inspection_target")
        ]
        verbose_name = _("检查")
        verbose_name_plural = _("检查")

    def __str__(self) -> str:
        return f"{self.task_id} {self.enterprise_id}"


class SupplementaryDraw(VerifiableDraw):
    """A supplementary draw (补充抽取) of inspectors for a drawn task's short inspections.

    Its own verifiable step, like the task's draw: announced with the registers
    as they are now frozen into ``announcement`` and a commitment to a secret
    seed (sealed in ``sealed_seed`` until the draw), then drawn and revealed in
    ``transcript``. ``number`` counts a task's supplementary draws from 1; each
    refers to the task's transcript and the earlier drawn ones by their
    digests. One cancelled before its draw stays, its announcement having
    been published, with when, by whom and why.
    """

    task = models.ForeignKey(
        InspectionTask, on_delete=models.CASCADE, related_name="supplementary_draws"
    )
    number = models.PositiveSmallIntegerField(_("补充抽取序号"))

    class Meta:
        ordering = ["task_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["task", "number"], name="unique_supplementary_number"),
            # One at a time: the next one must know what this one filled.
            models.UniqueConstraint(
                fields=["task"],
                condition=models.Q(state="announced"),
                name="one_pending_supplementary_draw",
            ),
        ]
        verbose_name = _("补充抽取")
        verbose_name_plural = _("补充抽取")

    def __str__(self) -> str:
        return f"{self.task_id} #{self.number}"
