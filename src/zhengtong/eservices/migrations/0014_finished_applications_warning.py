"""A finished application keeps red if it finished after its deadline, no warning otherwise."""

from typing import Any

from django.db import migrations
from django.db.models import F, Q


def settle_finished_warnings(apps: Any, schema_editor: Any) -> None:
    """Give applications finished before this the warning they now keep.

    Their stored warning was the last refresh's: a yellow one said the deadline
    was near although nothing was left to do, and one finished late between
    two refreshes never turned red.
    """
    alias = schema_editor.connection.alias
    application = apps.get_model("eservices", "Application")
    finished = application.objects.using(alias).filter(finished_at__isnull=False)
    late = Q(deadline_at__isnull=False, finished_at__gt=F("deadline_at"))
    finished.filter(late).exclude(warning_level="red").update(warning_level="red")
    finished.exclude(late).exclude(warning_level="normal").update(warning_level="normal")


class Migration(migrations.Migration):
    dependencies = [
        ("eservices", "0013_suspension_planned_end"),
    ]

    operations = [
        migrations.RunPython(settle_finished_warnings, migrations.RunPython.noop, elidable=True),
    ]
