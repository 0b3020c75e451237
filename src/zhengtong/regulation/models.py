"""Online monitoring (HJ 212): monitoring points, emission limits, readings, refused packets."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.core.models import Enterprise, Region


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
        return f"{self.name}（{self.mn}）"


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

    point = models.ForeignKey(MonitoringPoint, on_delete=models.CASCADE, related_name="+")
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
        constraints = [
            models.UniqueConstraint(
                fields=["point", "pollutant", "command", "data_time"], name="unique_reading"
            )
        ]

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
    peer = models.CharField(max_length=64, blank=True)
    head = models.CharField(max_length=120, blank=True)  # the packet's first bytes, escaped
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["point", "received_at"], name="refused_packet_point_idx")]

    def __str__(self) -> str:
        return f"{self.mn} {self.code}"


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
    count = models.PositiveIntegerField(_("次数"), default=1)
    first_at = models.DateTimeField(_("开始时间"))
    last_at = models.DateTimeField(_("最近时间"))
    acknowledged_by = models.CharField(max_length=64, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=64, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("处理说明"), blank=True)

    class Meta:
        ordering = ["-last_at", "-pk"]
        indexes = [models.Index(fields=["state", "point"], name="alarm_state_point_idx")]
        verbose_name = _("报警")
        verbose_name_plural = _("报警")

    def __str__(self) -> str:
        return f"{self.point_id} {self.kind} {self.pollutant}"
