"""The licences permission codes; migration 0006 gives them to the roles that decide."""

from django.utils.translation import gettext_lazy as _

from zhengtong.identity.permissions import define_permission

# Find the licences a department issued and revoke (注销) one, saying why: a
# licence obtained by deception, a business closed, a decision overturned.
# The issuing authority's deciders and leaders hold it (migration 0006).
REVOKE_LICENCES = define_permission("licences.revoke_licences", _("查询和注销本部门签发的电子证照"))
