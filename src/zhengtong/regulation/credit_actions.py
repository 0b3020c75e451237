"""State changes of enterprise credit: records, grades and the scorecard.

Every record changes the enterprise's grade at once: ``add_credit_record``
writes the record and regrades inside the caller's transaction, so an
inspection result or a listing and the grade it causes commit together.
Records also leave the grade when their validity window passes, which no
action notices, so ``do_regrade_enterprises`` runs daily.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.i18n import message_of
from zhengtong.core.idempotency import (
    caller_key,
    checked_idempotency_key,
    found_or_made,
    key_reused,
)
from zhengtong.core.models import Enterprise
from zhengtong.ledger.actions import record_entry
from zhengtong.regulation import credit_scorecard as scoring
from zhengtong.regulation.credit_selectors import (
    active_scorecard,
    grade_records,
    scorecard_records,
)
from zhengtong.regulation.models import CreditKind, CreditRecord, CreditStanding, ScorecardVersion
from zhengtong.regulation.problems import Problems
from zhengtong.regulation.texts import refuse_control_characters, visible_text

SUBJECT = "regulation.credit"
# The earliest date a fact typed onto a credit file may carry: the founding of
# the People's Republic. No register the credit system draws on (enterprise
# registration, penalty decisions, the lists) dates anything earlier, so an
# earlier date is a slip of the keyboard or an empty date field's 0001-01-01,
# which would otherwise sit on the file as a fact long past its window.
EARLIEST_FACT_DATE = dt.date(1949, 10, 1)
# The dates a regulator types for a fact: what each is called in a refusal,
# and the prefix of its refusals' codes.
_FACT_DATES: dict[str, tuple[Promise, str]] = {
    "occurred_on": (gettext_lazy("发生日期"), "occurred"),
    "listed_on": (gettext_lazy("列入日期"), "listed"),
}


def _today() -> dt.date:
    return timezone.localdate()


def regrade(enterprise: Enterprise, *, today: dt.date | None = None) -> CreditStanding:
    """Grade the enterprise again and keep the result; call inside the caller's transaction."""
    today = today or _today()
    version, card = active_scorecard()
    result = grade_records(scorecard_records(enterprise), card, today=today)
    standing, _created = CreditStanding.objects.update_or_create(
        enterprise=enterprise,
        defaults={
            "score": result.score,
            "grade": result.grade,
            "listed": result.listed,
            "as_of": today,
            "scorecard": version,
            "graded_at": timezone.now(),
        },
    )
    return standing


def check_fact_date(day: dt.date, enterprise: Enterprise, *, field: str) -> None:
    """Refuse a typed date of a fact that the enterprise cannot have had on that day.

    A fact dates from no earlier than 1949-10-01, nor from before the
    enterprise was established when its register knows that date: nothing
    can be decided about an enterprise that did not exist yet. The dates the
    platform sets itself (an alarm's, an inspection's, a 12345 case's) are not
    checked here: a device whose clock fell back to 1970 must not keep its
    alarm from being closed. A date after today is refused by ``_checked``.
    """
    label, prefix = _FACT_DATES[field]
    if day < EARLIEST_FACT_DATE:
        raise InvalidInput(
            _("%(label)s不能早于1949年10月1日。") % {"label": label},
            code=f"{prefix}_too_early",
            detail={"fields": {field: "invalid"}, "earliest": EARLIEST_FACT_DATE.isoformat()},
        )
    established = enterprise.established_on
    if established is not None and day < established:
        raise InvalidInput(
            _("%(label)s不能早于企业成立日期（%(established)s）。")
            % {"label": label, "established": established.isoformat()},
            code=f"{prefix}_before_establishment",
            detail={"fields": {field: "invalid"}, "earliest": established.isoformat()},
        )


def _checked(
    kind: str,
    occurred_on: dt.date,
    severity: str,
    count: int,
    description: str,
    *,
    enterprise: Enterprise | None = None,
) -> scoring.CreditRecord:
    """The record as the scorecard reads it, or a refusal naming every problem at once.

    With ``enterprise``, the date is also checked against its establishment
    (``check_fact_date``).
    """
    problems = Problems()
    if kind not in CreditKind.values:
        problems.add(
            InvalidInput(
                _("信用记录类型无效。"),
                code="invalid_credit_kind",
                detail={"fields": {"kind": "invalid"}},
            )
        )
    problems.check(lambda: _checked_description(description))
    if occurred_on > _today():
        problems.add(
            InvalidInput(
                _("发生日期不能晚于今天。"),
                code="occurred_in_future",
                detail={"fields": {"occurred_on": "invalid"}},
            )
        )
    elif enterprise is not None:
        problems.check(lambda: check_fact_date(occurred_on, enterprise, field="occurred_on"))
    checked = None
    if kind in CreditKind.values:
        checked = problems.check(lambda: _scored(kind, occurred_on, severity, count))
    problems.refuse()
    assert checked is not None
    return checked


def _checked_description(description: str) -> None:
    if not visible_text(description):
        raise InvalidInput(
            _("请填写信用记录的内容。"),
            code="description_required",
            detail={"fields": {"description": "required"}},
        )
    refuse_control_characters(description, "description")


def _scored(kind: str, occurred_on: dt.date, severity: str, count: int) -> scoring.CreditRecord:
    try:
        return scoring.CreditRecord(
            kind=kind, occurred_on=occurred_on, severity=severity, count=count
        )
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            _("信用记录的情节或次数无效。"),
            code="invalid_credit_record",
            detail={"reason": str(error)},
        ) from None


def add_credit_record(
    enterprise: Enterprise,
    kind: str,
    occurred_on: dt.date,
    description: str,
    *,
    recorded_by: str,
    severity: str = "",
    count: int = 1,
    authority: str = "",
    source_ref: str = "",
    request_key: str = "",
    request_digest: str = "",
) -> CreditRecord | None:
    """Write one credit record and regrade, inside the caller's transaction and ledger entry.

    Returns None when a record with the same non-empty ``source_ref`` is
    already on the enterprise's file, so automatic recording can run twice.
    """
    checked = _checked(kind, occurred_on, severity, count, description)
    if (
        source_ref
        and CreditRecord.objects.filter(enterprise=enterprise, source_ref=source_ref).exists()
    ):
        return None
    try:
        with transaction.atomic():
            record = CreditRecord.objects.create(
                enterprise=enterprise,
                kind=kind,
                severity=checked.severity,
                occurred_on=occurred_on,
                count=count,
                description=description.strip()[:500],
                description_message=message_of(description),
                authority=authority.strip()[:128],
                source_ref=source_ref[:128],
                recorded_by=recorded_by[:64],
                recorded_at=timezone.now(),
                request_key=request_key,
                request_digest=request_digest,
            )
    except IntegrityError:
        if request_key and CreditRecord.objects.filter(request_key=request_key).exists():
            # The same request sent twice at once: the other sending recorded
            # it. Raised so that its caller (found_or_made) answers with that
            # record, not with a refusal of the source.
            raise
        # The same source recorded by a concurrent run.
        return None
    regrade(enterprise)
    return record


@dataclass(frozen=True, slots=True)
class CreditRequest:
    """What a regulator asks to put on an enterprise's credit file."""

    enterprise: Enterprise
    kind: str
    occurred_on: dt.date
    description: str
    severity: str = ""
    count: int = 1
    authority: str = ""
    source_ref: str = ""

    def checked(self) -> scoring.CreditRecord:
        """Refuse what the request may not ask for; return the record as the scorecard reads it."""
        return _checked(
            self.kind,
            self.occurred_on,
            self.severity,
            self.count,
            self.description,
            enterprise=self.enterprise,
        )

    def digest(self) -> str:
        """What the request asked for: the same request sent again digests the same."""
        # The severity as the scorecard reads it, so that 较重 and major are one request.
        checked = self.checked()
        fields = [
            self.enterprise.credit_code,
            self.kind,
            checked.severity,
            self.occurred_on.isoformat(),
            str(self.count),
            self.description.strip(),
            self.authority.strip(),
            self.source_ref,
        ]
        return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Recorded:
    record: CreditRecord
    # The same request was sent before: ``record`` is the one it made then.
    repeated: bool


def do_record_credit(
    enterprise: Enterprise,
    kind: str,
    occurred_on: dt.date,
    description: str,
    *,
    actor: Actor,
    severity: str = "",
    count: int = 1,
    authority: str = "",
    source_ref: str = "",
    form_key: str = "",
) -> CreditRecord:
    """Put a fact on an enterprise's credit file (e.g. a penalty decision) and regrade it.

    ``form_key`` is the one-time key of the page's form: the same form sent
    twice (a double click, a resend after a timeout) records once, and the
    second sending is answered with the first one's record.
    """
    asked = CreditRequest(
        enterprise, kind, occurred_on, description, severity, count, authority, source_ref
    )
    if not form_key:
        asked.checked()
        return _record_credit(asked, actor=actor)
    digest = asked.digest()
    # The key is made with what the form asked for: the form changed and sent
    # again (back in the browser, edited) is a record of its own, and the
    # changed form sent twice is still one.
    key = caller_key(actor.ref, f"form:{form_key}\n{digest}")
    record, _repeated = found_or_made(
        lambda: CreditRecord.objects.filter(request_key=key).first(),
        lambda: _record_credit(asked, actor=actor, request_key=key, request_digest=digest),
    )
    return record


def _recorded_before(key: str, digest: str) -> CreditRecord | None:
    """The record made under ``key``, refused if that request asked for something else."""
    record = CreditRecord.objects.filter(request_key=key).first()
    if record is None:
        return None
    if record.request_digest != digest:
        raise key_reused(
            _(
                "该幂等键已用于另一条内容不同的信用记录（记录编号 %(id)s）。"
                "重发同一请求时请原样发送；新的信用记录请使用新的幂等键。"
            )
            % {"id": record.pk},
            {"record": record.pk},
        )
    return record


def do_record_credit_once(asked: CreditRequest, idempotency_key: str, *, actor: Actor) -> Recorded:
    """Put a fact sent with a caller's idempotency key on the credit file once, however often sent.

    A client retries a request whose answer it never got (a timeout): the
    retry is answered with the record the first sending made, with no second
    record, regrading or ledger entry; a doubled penalty would lower the
    grade and so raise how often the enterprise is inspected. The same key
    with another request is refused (``idempotency_key_reused``), since one
    of the two would otherwise be lost. The key is the caller's own: another
    account's same key is another request.
    """
    checked_idempotency_key(idempotency_key)
    # The digest checks the request first: a bad one is refused for what is
    # wrong with it, as its first sending was, not as a reused key.
    digest = asked.digest()
    key = caller_key(actor.ref, idempotency_key)
    record, repeated = found_or_made(
        lambda: _recorded_before(key, digest),
        lambda: _record_credit(asked, actor=actor, request_key=key, request_digest=digest),
    )
    return Recorded(record, repeated=repeated)


def _record_credit(
    asked: CreditRequest, *, actor: Actor, request_key: str = "", request_digest: str = ""
) -> CreditRecord:
    enterprise, kind, count, source_ref = (
        asked.enterprise,
        asked.kind,
        asked.count,
        asked.source_ref,
    )
    with transaction.atomic(durable=True):
        record = add_credit_record(
            enterprise,
            kind,
            asked.occurred_on,
            asked.description,
            recorded_by=actor.label,
            severity=asked.severity,
            count=count,
            authority=asked.authority,
            source_ref=source_ref,
            request_key=request_key,
            request_digest=request_digest,
        )
        if record is None:
            raise Conflict(
                _("该来源的信用记录已经登记。"),
                code="credit_record_exists",
                detail={"fields": {"source_ref": "invalid"}},
            )
        standing = CreditStanding.objects.get(enterprise=enterprise)
        record_entry(
            actor=actor,
            action="regulation.record_credit",
            subject_type=SUBJECT,
            subject_id=enterprise.credit_code,
            data={
                "record": record.pk,
                "kind": kind,
                "severity": record.severity,
                "occurred_on": asked.occurred_on.isoformat(),
                "count": count,
                "source": source_ref,
                "grade": standing.grade,
                "score": standing.score,
            },
        )
    return record


def do_regrade_enterprises(
    *, actor: Actor, enterprises: Iterable[Enterprise] | None = None, today: dt.date | None = None
) -> dict[str, int]:
    """Regrade enterprises (every one with a record or a grade, by default) as of today.

    Returns how many were graded and how many changed grade; one ledger
    entry lists the changes.
    """
    today = today or _today()
    if enterprises is None:
        enterprises = Enterprise.objects.filter(credit_records__isnull=False).distinct()
    changed: dict[str, str] = {}
    graded = 0
    with transaction.atomic(durable=True):
        before = dict(CreditStanding.objects.values_list("enterprise_id", "grade"))
        for enterprise in enterprises:
            standing = regrade(enterprise, today=today)
            graded += 1
            if before.get(enterprise.pk) != standing.grade:
                changed[enterprise.credit_code] = standing.grade
        record_entry(
            actor=actor,
            action="regulation.regrade",
            subject_type=SUBJECT,
            subject_id=today.isoformat(),
            data={"graded": graded, "changed": changed},
        )
    return {"graded": graded, "changed": len(changed)}


def do_publish_scorecard(config: Any, note: str, *, actor: Actor) -> ScorecardVersion:
    """Make a new scorecard version active after checking it, and regrade everyone by it."""
    try:
        card = scoring.Scorecard.from_dict(config)
    except scoring.ScorecardError as error:
        raise InvalidInput(
            _("评分规则有误。"), code="invalid_scorecard", detail={"problems": list(error.problems)}
        ) from None
    note = visible_text(note)
    if not note:
        raise InvalidInput(
            _("请填写修订说明。"), code="note_required", detail={"fields": {"note": "invalid"}}
        )
    refuse_control_characters(note, "note")
    today = _today()
    with transaction.atomic(durable=True):
        last = ScorecardVersion.objects.select_for_update().order_by("-number").first()
        ScorecardVersion.objects.filter(is_active=True).update(is_active=False)
        version = ScorecardVersion.objects.create(
            number=(last.number if last else 0) + 1,
            config=card.to_dict(),
            note=note[:300],
            is_active=True,
            created_by=actor.label[:64],
            created_at=timezone.now(),
        )
        graded = 0
        for enterprise in Enterprise.objects.filter(credit_standing__isnull=False):
            regrade(enterprise, today=today)
            graded += 1
        record_entry(
            actor=actor,
            action="regulation.publish_scorecard",
            subject_type=SUBJECT,
            subject_id=f"scorecard-{version.number}",
            data={"number": version.number, "config": version.config, "regraded": graded},
        )
    return version
