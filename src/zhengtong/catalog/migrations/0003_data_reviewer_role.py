"""Review and publication belong to the data bureau, not to every department.

Migration 0002 gave catalog.review to the administrator role, so a department's
own administrator could approve its department's entries. Review now needs the
data reviewer role (数据资源审核人员), held by the data bureau's staff; the
administrator keeps compiling the catalog (catalog.edit_resources).
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

REVIEWER_CODE = "data_reviewer"
REVIEWER_PERMISSIONS = ["catalog.review", "portal.use_workbench"]


def create_reviewer(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    Role.objects.get_or_create(
        code=REVIEWER_CODE,
        defaults={
            "name": "数据资源审核人员",
            "audience": "staff",
            "permissions": REVIEWER_PERMISSIONS,
        },
    )
    administrator = Role.objects.filter(code="administrator").first()
    if administrator is not None:
        administrator.permissions = sorted(set(administrator.permissions) - {"catalog.review"})
        administrator.save(update_fields=["permissions"])


def remove_reviewer(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    Role.objects.filter(code=REVIEWER_CODE, posts__isnull=True).delete()
    administrator = Role.objects.filter(code="administrator").first()
    if administrator is not None:
        administrator.permissions = sorted(set(administrator.permissions) | {"catalog.review"})
        administrator.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_grant_catalog_permissions")]

    operations = [migrations.RunPython(create_reviewer, remove_reviewer)]
