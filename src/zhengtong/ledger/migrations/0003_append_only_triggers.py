"""Refuse UPDATE and DELETE on entries, tree nodes and signed tree heads (ledger/triggers.py)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from zhengtong.ledger.triggers import create_triggers, drop_triggers


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    create_triggers(schema_editor)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    drop_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = (("ledger", "0002_tree_nodes_head_and_signed_tree_heads"),)

    operations = (migrations.RunPython(forwards, backwards),)
