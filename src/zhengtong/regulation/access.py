"""Permission-checked fetches of points and alarms: missing and forbidden answer the same.

A regulator sees the points inside the region of their post: a post scoped
to a region covers the points in it (the city's regulators see every
district's points); a post scoped to its department covers the points in
the department's own region, because watching emissions is the environment
bureau's work wherever in its region they are (a district branch sees its
district's points only). Administrators who register points and set limits
reach every point for that work.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from zhengtong.core.errors import NotFound
from zhengtong.identity.permissions import grants_of, has_permission
from zhengtong.regulation import selectors
from zhengtong.regulation.models import Alarm, MonitoringPoint
from zhengtong.regulation.permissions import MANAGE_POINTS, MONITOR


def _inside(field: str, path: str) -> Q:
    area = path.rstrip("/")
    return Q(**{field: area}) | Q(**{f"{field}__startswith": area + "/"})


def monitored_points(
    user: AbstractBaseUser | AnonymousUser | None,
) -> QuerySet[MonitoringPoint]:
    """Return the points the user watches: those inside the regions of their monitoring posts."""
    condition = Q()
    matched = False
    for grant in grants_of(user):
        if MONITOR not in grant.permissions:
            continue
        path = grant.area_path or grant.department_region_path
        if path is None:
            continue
        matched = True
        # A point is where it was registered, or where its enterprise is.
        condition |= _inside("region__path", path) | (
            Q(region__isnull=True) & _inside("enterprise__region__path", path)
        )
    if not matched:
        return MonitoringPoint.objects.none()
    return MonitoringPoint.objects.filter(condition)


def _point_not_found() -> NotFound:
    return NotFound(_("找不到该监测点。"), code="point_not_found")


def access_point_by_mn(user: AbstractBaseUser | AnonymousUser | None, mn: str) -> MonitoringPoint:
    """Return a point the user watches, by its MN."""
    point = monitored_points(user).select_related("enterprise", "region").filter(mn=mn).first()
    if point is None:
        raise _point_not_found()
    return point


def access_point_for_management(
    user: AbstractBaseUser | AnonymousUser | None, mn: str
) -> MonitoringPoint:
    """Return a point for an administrator who keeps the points' registration and limits."""
    point = MonitoringPoint.objects.select_related("enterprise", "region").filter(mn=mn).first()
    if point is None or not has_permission(user, MANAGE_POINTS):
        raise _point_not_found()
    return point


def access_alarm_by_id(user: AbstractBaseUser | AnonymousUser | None, alarm_id: int) -> Alarm:
    """Return an alarm of a point the user watches."""
    alarm = selectors.alarm_by_id(alarm_id)
    if alarm is None or not monitored_points(user).filter(pk=alarm.point_id).exists():
        raise NotFound(_("找不到该报警。"), code="alarm_not_found")
    return alarm
