"""Seed the regulator's role and give the administrator the monitoring points.

Regulators (监管执法人员) watch the online monitoring of the points in their
post's scope and handle its alarms; the administrator registers points and
sets their emission limits. The lists are frozen here, as in identity's seed.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

NEW_ROLES: list[tuple[str, str, list[str]]] = [
    ("regulator", "监管执法人员", ["regulation.monitor", "portal.use_workbench"]),
]
GRANTS = {
    "administrator": ["regulation.manage_points"],
}


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    for code, name, permissions in NEW_ROLES:
        Role.objects.get_or_create(
            code=code,
            defaults={"name": name, "audience": "staff", "permissions": sorted(permissions)},
        )
    for code, permissions in GRANTS.items():
        for role in Role.objects.filter(code=code):
            role.permissions = sorted(set(role.permissions) | set(permissions))
            role.save(update_fields=["permissions"])


def unseed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    Role.objects.filter(code__in=[code for code, _, _ in NEW_ROLES], posts__isnull=True).delete()
    for code, permissions in GRANTS.items():
        for role in Role.objects.filter(code=code):
            role.permissions = sorted(set(role.permissions) - set(permissions))
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("regulation", "0002_alarms"),
        ("identity", "0003_seed_built_in_roles"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
