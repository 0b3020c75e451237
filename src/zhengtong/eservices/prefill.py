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


@dataclass(frozen=True, slots=True)
class CheckResults:
    """What the form's ``x-checks`` found: process variables, and whether every check ran."""

    variables: dict[str, bool]
    complete: bool
    outcomes: list[dict[str, str]]


def _checks_of(item: ServiceItem) -> list[dict[str, Any]]:
    checks = item.form_schema.get("x-checks")
    if not isinstance(checks, list):
        return []
    return [c for c in checks if isinstance(c, dict) and c.get("resource") and c.get("by")]


def _matches(values: Mapping[str, Any], when: Any) -> bool:
    # ``when`` {item: [values]}: a found record counts only if each item holds one of them.
    if not isinstance(when, dict):
        return True
    return all(
        str(values.get(code) or "") in [str(v) for v in allowed] for code, allowed in when.items()
    )


def run_checks(item: ServiceItem, form: Mapping[str, Any]) -> CheckResults:
    """Run the form's ``x-checks`` through the exchange as the platform's client.

    Each check ``{"resource", "items", "by", "sets", "when"}`` looks the record
    up by the form field ``by``; the variable ``sets`` is True when a record is
    found whose ``items`` hold one of the values ``when`` lists, False when no
    record is found. A check that cannot run (no client, no grant, the
    exchange down) leaves its variable False and the results incomplete: the
    caller then must not decide on them alone.
    """
    variables: dict[str, bool] = {}
    outcomes: list[dict[str, str]] = []
    complete = True
    checks = _checks_of(item)
    client = platform_client() if checks else None
    for check in checks:
        resource = str(check["resource"])
        target = str(check.get("sets") or "")
        key = form.get(str(check["by"]))
        if target:
            variables[target] = False
        if client is None or not isinstance(key, str) or not key:
            complete = False
            outcomes.append({"resource": resource, "status": "unavailable"})
            continue
        items = check.get("items")
        fields = [str(i) for i in items] if isinstance(items, list) and items else None
        try:
            found = do_look_up_record(
                client, resource, key, purpose=purpose_of(item), fields=fields
            )
        except ZhengtongError as error:
            if error.code == "unknown_key":
                outcomes.append({"resource": resource, "status": "not_found"})
                continue
            logger.info("Check against %s not run: %s", resource, error.code)
            complete = False
            outcomes.append({"resource": resource, "status": "unavailable", "reason": error.code})
            continue
        hit = _matches(found.values, check.get("when"))
        if target:
            variables[target] = hit
        outcomes.append({"resource": resource, "status": "found" if hit else "not_matching"})
    return CheckResults(variables, complete, outcomes)


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


@dataclass(frozen=True, slots=True)
class SharedCheck:
    """What the exchange said of the typed values a 共享获取 material stands for."""

    # Form field -> why its value was refused.
    problems: dict[str, str]
    # A read that could not run: the values are unchecked.
    unavailable: bool = False


# Key errors that mean the typed number is wrong, not that the exchange failed.
_WRONG_KEY = ("unknown_key", "bad_key")


def _shared_groups(
    item: ServiceItem, materials: list[tuple[str, set[str]]]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(resource, key field) -> [(form field, item code)] the exchange materials stand for."""
    wanted = {resource: codes for resource, codes in materials}
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for name, field in fields_of(item.form_schema).items():
        hint = _hint(field)
        if not hint or hint.get("resource") not in wanted or not hint.get("by"):
            continue
        resource = hint["resource"]
        if hint.get("item") in wanted[resource]:
            groups.setdefault((resource, hint["by"]), []).append((name, hint["item"]))
    return groups


def verify_shared(
    item: ServiceItem,
    form: Mapping[str, Any],
    prefilled: Mapping[str, Mapping[str, Any]],
    materials: list[tuple[str, set[str]]],
) -> SharedCheck:
    """Confirm through the exchange the typed values that 共享获取 materials stand for.

    ``materials`` are the item's exchange materials as (resource, item codes).
    A form field prefilled from that resource names what it proves, and the
    field it was looked up by is the key: an operator's 身份证号 and 姓名 typed
    by an enterprise are read back from the population register, as the
    platform's own client (governed, logged and ledgered), and refused when
    the register does not know the number or gives another name. Values that
    came verified from the login or from the exchange are not read again.
    """
    problems: dict[str, str] = {}
    unavailable = False
    client = platform_client()
    for (resource, by), wanted in _shared_groups(item, materials).items():
        key = str(form.get(by) or "").strip()
        if not key or _verified(prefilled, by, key, APPLICANT_SOURCE):
            # No number (the form check says so), or the applicant's own from the login.
            continue
        typed = [(n, c, str(form.get(n) or "").strip()) for n, c in wanted]
        if all(_verified(prefilled, n, v, resource) for n, _c, v in typed if v) and _verified(
            prefilled, by, key, resource
        ):
            continue
        if client is None:
            unavailable = True
            continue
        try:
            found = do_look_up_record(
                client, resource, key, purpose=purpose_of(item), fields=[c for _n, c in wanted]
            )
        except ZhengtongError as error:
            if error.code in _WRONG_KEY:
                problems[by] = _("共享数据中没有该号码的登记信息，请核对。")
            else:
                logger.info("Shared check against %s not run: %s", resource, error.code)
                unavailable = True
            continue
        for name, code, value in typed:
            if code in found.masked:
                unavailable = True
            elif value and str(found.values.get(code) or "") != value:
                problems[name] = _("与共享数据中该号码的登记信息不一致，请核对。")
    return SharedCheck(problems, unavailable)


def _verified(
    prefilled: Mapping[str, Mapping[str, Any]], name: str, value: str, source: str
) -> bool:
    entry = prefilled.get(name)
    return (
        entry is not None
        and bool(entry.get("verified"))
        and entry.get("source") == source
        and str(entry.get("value")) == value
    )
