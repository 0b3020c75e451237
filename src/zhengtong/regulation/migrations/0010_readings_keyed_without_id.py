"""Readings keyed by point, pollutant, command and time, without an id.

Django cannot turn a table's primary key into a composite one in place, so
the readings move into a new table with the composite key, which then takes
the old one's name. The copy runs once; on a large installed database it
takes a while (and the space of both tables meanwhile).
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

COLUMNS = (
    "point_id",
    "pollutant",
    "command",
    "data_time",
    "rtd",
    "avg",
    "min",
    "max",
    "cou",
    "zs",
    "flag",
    "received_at",
)


def _copy(source: str, target: str) -> Any:
    def copy(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        quote = schema_editor.quote_name
        names = ", ".join(quote(column) for column in COLUMNS)
        from_table = quote(apps.get_model("regulation", source)._meta.db_table)
        to_table = quote(apps.get_model("regulation", target)._meta.db_table)
        # Names from the models; no values in the statement.
        schema_editor.execute(
            f"INSERT INTO {to_table} ({names}) SELECT {names} FROM {from_table}"  # noqa: S608
        )

    return copy


class Migration(migrations.Migration):
    dependencies = [
        ("regulation", "0009_readings_keep_no_foreign_key_constraint"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReadingKeyed",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "point",
                        "pollutant",
                        "command",
                        "data_time",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "point",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="regulation.monitoringpoint",
                    ),
                ),
                ("pollutant", models.CharField(max_length=16)),
                ("command", models.CharField(max_length=4)),
                ("data_time", models.DateTimeField()),
                ("rtd", models.FloatField(null=True)),
                ("avg", models.FloatField(null=True)),
                ("min", models.FloatField(null=True)),
                ("max", models.FloatField(null=True)),
                ("cou", models.FloatField(null=True)),
                ("zs", models.FloatField(null=True)),
                ("flag", models.CharField(blank=True, max_length=1)),
                ("received_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(
            _copy("Reading", "ReadingKeyed"), reverse_code=_copy("ReadingKeyed", "Reading")
        ),
        migrations.DeleteModel(name="Reading"),
        migrations.RenameModel(old_name="ReadingKeyed", new_name="Reading"),
    ]
