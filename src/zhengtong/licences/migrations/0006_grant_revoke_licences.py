"""The issuing department's deciders and leaders find and revoke its licences."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

PERMISSION = "licences.revoke_licences"
ROLES = ("decider", "leader")


def add(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    for role in Role.objects.filter(code__in=ROLES):
        role.permissions = sorted(set(role.permissions) | {PERMISSION})
        role.save(update_fields=["permissions"])


def remove(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    for role in Role.objects.all():
        if PERMISSION in role.permissions:
            role.permissions = sorted(set(role.permissions) - {PERMISSION})
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("licences", "0005_licence_signed_issuer_and_names"),
        # The 决定人员 role is seeded there.
        ("eservices", "0004_application_roles_and_licence_types"),
    ]

    operations = [migrations.RunPython(add, remove)]
