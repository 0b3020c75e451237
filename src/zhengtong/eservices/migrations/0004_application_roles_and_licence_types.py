"""Seed the roles that work on applications; name the licence of existing items.

The process lanes are roles (docs/eservices-process.md). Two built-in roles
are added: 受理人员 (``acceptor``: the acceptor and deliverer lanes) and
决定人员 (``decider``: the decider lane, and answering bad ratings). The
existing reviewer (审核人员) also reviews applications, and the leader (领导)
may decide and answer bad ratings as well.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

BASE = ["core.view_enterprise", "core.view_person", "portal.use_workbench"]
NEW_ROLES: list[tuple[str, str, list[str]]] = [
    ("acceptor", "受理人员", ["eservices.accept_applications", *BASE]),
    ("decider", "决定人员", ["eservices.decide_applications", "eservices.respond_ratings", *BASE]),
]
GRANTS: dict[str, list[str]] = {
    "reviewer": ["eservices.review_applications"],
    "leader": ["eservices.decide_applications", "eservices.respond_ratings"],
}
# process id -> licence type code, for the items that already exist.
LICENCE_TYPES = {
    "food_business_licence": "food_business_licence",
    "public_place_hygiene_licence": "public_place_hygiene_licence",
    "rural_urban_pension_enrolment": "pension_insurance_certificate",
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    for code, name, permissions in NEW_ROLES:
        Role.objects.get_or_create(
            code=code,
            defaults={"name": name, "audience": "staff", "permissions": sorted(permissions)},
        )
    for code, permissions in GRANTS.items():
        for role in Role.objects.filter(code=code):
            role.permissions = sorted(set(role.permissions) | set(permissions))
            role.save(update_fields=["permissions"])
    ServiceItem = apps.get_model("eservices", "ServiceItem")
    for process_id, licence_type in LICENCE_TYPES.items():
        ServiceItem.objects.filter(process_id=process_id, licence_type_code="").update(
            licence_type_code=licence_type
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Role = apps.get_model("identity", "Role")
    Role.objects.filter(code__in=[code for code, _, _ in NEW_ROLES], posts__isnull=True).delete()
    for code, permissions in GRANTS.items():
        for role in Role.objects.filter(code=code):
            role.permissions = sorted(set(role.permissions) - set(permissions))
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("eservices", "0003_applications"),
        ("identity", "0003_seed_built_in_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
