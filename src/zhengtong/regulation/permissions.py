"""The permission codes of regulation; the built-in roles receive them in a data migration."""

from django.utils.translation import gettext_lazy as _

from zhengtong.identity.permissions import define_permission

# Regulators (监管执法人员): the online-monitoring view of the points in their post's
# scope, and acknowledging and closing its alarms.
MONITOR = define_permission("regulation.monitor", _("查看在线监控数据，确认和关闭报警"))
# Administrators: register monitoring points and set their emission limits.
MANAGE_POINTS = define_permission("regulation.manage_points", _("登记监测点，设置排放限值"))
