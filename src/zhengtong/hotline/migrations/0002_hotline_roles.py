"""Seed the 12345 roles and give the hotline's permissions to the built-in roles.

Agents (话务员) enter callers' messages, dispatchers (派单员) work the queue,
extensions and callbacks, handlers (承办人员) are the departments' staff who
sign for and answer cases, and the department leader hears of reopened and
supervised cases. The administrator keeps the routing data and the models;
leaders see the overview. The lists are frozen here, as in identity's seed.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

BASE = ["portal.use_workbench"]
NEW_ROLES: list[tuple[str, str, list[str]]] = [
    ("hotline_agent", "12345话务员", ["hotline.enter_calls", *BASE]),
    ("hotline_dispatcher", "12345派单员", ["hotline.dispatch", "hotline.enter_calls", *BASE]),
    ("hotline_handler", "12345承办人员", ["hotline.handle", *BASE]),
]
GRANTS = {
    "leader": ["hotline.view_overview", "hotline.supervise"],
    "administrator": ["hotline.manage_routing"],
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
        ("hotline", "0001_cases_routing_and_classifier_versions"),
        ("identity", "0003_seed_built_in_roles"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
