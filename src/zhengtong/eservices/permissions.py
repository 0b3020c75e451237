"""The eservices permission codes; the administrator role receives them in a data migration."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from zhengtong.identity.permissions import define_permission, define_role_name

# Compile, publish and suspend the service items (and their guides) of the
# departments a post covers.
MANAGE_ITEMS = define_permission(
    "eservices.manage_items", _("编制、发布和暂停本部门的政务服务事项")
)

# Applications: the lanes of a process are roles (docs/eservices-process.md);
# each lane's base role needs one of these permissions in the department the
# task belongs to. Migration 0004 seeds the built-in roles 受理人员 (acceptor:
# 受理 and 送达) and 决定人员 (decider: 决定, answering bad ratings), and gives
# 审查 to the reviewer (审核人员) and 决定 to the leader (领导).
ACCEPT_APPLICATIONS = define_permission(
    "eservices.accept_applications", _("受理、补正告知和送达本部门的办件")
)
REVIEW_APPLICATIONS = define_permission("eservices.review_applications", _("审查本部门的办件"))
DECIDE_APPLICATIONS = define_permission(
    "eservices.decide_applications", _("对本部门的办件作出准予或不予的决定")
)
# See which SMS and e-mail messages a gateway refused (the admin's 待发消息),
# without their text.
VIEW_OUTGOING_MESSAGES = define_permission(
    "eservices.view_outgoing_messages", _("查看短信和邮件的发送情况")
)
# Answer 差评 (不满意/非常不满意) of the department's applications.
RESPOND_RATINGS = define_permission("eservices.respond_ratings", _("答复本部门办件的差评整改"))

# The permission a lane's base role needs (``market.reviewer`` -> ``reviewer``).
LANE_PERMISSIONS: dict[str, str] = {
    "acceptor": ACCEPT_APPLICATIONS,
    "reviewer": REVIEW_APPLICATIONS,
    "decider": DECIDE_APPLICATIONS,
    "deliverer": ACCEPT_APPLICATIONS,
}
# Every permission that lets a member of staff see a department's applications.
STAFF_APPLICATION_PERMISSIONS = (
    ACCEPT_APPLICATIONS,
    REVIEW_APPLICATIONS,
    DECIDE_APPLICATIONS,
    RESPOND_RATINGS,
)

# The names migration 0004 seeds its roles with, shown in the reader's language.
define_role_name("acceptor", gettext_noop("受理人员"))
define_role_name("decider", gettext_noop("决定人员"))
