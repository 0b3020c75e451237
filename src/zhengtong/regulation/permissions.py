"""The permission codes of regulation; the built-in roles receive them in a data migration."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from zhengtong.identity.permissions import define_permission, define_role_name

# Regulators (监管执法人员): the online-monitoring view of the points in their post's
# scope, and acknowledging and closing its alarms.
MONITOR = define_permission("regulation.monitor", _("查看在线监控数据，确认和关闭报警"))
# Administrators: register monitoring points and set their emission limits.
MANAGE_POINTS = define_permission("regulation.manage_points", _("登记监测点，设置排放限值"))
# Regulators: record penalties and other credit facts, decide credit-repair
# requests and list or remove seriously dishonest enterprises.
MANAGE_CREDIT = define_permission(
    "regulation.manage_credit", _("记录信用信息，审核信用修复，认定和移出严重失信主体")
)
# Regulators: announce random-inspection tasks, draw them and record the results.
RUN_INSPECTIONS = define_permission(
    "regulation.run_inspections", _("组织双随机抽查：公告任务、抽取、录入检查结果")
)
# Administrators: publish a new version of the credit scorecard.
MANAGE_SCORECARD = define_permission("regulation.manage_scorecard", _("修订信用评分规则"))

# The name migration 0003 seeds its role with, shown in the reader's language.
define_role_name("regulator", gettext_noop("监管执法人员"))
