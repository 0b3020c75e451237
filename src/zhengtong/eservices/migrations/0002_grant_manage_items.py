"""Department administrators compile and publish their department's service items."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

PERMISSION = "eservices.manage_items"


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
    dependencies = [
        ("eservices", "0001_service_items_materials_transitions"),
        ("identity", "0003_seed_built_in_roles"),
    ]

    operations = [migrations.RunPython(add, remove)]
