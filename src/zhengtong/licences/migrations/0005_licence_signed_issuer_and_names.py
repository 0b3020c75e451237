"""Keep on each licence what its signature covers of the issuer, the type and the labels.

Licences issued before this migration were signed with payload version 1 and
the issuing department's code, name and credit code as they stood then; those
are copied from the department row, which no action renames, so that
renaming it later leaves its licences verifying. A licence whose department
row was changed by hand before this ran fails verification as it did before.
"""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def record_issuers_as_signed(apps: Any, schema_editor: Any) -> None:
    """Copy the issuer's code, name and credit code onto each licence that lacks them."""
    licence_model = apps.get_model("licences", "Licence")
    department_model = apps.get_model("core", "Department")
    issuer = department_model.objects.filter(pk=OuterRef("issuer_id"))
    licence_model.objects.filter(issuer_code="").update(
        issuer_code=Subquery(issuer.values("code")[:1]),
        issuer_name=Subquery(issuer.values("name")[:1]),
        issuer_credit_code=Subquery(issuer.values("credit_code")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("licences", "0004_model_names_in_chinese"),
    ]

    operations = [
        migrations.AddField(
            model_name="licence",
            name="issuer_code",
            field=models.CharField(default="", max_length=64, verbose_name="发证机关编码"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="licence",
            name="issuer_name",
            field=models.CharField(default="", max_length=128, verbose_name="发证机关名称"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="licence",
            name="issuer_credit_code",
            field=models.CharField(
                default="", max_length=18, verbose_name="发证机关统一社会信用代码"
            ),
            preserve_default=False,
        ),
        # Every licence issued so far was signed with payload version 1.
        migrations.AddField(
            model_name="licence",
            name="payload_version",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="签名内容版本"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="licence",
            name="type_name",
            field=models.CharField(blank=True, max_length=64, verbose_name="证照名称（签发时）"),
        ),
        migrations.AddField(
            model_name="licence",
            name="field_labels",
            field=models.JSONField(blank=True, default=list, verbose_name="信息项名称（签发时）"),
        ),
        migrations.RunPython(record_issuers_as_signed, migrations.RunPython.noop, elidable=False),
    ]
