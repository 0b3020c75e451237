"""The hotline's permission codes; the built-in roles receive them in a data migration."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from zhengtong.identity.permissions import define_permission, define_role_name, define_scope

# 12345 centre agents: enter callers' messages and import them in bulk.
ENTER_CALLS = define_permission("hotline.enter_calls", _("登记来电诉求、批量导入诉求"))
# 12345 centre dispatchers: the dispatch queue, recalls, extensions, 催办/督办, callbacks.
DISPATCH = define_permission("hotline.dispatch", _("派单、撤回改派、审批延期、催办督办和回访"))
# Department handlers: sign for, reply, return and ask for more time, within their post.
HANDLE = define_permission("hotline.handle", _("签收、办理和答复本部门的12345工单"))
# Routing administration: the classifier versions, routing rules and time limits.
MANAGE_ROUTING = define_permission("hotline.manage_routing", _("管理分拨模型、分拨规则和办理时限"))
# Leaders and analysts: volumes, trends and hot issues.
VIEW_OVERVIEW = define_permission("hotline.view_overview", _("查看12345诉求统计和热点问题"))

# The call-centre system (G2G): enter messages through the API.
INTAKE = define_scope("hotline.intake", _("通过接口登记12345诉求"))
# A department's head for 12345 work: told of reopened and supervised cases.
SUPERVISE = define_permission("hotline.supervise", _("接收本部门12345工单的重办和督办通知"))

# The names migration 0002 seeds its roles with, shown in the reader's language.
define_role_name("hotline_agent", gettext_noop("12345话务员"))
define_role_name("hotline_dispatcher", gettext_noop("12345派单员"))
define_role_name("hotline_handler", gettext_noop("12345承办人员"))
