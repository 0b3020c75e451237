"""Let a person hold the 个体工商户营业执照.

个体工商户设立登记 is applied for by the operator (经营者), a natural person;
the platform issues the licence to the operator's 公民身份号码 when the
registration is approved. An enterprise holder stays allowed.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CODE = "individual_business_licence"


def allow_persons(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    LicenceType = apps.get_model("licences", "LicenceType")
    LicenceType.objects.filter(code=CODE).update(holder_kinds=["enterprise", "person"])


def enterprises_only(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    LicenceType = apps.get_model("licences", "LicenceType")
    LicenceType.objects.filter(code=CODE).update(holder_kinds=["enterprise"])


class Migration(migrations.Migration):
    dependencies = [("licences", "0002_seed_licence_types")]

    operations = [migrations.RunPython(allow_persons, enterprises_only)]
