"""State changes of online monitoring: registering points and their limits."""

from __future__ import annotations

import re
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.models import Enterprise, Region
from zhengtong.ledger.actions import record_entry
from zhengtong.regulation.models import EmissionLimit, MonitoringPoint
from zhengtong.regulation.receiver import password_digest

_MN = re.compile(r"[0-9A-Za-z_-]{1,32}")
_PW = re.compile(r"[^\s;,=&]{1,16}")
_POLLUTANT = re.compile(r"[A-Za-z0-9]{2,16}")


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
) -> MonitoringPoint:
    """Register a monitoring point whose collector reports under ``mn`` with ``password``."""
    if not _MN.fullmatch(mn):
        raise InvalidInput(_("设备唯一标识 MN 应为 1 至 32 位字母或数字。"), code="invalid_mn")
    if not _PW.fullmatch(password):
        raise InvalidInput(_("访问密码 PW 应为 1 至 16 位，不含分隔符。"), code="invalid_pw")
    if not name.strip():
        raise InvalidInput(_("请填写监测点名称。"), code="name_required")
    if not 1 <= interval_s <= 86400:
        raise InvalidInput(_("上报间隔应在 1 秒至 1 天之间。"), code="invalid_interval")
    salt = secrets.token_hex(8)
    with transaction.atomic(durable=True):
        if MonitoringPoint.objects.filter(mn=mn).exists():
            raise Conflict(_("该 MN 已登记。"), code="mn_taken")
        point = MonitoringPoint.objects.create(
            mn=mn,
            name=name.strip()[:100],
            enterprise=enterprise,
            region=region or enterprise.region,
            system_code=system_code,
            password_salt=salt,
            password_hash=password_digest(salt, password),
            crc_compat=crc_compat,
            interval_s=interval_s,
        )
        record_entry(
            actor=actor,
            action="regulation.register_point",
            subject_type="regulation.point",
            subject_id=mn,
            data={"enterprise": enterprise.credit_code, "crc_compat": crc_compat},
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
