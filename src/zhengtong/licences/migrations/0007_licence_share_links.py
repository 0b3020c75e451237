"""Share links are stored, so that a holder can withdraw one before it expires."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("licences", "0006_grant_revoke_licences"),
    ]

    operations = [
        migrations.CreateModel(
            name="LicenceShare",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="生成时间"
                    ),
                ),
                ("created_by_ref", models.CharField(max_length=100)),
                ("created_by_label", models.CharField(max_length=100, verbose_name="生成人")),
                ("expires_at", models.DateTimeField(verbose_name="链接有效期至")),
                (
                    "withdrawn_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="撤回时间"),
                ),
                ("withdrawn_by_ref", models.CharField(blank=True, max_length=100)),
                (
                    "withdrawn_by_label",
                    models.CharField(blank=True, max_length=100, verbose_name="撤回人"),
                ),
                (
                    "licence",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="shares",
                        to="licences.licence",
                        verbose_name="电子证照",
                    ),
                ),
            ],
            options={
                "verbose_name": "证照分享链接",
                "verbose_name_plural": "证照分享链接",
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(fields=["licence", "expires_at"], name="licence_share_expiry_idx")
                ],
            },
        ),
    ]
