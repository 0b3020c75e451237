"""Give the built-in staff roles the catalog's permissions.

A department's administrator is its data officer and compiles its catalog;
review and publication are held by the same role within the scope of the
post, so that the data bureau's administrator, whose post covers the whole
city, reviews every department's entries. A department administrator never
approves their own submission (see the actions).
The lists are frozen here, as identity's own seed migration does.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

GRANTS = {
    "administrator": ["catalog.edit_resources", "catalog.review"],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    for code, permissions in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions = sorted(set(role.permissions) | set(permissions))
            role.save(update_fields=["permissions"])


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    for code, permissions in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions = sorted(set(role.permissions) - set(permissions))
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_resources_items_transitions"),
        ("identity", "0003_seed_built_in_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
