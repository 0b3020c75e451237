"""The eservices permission codes; the administrator role receives them in a data migration."""

from django.utils.translation import gettext_lazy as _

from zhengtong.identity.permissions import define_permission

# Compile, publish and suspend the service items (and their guides) of the
# departments a post covers.
MANAGE_ITEMS = define_permission(
    "eservices.manage_items", _("编制、发布和暂停本部门的政务服务事项")
)
