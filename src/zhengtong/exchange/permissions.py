"""Permissions and G2G scopes of the exchange."""

from django.utils.translation import gettext_lazy as _

from zhengtong.identity.permissions import define_permission, define_scope

# A department's data officers apply to use other departments' resources for
# their department's systems, and answer applications for their own resources.
MANAGE_ACCESS = define_permission("exchange.manage_access", _("申请使用和答复政务数据共享"))

# Department systems that read shared data through the governed APIs.
READ_SHARED = define_scope("exchange.read_shared", _("通过共享交换平台查询、核验共享数据"))
# Provider systems that push their own resources' records.
PUSH_RECORDS = define_scope("exchange.push_records", _("向共享交换平台推送本部门的数据"))
