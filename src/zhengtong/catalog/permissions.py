"""The catalog's permission codes; the built-in roles receive them in migration 0002."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from zhengtong.identity.permissions import define_permission, define_role_name

# Data officers: create and edit their department's drafts, and submit them.
EDIT_RESOURCES = define_permission("catalog.edit_resources", _("编制本部门的政务信息资源目录"))
# The data bureau: review submitted entries, publish and retire them.
REVIEW_RESOURCES = define_permission("catalog.review", _("审核、发布和下架政务信息资源目录"))

# The name migration 0003 seeds the data bureau's reviewers with, shown in the reader's language.
define_role_name("data_reviewer", gettext_noop("数据资源审核人员"))
