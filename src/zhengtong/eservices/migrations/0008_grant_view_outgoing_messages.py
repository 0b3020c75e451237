"""Administrators see which SMS and e-mail messages a gateway refused."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

PERMISSION = "eservices.view_outgoing_messages"


def add(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    for role in Role.objects.filter(code="administrator"):
        role.permissions = sorted(set(role.permissions) | {PERMISSION})
        role.save(update_fields=["permissions"])


def remove(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    for role in Role.objects.all():
        if PERMISSION in role.permissions:
            role.permissions = sorted(set(role.permissions) - {PERMISSION})
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("eservices", "0007_outgoing_messages")]

    operations = [migrations.RunPython(add, remove)]
