"""Give regulators the credit and random-inspection work, administrators the scorecard.

Also install the shipped scorecard as version 1, active. The permission lists
are frozen here, as in identity's seed; the scorecard is the one the code
ships at install time, and later versions are published through actions.
"""

import json

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

GRANTS = {
    "regulator": ["regulation.manage_credit", "regulation.run_inspections"],
    "administrator": ["regulation.manage_scorecard"],
}


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from django.utils import timezone

    from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG

    ScorecardVersion = apps.get_model("regulation", "ScorecardVersion")
    if not ScorecardVersion.objects.exists():
        ScorecardVersion.objects.create(
            number=1,
            config=json.loads(json.dumps(DEFAULT_CONFIG)),
            note="默认评分规则",
            is_active=True,
            created_by="system",
            created_at=timezone.now(),
        )
    Role = apps.get_model("identity", "Role")
    for code, permissions in GRANTS.items():
        for role in Role.objects.filter(code=code):
            role.permissions = sorted(set(role.permissions) | set(permissions))
            role.save(update_fields=["permissions"])


def unseed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("regulation", "ScorecardVersion").objects.filter(number=1).delete()
    Role = apps.get_model("identity", "Role")
    for code, permissions in GRANTS.items():
        for role in Role.objects.filter(code=code):
            role.permissions = sorted(set(role.permissions) - set(permissions))
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("regulation", "0004_credit_listing_inspections"),
        ("identity", "0003_seed_built_in_roles"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
