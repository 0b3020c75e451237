"""The bridge from applications to the data-sharing exchange: prefill (免填报) and credit checks.

Every read goes through the exchange's governed functions with the
platform's own system client (setting ``ESERVICES_EXCHANGE_CLIENT``, the key
id of a ``SystemClient``), so each one is authorised, logged and ledgered like
any department's read, and the citizen sees it in 我的数据使用记录 with the
purpose "办理<事项名称>". Nothing here ever blocks an application: a failed
read leaves the field to the applicant, a failed credit check is recorded as
"unavailable" for the reviewer.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from zhengtong.core.actors import Actor
from zhengtong.core.errors import ZhengtongError
from zhengtong.core.models import Department
from zhengtong.eservices.forms_engine import fields_of
from zhengtong.eservices.models import ApplicantKind, ServiceItem
from zhengtong.exchange.governed import do_look_up_record
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.models import SystemClient
from zhengtong.identity.selectors import active_client, active_client_named

logger = logging.getLogger(__name__)

PLATFORM_CLIENT_NAME = "一网通办申请预填与信用核查"
PLATFORM_SCOPES = ("exchange.read_shared",)
# x-prefill {"source": "applicant", "item": ...}: values the platform knows from the login.
APPLICANT_SOURCE = "applicant"


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom the application is for, as the exchange is asked about them."""

    kind: str  # ApplicantKind
    id_number: str  # 身份证号 or 统一社会信用代码
    name: str


def platform_client() -> SystemClient | None:
    """Return the platform's own system client, or None when none is configured or issued."""
    key_id = getattr(settings, "ESERVICES_EXCHANGE_CLIENT", "")
    if key_id:
        return active_client(key_id)
    return active_client_named(PLATFORM_CLIENT_NAME)


def ensure_platform_client(department: Department, *, actor: Actor) -> SystemClient:
    """Return the platform's client, issuing one in ``department`` (the data bureau) if missing."""
    client = platform_client()
    if client is not None:
        return client
    client, _secret = do_issue_client(
        department, PLATFORM_CLIENT_NAME, list(PLATFORM_SCOPES), actor=actor
    )
    return client


def purpose_of(item: ServiceItem) -> str:
    return _("办理%(name)s") % {"name": item.name}


def _applicant_value(subject: Subject, wanted: str) -> str | None:
    if wanted == "credit_code" and subject.kind == ApplicantKind.ENTERPRISE:
        return subject.id_number
    if wanted == "id_number" and subject.kind == ApplicantKind.PERSON:
        return subject.id_number
    if wanted == "name":
        return subject.name
    return None


def _hint(field: Mapping[str, Any]) -> dict[str, str] | None:
    hint = field.get("x-prefill")
    if not isinstance(hint, dict):
        return None
    return {str(k): str(v) for k, v in hint.items()}


def prefill(item: ServiceItem, subject: Subject) -> dict[str, dict[str, Any]]:
    """Return {field: {"value", "source", "verified"}} for the fields the platform can fill.

    Fields whose ``x-prefill`` names the applicant are taken from the login;
    the others are read from the exchange by the key field they name, one
    governed read per resource and key. Masked values are left to the applicant.
    """
    fields = fields_of(item.form_schema)
    filled: dict[str, dict[str, Any]] = {}
    for name, field in fields.items():
        hint = _hint(field)
        if hint and hint.get("source") == APPLICANT_SOURCE:
            value = _applicant_value(subject, hint.get("item", ""))
            if value:
                filled[name] = {"value": value, "source": APPLICANT_SOURCE, "verified": True}
    client = platform_client()
    if client is None:
        return filled
    reads: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for name, field in fields.items():
        hint = _hint(field)
        if not hint or "resource" not in hint or hint.get("by") not in filled:
            continue
        key = str(filled[hint["by"]]["value"])
        reads.setdefault((hint["resource"], key), []).append((name, hint.get("item", "")))
    for (resource_code, key), wanted in reads.items():
        try:
            found = do_look_up_record(client, resource_code, key, purpose=purpose_of(item))
        except ZhengtongError as error:
            logger.info("Prefill from %s skipped: %s", resource_code, error.code)
            continue
        for name, code in wanted:
            value = found.values.get(code)
            if value is not None and value != "" and code not in found.masked:
                filled[name] = {"value": value, "source": resource_code, "verified": True}
    return filled


def credit_resource() -> str:
    return str(getattr(settings, "ESERVICES_CREDIT_RESOURCE", "104000000/000002"))


def check_credit(item: ServiceItem, subject: Subject) -> dict[str, Any]:
    """Look the enterprise up in the serious-dishonesty list (严重失信主体名单).

    Returns ``{"status": "clean" | "flagged" | "unavailable" | "not_applicable",
    "flag": bool, "records": [...], "resource": code}``. Only enterprises are
    on the list; a person applicant is not checked.
    """
    resource = credit_resource()
    result: dict[str, Any] = {"resource": resource, "flag": False, "records": []}
    if subject.kind != ApplicantKind.ENTERPRISE:
        return {**result, "status": "not_applicable"}
    client = platform_client()
    if client is None:
        return {**result, "status": "unavailable", "reason": "no_client"}
    try:
        found = do_look_up_record(client, resource, subject.id_number, purpose=purpose_of(item))
    except ZhengtongError as error:
        if error.code == "unknown_key":
            return {**result, "status": "clean"}
        return {**result, "status": "unavailable", "reason": error.code}
    record = {code: value for code, value in found.values.items() if value is not None}
    return {**result, "status": "flagged", "flag": True, "records": [record]}
