"""Special procedures get a planned end: their maximum working days from their start."""

from typing import Any

from django.db import migrations, models


def plan_started_procedures(apps: Any, schema_editor: Any) -> None:
    """Give the special procedures started before this their planned end.

    Counted from each one's start with its item's present maximum, the best
    known: a running one past it lets the clock run again from there at the
    next refresh of the time limits.
    """
    from zhengtong.core.calendar import add_working_days

    alias = schema_editor.connection.alias
    suspension = apps.get_model("eservices", "Suspension")
    started = (
        suspension.objects.using(alias)
        .filter(kind="special", special_procedure__isnull=False, planned_end_at__isnull=True)
        .select_related("special_procedure")
    )
    for row in started:
        row.planned_end_at = add_working_days(row.started_at, row.special_procedure.max_days)
        row.save(update_fields=["planned_end_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("eservices", "0012_model_names_in_chinese"),
    ]

    operations = [
        migrations.AddField(
            model_name="suspension",
            name="planned_end_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="计划结束时间"),
        ),
        migrations.RunPython(plan_started_procedures, migrations.RunPython.noop, elidable=True),
    ]
