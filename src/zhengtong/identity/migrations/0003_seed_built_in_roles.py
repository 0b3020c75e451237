"""Seed the built-in roles. Roles are data: administrators may edit them afterwards.

The lists are frozen here on purpose: a later change to a built-in role is a
new data migration, so that existing installations receive it too.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

WORKBENCH = "portal.use_workbench"

BUILT_IN_ROLES = [
    ("citizen", "公众", "citizen", ["portal.use_citizen_services"]),
    (
        "enterprise_legal",
        "企业法定代表人",
        "enterprise",
        ["identity.authorise_agents", "portal.use_enterprise_services"],
    ),
    ("enterprise_agent", "企业经办人", "enterprise", ["portal.use_enterprise_services"]),
    ("clerk", "窗口受理人员", "staff", ["core.view_enterprise", "core.view_person", WORKBENCH]),
    ("reviewer", "审核人员", "staff", ["core.view_enterprise", "core.view_person", WORKBENCH]),
    ("leader", "领导", "staff", ["core.view_enterprise", "identity.view_users", WORKBENCH]),
    (
        "auditor",
        "审计人员",
        "staff",
        ["identity.view_users", "ledger.verify_ledger", "ledger.view_entries", WORKBENCH],
    ),
    # The administrator does not read the audit log: the duties of system
    # administrator and auditor are kept apart (三员分立).
    (
        "administrator",
        "系统管理员",
        "staff",
        [
            "core.manage_registers",
            "identity.manage_clients",
            "identity.manage_users",
            "identity.use_admin_site",
            "identity.view_users",
            WORKBENCH,
        ],
    ),
]


def seed_roles(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    for code, name, audience, permissions in BUILT_IN_ROLES:
        Role.objects.update_or_create(
            code=code,
            defaults={"name": name, "audience": audience, "permissions": sorted(permissions)},
        )


def remove_roles(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    Role.objects.filter(code__in=[code for code, *_rest in BUILT_IN_ROLES], posts=None).delete()


class Migration(migrations.Migration):
    dependencies = [("identity", "0002_login_failure_lookup_indexes")]

    operations = [migrations.RunPython(seed_roles, remove_roles)]
