"""Every state change of the hotline: one transaction and one ledger entry each.

Intake (``do_submit_case``) merges a person's repeat into their open case,
links similar cases of other people (并单), classifies and locates the
message and routes it to a department, or queues it for a dispatcher.
Dispatch, sign-for, return, recall, extensions, 催办/督办, reply, rating and reopening
follow the table in ``states.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from zhengtong.core.actors import Actor
from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import Conflict, InvalidInput, PermissionDenied
from zhengtong.core.i18n import message_of, stored_label, stored_text
from zhengtong.core.idempotency import (
    caller_key,
    checked_idempotency_key,
    found_or_made,
    key_reused,
)
from zhengtong.core.models import Department, Enterprise, Region
from zhengtong.core.selectors import find_enterprise_by_credit_code
from zhengtong.core.validators import has_visible_text, validate_credit_code
from zhengtong.hotline import routing
from zhengtong.hotline.access import overview_area
from zhengtong.hotline.hot_issues import HotIssue
from zhengtong.hotline.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    CaseLink,
    ExtensionRequest,
    HotIssueAlert,
    HotIssueAlertNotice,
    HotIssueSnapshot,
    LabelledExample,
    Notification,
)
from zhengtong.hotline.reply_quality import score_reply
from zhengtong.hotline.selectors import (
    AREA_ISSUES,
    CITY_ISSUES,
    EXTENSION_WITHDRAWN_ON_ESCALATION,
    SNAPSHOT_WINDOWS,
    AlertInArea,
    alerts_within,
    categories,
    handling_departments,
    issue_as_dict,
    mine_recent_hot_issues,
    overdue_cases_to_urge,
    overview_holders,
)
from zhengtong.hotline.senders import Sender, known_sender
from zhengtong.hotline.similar_messages import (
    RELATED,
    SAME_MATTER,
    MessageFingerprint,
    fingerprint,
    most_similar,
)
from zhengtong.hotline.states import (
    OPEN_STATES,
    CaseState,
    Channel,
    EventKind,
    ExtensionState,
    LimitUnit,
    Rating,
    RoutedBy,
    Urgency,
    check_transition,
)
from zhengtong.hotline.time_limits import (
    Limits,
    dispatch_due,
    extend_reply_clock,
    limits_for,
    recounted_reply_due,
    start_reply_clock,
    stop_reply_clock,
)
from zhengtong.hotline.time_limits import reply_due as counted_reply_due
from zhengtong.identity.actors import ANONYMOUS, actor_of
from zhengtong.identity.models import User
from zhengtong.ledger.actions import record_entry
from zhengtong.regulation.credit_actions import add_credit_record
from zhengtong.regulation.models import CreditKind

MAX_TITLE = 200
MAX_CONTENT = 5000
MIN_CONTENT = 5
MAX_LOCATION = 200
MAX_CONTACT_NAME = 64
# A message's time of receipt may lie this far back at most: an older time is
# a typing or conversion error (a workbook's "1900-01-01"), and a case dated
# then would be overdue from the start. History older than that is not
# loaded as cases.
MAX_RECEIVED_AGE = dt.timedelta(days=366)
RECEIVED_TOO_OLD = gettext_lazy("受理时间早于一年以前，请核对。")
# More than any city's residents; the column holds up to 2,147,483,647.
MAX_SUPPORTERS = 100_000_000
TOO_MANY_SUPPORTERS = gettext_lazy("附议数不能超过一亿。")
MAX_NOTE = 2000
MAX_REPLY = 5000
# A draft the reply-quality preview scores: room to paste and cut down a long
# text, while nobody can make the server score megabytes.
MAX_REPLY_DRAFT = 20_000
MAX_EXTENSION_DAYS = 30
# How many recent cases of the same suggested category a new message is
# compared with for 并单 (decoding a fingerprint costs about 80 µs).
SIMILAR_CANDIDATES = 1000
LINKS_PER_CASE = 10
ALLOWED_ATTACHMENT_TYPES = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/webp": b"RIFF",
    "application/pdf": b"%PDF-",
}
# ASCII digits only: ``\d`` would also take other scripts' digits, stored as typed.
# A mobile, a landline with its area code, or an enterprise's 400/800 number.
_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|[48]00[0-9]{7})$")
# A landline as dialled within its own city (88881234): local numbers start
# with 2 to 9, since 0 opens an area code and 1 a mobile or a service number.
_LOCAL_LANDLINE = re.compile(r"^[2-9][0-9]{6,7}$")
# An enterprise's 400/800 number, the same from anywhere in China.
_SERVICE_NUMBER = re.compile(r"^[48]00[0-9]{7}$")


# Set while history is loaded (``acting_as_of``): the moment the actions take place.
_as_of: ContextVar[dt.datetime | None] = ContextVar("hotline_as_of", default=None)


@contextmanager
def acting_as_of(moment: dt.datetime) -> Iterator[None]:
    """Run the hotline's actions as if at ``moment``, a time in the past.

    For loading history: the demo's weeks of messages, or the cases of a
    centre's previous system with their dates. The cases' times, events,
    deadlines and notifications take that moment; the ledger entries are
    still dated when they are written, as the ledger records what was written
    when. A moment in the future is refused, so nothing is dated ahead of it.
    """
    if timezone.is_naive(moment):
        raise ValueError("acting_as_of needs an aware datetime")
    if moment > timezone.now() + dt.timedelta(minutes=5):
        raise ValueError("acting_as_of cannot act in the future")
    token = _as_of.set(moment)
    try:
        yield
    finally:
        _as_of.reset(token)


def _now() -> dt.datetime:
    return _as_of.get() or timezone.now()


def _refuse(message: str, code: str, *, field: str | None = None, **facts: Any) -> InvalidInput:
    detail: dict[str, Any] = {"fields": {field: message}} if field else {}
    return InvalidInput(message, code=code, detail={**detail, **facts})


def _clean_text(value: str, *, field: str, maximum: int, required: bool, label: str) -> str:
    # A line break is one character however it was sent (CR LF from a
    # browser's form or a Windows system), as the pages' textareas count it.
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    # Text of nothing but zero-width or other invisible characters (U+200B,
    # U+FEFF pasted from a web page) says nothing: it is no content, no reply.
    if not has_visible_text(value):
        value = ""
    if required and not value:
        raise _refuse(_("请填写%(label)s。") % {"label": label}, f"{field}_required", field=field)
    if len(value) > maximum:
        raise _refuse(
            _("%(label)s不能超过 %(max)d 个字。") % {"label": label, "max": maximum},
            f"{field}_too_long",
            field=field,
        )
    return value


def _in_words(value: str, *, field: str, label: str) -> str:
    # A reply or a reason of punctuation or symbols alone ("。。。", "……",
    # "👍") passes as text but tells the citizen or the dispatcher nothing:
    # it would close the department's part of the case without an answer.
    if value and not any(unicodedata.category(char)[0] in "LN" for char in value):
        raise _refuse(
            _("%(label)s不能只有标点或符号，请用文字写明。") % {"label": label},
            f"{field}_without_words",
            field=field,
        )
    return value


def _reply_text(reply: str, *, maximum: int) -> str:
    """The reply as it is sent, or the refusal of one that answers nothing (blank, no words)."""
    label = _("答复内容")
    return _in_words(
        _clean_text(reply, field="reply", maximum=maximum, required=True, label=label),
        field="reply",
        label=label,
    )


def checked_reply_draft(draft: str) -> str:
    """The draft reply to score before it is sent, as the reply would be sent.

    A draft too long to score is refused; so is one the reply would refuse
    for its text (``reply_required``, ``reply_without_words``): a score for a
    reply that cannot be sent would be advice about nothing.
    """
    if len(draft) > MAX_REPLY_DRAFT:
        raise _refuse(
            _("%(label)s不能超过 %(max)d 个字。")
            % {"label": _("答复草稿"), "max": MAX_REPLY_DRAFT},
            "reply_too_long",
            field="reply",
        )
    # The draft may be longer than a reply (MAX_REPLY), to be cut down while scored.
    return _reply_text(draft, maximum=MAX_REPLY_DRAFT)


def _lock(case: Case) -> Case:
    """Lock the case's row for the rest of the transaction and return it as committed now.

    Actions lock in one order: the case before the rows that hang off it
    (its extension requests), and several cases by their primary key. Two
    actions at once then queue for the same first row instead of each
    holding a row the other waits for, which PostgreSQL ends as a deadlock.
    """
    return Case.objects.select_for_update().get(pk=case.pk)


# Linking, routing and queueing happen by themselves when a message comes in: the
# history names the platform, not the citizen or agent whose message set them off.
AUTOMATIC = Actor.system("hotline.routing")


def _event(
    case: Case,
    kind: str,
    actor: Actor,
    *,
    at: dt.datetime,
    note: str = "",
    department: Department | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        state_after=case.state,
        actor=actor.label[:64],
        department=department,
        note=note,
        data=data or {},
        at=at,
    )


def _ledger(case: Case, action: str, actor: Actor, **data: Any) -> None:
    record_entry(
        actor=actor,
        action=f"hotline.{action}",
        subject_type="hotline.case",
        subject_id=case.number,
        data={"state": case.state, **data},
    )


def _move(case: Case, target: str, step: str) -> str:
    check_transition(case.state, target, step)
    case.state = target
    return step


def _notify(department: Department, case: Case, kind: str, text: str, at: dt.datetime) -> None:
    Notification.objects.create(
        department=department,
        case=case,
        kind=kind,
        text=text[:300],
        message=message_of(text),
        created_at=at,
    )


# --- intake ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class CaseInput:
    content: str
    channel: str
    title: str = ""
    location_text: str = ""
    urgency: str = Urgency.NORMAL
    anonymous: bool = False
    contact_name: str = ""
    contact_phone: str = ""
    attachments: tuple[NewAttachment, ...] = ()
    # When the message came in (a call-centre system or an import may give it).
    received_at: dt.datetime | None = None
    supporters: int = 0
    # "<import id>:<row>" for a row of a bulk import.
    import_row: str = ""
    # The one-time key of the page's form it was sent with (see Case.submission_key).
    submission_key: str = ""


# What people write around a number's digits: spaces, hyphens and the brackets
# of an area code, "(0731) 8888-1234".
_NUMBER_SEPARATORS = re.compile(r"[\s()-]")
# China's country code, as a phone's contacts and autofill write a number
# ("+86 138 1234 5678") and as call-centre systems pass on a caller's line.
_CHINA = re.compile(r"^(?:\+|00)86")


def dialled_number(phone: str) -> str:
    """Return a contact number as the callback dials it within China, in ASCII digits.

    One number is one caller however it is written (0731-88881234,
    073188881234, +86 731 8888 1234, and 88881234 in the centre's own city,
    ``HOTLINE_AREA_CODE``): repeats are found by comparing the stored number.
    A Chinese input method in full-width mode types
    １３８１２３４５６７８ and －: the same number.
    """
    number = _NUMBER_SEPARATORS.sub("", unicodedata.normalize("NFKC", phone or ""))
    china = _CHINA.match(number)
    if china is not None:
        national = number[china.end() :]
        # Written for callers abroad, a landline drops its area code's 0; a
        # 400/800 number has no area code to drop.
        keep = national.startswith(("0", "1")) or _SERVICE_NUMBER.fullmatch(national)
        number = national if keep else f"0{national}"
    elif _LOCAL_LANDLINE.fullmatch(number):
        # The centre's own city: a callback dials it with the area code, and
        # 88881234 is the same caller as 0731-88881234.
        number = f"{settings.HOTLINE_AREA_CODE}{number}"
    return number


def checked_contact_phone(phone: str, *, anonymous: bool, has_account: bool, channel: str) -> str:
    """The contact number as stored ("" for an anonymous message), or the refusal.

    The citizen form checks it too, so that its page names this problem
    beside any other at once.
    """
    phone = dialled_number(phone)
    if phone and not _PHONE.fullmatch(phone):
        raise _refuse(_("联系电话格式不正确。"), "invalid_phone", field="contact_phone")
    if anonymous:
        return ""
    if not phone and not has_account and channel in (Channel.WEB, Channel.APP):
        # Online, without an account or a phone nobody could be called back;
        # calls and imports come with whatever contact the other channel had.
        raise _refuse(
            _("请留下联系电话，或选择匿名反映（匿名诉求不回访）。"),
            "contact_required",
            field="contact_phone",
        )
    return phone


def checked_message_text(content: str, title: str, location_text: str) -> tuple[str, str, str]:
    """A message's content, title and place as registering it checks them, cleaned.

    For a suggestion without registering (classify): the text is refused by
    the codes a registration of it would be refused by (``content_required``,
    ``content_too_long``, ``title_too_long``, ``location_text_too_long``).
    """
    return (
        _clean_text(
            content, field="content", maximum=MAX_CONTENT, required=True, label=_("诉求内容")
        ),
        _clean_text(title, field="title", maximum=MAX_TITLE, required=False, label=_("标题")),
        _clean_text(
            location_text,
            field="location_text",
            maximum=MAX_LOCATION,
            required=False,
            label=_("事发地点"),
        ),
    )


def _checked_input(data: CaseInput, *, has_account: bool) -> CaseInput:
    content = _clean_text(
        data.content, field="content", maximum=MAX_CONTENT, required=True, label=_("诉求内容")
    )
    if len(content) < MIN_CONTENT:
        raise _refuse(_("请把诉求写得具体一些。"), "content_too_short", field="content")
    title = _clean_text(
        data.title, field="title", maximum=MAX_TITLE, required=False, label=_("标题")
    )
    location = _clean_text(
        data.location_text,
        field="location_text",
        maximum=MAX_LOCATION,
        required=False,
        label=_("事发地点"),
    )
    if data.channel not in Channel.values:
        raise _refuse(_("渠道无效。"), "invalid_channel", field="channel")
    if data.urgency not in Urgency.values:
        raise _refuse(_("紧急程度无效。"), "invalid_urgency", field="urgency")
    name = _clean_text(
        data.contact_name,
        field="contact_name",
        maximum=MAX_CONTACT_NAME,
        required=False,
        label=_("联系人"),
    )
    phone = checked_contact_phone(
        data.contact_phone, anonymous=data.anonymous, has_account=has_account, channel=data.channel
    )
    if data.anonymous:
        name = ""
    if len(data.attachments) > settings.HOTLINE_MAX_ATTACHMENTS:
        raise _refuse(
            _("附件最多 %(n)d 个。") % {"n": settings.HOTLINE_MAX_ATTACHMENTS},
            "too_many_attachments",
            field="attachments",
        )
    for attachment in data.attachments:
        _check_attachment(attachment)
    received_at = data.received_at
    if received_at is not None and timezone.is_naive(received_at):
        # A call-centre system or a workbook gives the time as the clock on
        # the wall showed it: Beijing time, as in the bulk import.
        received_at = timezone.make_aware(received_at)
    if received_at is not None and received_at > _now() + dt.timedelta(minutes=5):
        raise _refuse(_("受理时间不能晚于现在。"), "received_in_future", field="received_at")
    if received_at is not None and received_at < _now() - MAX_RECEIVED_AGE:
        raise _refuse(str(RECEIVED_TOO_OLD), "received_too_old", field="received_at")
    if data.supporters < 0:
        raise _refuse(_("附议数不能为负数。"), "invalid_supporters", field="supporters")
    if data.supporters > MAX_SUPPORTERS:
        raise _refuse(str(TOO_MANY_SUPPORTERS), "too_many_supporters", field="supporters")
    return CaseInput(
        content=content,
        channel=data.channel,
        title=title,
        location_text=location,
        urgency=data.urgency,
        anonymous=data.anonymous,
        contact_name=name,
        contact_phone=phone,
        attachments=data.attachments,
        received_at=received_at,
        supporters=data.supporters,
        import_row=data.import_row,
        submission_key=data.submission_key,
    )


def _check_attachment(attachment: NewAttachment) -> None:
    magic = ALLOWED_ATTACHMENT_TYPES.get(attachment.content_type)
    if magic is None or not attachment.data.startswith(magic):
        raise _refuse(
            _("附件“%(name)s”不是 JPG、PNG、WebP 图片或 PDF 文件。") % {"name": attachment.name},
            "invalid_attachment_type",
            field="attachments",
        )
    if len(attachment.data) > settings.HOTLINE_MAX_ATTACHMENT_BYTES:
        raise _refuse(
            _("附件“%(name)s”超过 %(mb)d MB。")
            % {"name": attachment.name, "mb": settings.HOTLINE_MAX_ATTACHMENT_BYTES // 1048576},
            "attachment_too_large",
            field="attachments",
        )


def _repeat_of(
    sender: Sender | None, print_: MessageFingerprint, since: dt.datetime
) -> tuple[Case, float] | None:
    """Return the sender's open case this message repeats, with the similarity."""
    if sender is None:
        return None
    candidates = [
        (case, MessageFingerprint.from_json(case.fingerprint))
        for case in Case.objects.filter(
            sender.cases(), state__in=OPEN_STATES, received_at__gte=since, merged_into=None
        ).only("pk", "fingerprint", "number", "state", "department_id")[:200]
        if case.fingerprint
    ]
    best = most_similar(print_, [(i, fp) for i, (_c, fp) in enumerate(candidates)], 1)
    if best and best[0][1] >= SAME_MATTER:
        return candidates[best[0][0]][0], best[0][1]
    return None


_URGENCY_RANK: dict[str, int] = {Urgency.NORMAL: 0, Urgency.URGENT: 1, Urgency.CRITICAL: 2}


def _more_urgent(urgency: str, than: str) -> bool:
    return _URGENCY_RANK.get(urgency, 0) > _URGENCY_RANK.get(than, 0)


def _escalate(original: Case, urgency: str, called_at: dt.datetime) -> bool:
    """Raise a case to a repeat's higher urgency and count its running deadline anew.

    The deadline that runs now (dispatch while queued, reply while handled)
    becomes what the new urgency allows from ``called_at``, the moment the
    centre learnt of it (the call, which a call-centre system or an import
    may register later), unless the case is due sooner already: escalating
    never gives a department more time. Returns whether the reply deadline
    was counted anew.
    """
    limits = limits_for(urgency, original.category or original.predicted_category)
    original.urgency = urgency
    recounted = False
    if original.state == CaseState.DISPATCHING:
        original.dispatch_due = min(original.dispatch_due, dispatch_due(called_at, limits))
    elif original.state in (CaseState.ASSIGNED, CaseState.HANDLING) and (
        original.reply_due is None or counted_reply_due(called_at, limits) < original.reply_due
    ):
        start_reply_clock(original, called_at, limits)
        recounted = True
    original.save()
    return recounted


def _similar_cases(
    print_: MessageFingerprint,
    since: dt.datetime,
    sender: Sender | None,
    category: str,
    place: tuple[str | None, str | None],
) -> list[tuple[int, float]]:
    """Return the similar cases of other people about the same place, best first.

    Similar words about different places are different matters (烧烤油烟 in
    two estates, two building sites on two roads): a link needs the same
    district (or none named on either side) and, where both name a street,
    the same street.
    """
    district_id, street_id = place
    queryset = Case.objects.filter(
        received_at__gte=since, merged_into=None, district_id=district_id
    ).exclude(state=CaseState.MERGED)
    if street_id is not None:
        queryset = queryset.filter(Q(street_id=street_id) | Q(street_id=None))
    if category:
        # Messages about one matter are almost always given one category;
        # comparing within it keeps intake fast as the window fills up.
        queryset = queryset.filter(predicted_category=category)
    if sender is not None:
        queryset = queryset.exclude(sender.cases())
    rows = list(
        queryset.order_by("-received_at").values_list("pk", "fingerprint")[:SIMILAR_CANDIDATES]
    )
    prints = [(pk, MessageFingerprint.from_json(text)) for pk, text in rows if text]
    return [
        (pk, score)
        for pk, score in most_similar(print_, prints, LINKS_PER_CASE)
        if score >= RELATED
    ]


def _known_region(code: str | None) -> str | None:
    # The resolver knows the whole national list; the register may hold only
    # the regions this installation loaded.
    if code and Region.objects.filter(code=code).exists():
        return code
    return None


def _new_number(now: dt.datetime) -> str:
    return f"{timezone.localtime(now):%Y%m%d}{secrets.randbelow(10**8):08d}"


def _sent_before(data: CaseInput) -> Case | None:
    """The case the same form already registered, if this is that form sent again."""
    case = Case.objects.filter(submission_key=data.submission_key).first()
    if case is None or (case.title, case.content) != (data.title, data.content):
        return None
    return case


def do_submit_case(
    data: CaseInput,
    *,
    actor: Actor,
    citizen_id: int | None = None,
    entered_by: str = "",
) -> Case:
    """Register a message; merge a repeat, link similar cases, and route or queue it.

    The same page form sent again (``submission_key``, the same text) is the
    case it registered the first time, not a second one.
    """
    data = _checked_input(data, has_account=citizen_id is not None)
    if not data.submission_key:
        return _register_case(data, actor=actor, citizen_id=citizen_id, entered_by=entered_by)
    sent = _sent_before(data)
    if sent is not None:
        return sent
    if Case.objects.filter(submission_key=data.submission_key).exists():
        # The form was changed and sent again (back in the browser, edited):
        # a message of its own.
        data = replace(data, submission_key="")
    try:
        return _register_case(data, actor=actor, citizen_id=citizen_id, entered_by=entered_by)
    except IntegrityError:
        # Both sendings at once: the other one registered the case first.
        sent = _sent_before(data)
        if sent is None:
            raise
        return sent


@dataclass(frozen=True, slots=True)
class Submission:
    case: Case
    # The same request was sent before: ``case`` is the one it registered then.
    repeated: bool


def _request_digest(data: CaseInput) -> str:
    """What a request asked for, after the checks: the same call sent again digests the same."""
    fields = [
        data.channel,
        data.title,
        data.content,
        data.location_text,
        data.urgency,
        str(data.anonymous),
        data.contact_name,
        data.contact_phone,
        data.received_at.isoformat() if data.received_at else "",
        str(data.supporters),
        *(hashlib.sha256(a.data).hexdigest() for a in data.attachments),
    ]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def _requested_before(key: str, digest: str) -> Case | None:
    """The case registered under ``key``, refused if that request asked for something else."""
    case = Case.objects.filter(submission_key=key).first()
    if case is None:
        return None
    received = case.events.filter(kind=EventKind.RECEIVED).first()
    if received is None or received.data.get("request") != digest:
        raise key_reused(
            _(
                "该幂等键已用于另一条内容不同的诉求（工单 %(number)s）。"
                "重发同一请求时请原样发送；新的诉求请使用新的幂等键。"
            )
            % {"number": case.number},
            {"case": case.number},
        )
    return case


def do_submit_case_once(
    data: CaseInput,
    idempotency_key: str,
    *,
    actor: Actor,
    citizen_id: int | None = None,
    entered_by: str = "",
) -> Submission:
    """Register a message sent with a caller's idempotency key once, however often it is sent.

    A call-centre system retries a request whose answer it never got (a
    timeout): the retry is answered with the case the first one registered,
    with no second case or ledger entry. The key is the caller's own, so
    another caller's same key is another message; the same key with another
    message is refused (``idempotency_key_reused``), since one of the two
    would otherwise be lost.
    """
    checked_idempotency_key(idempotency_key)
    data = _checked_input(data, has_account=citizen_id is not None)
    # Stored in the column the pages' one-time form keys use, made from the
    # caller and their key: one caller's key never finds another's case.
    key = caller_key(actor.ref, idempotency_key)
    digest = _request_digest(data)
    case, repeated = found_or_made(
        lambda: _requested_before(key, digest),
        lambda: _register_case(
            replace(data, submission_key=key),
            actor=actor,
            citizen_id=citizen_id,
            entered_by=entered_by,
            request_digest=digest,
        ),
    )
    return Submission(case, repeated=repeated)


def _register_case(
    data: CaseInput,
    *,
    actor: Actor,
    citizen_id: int | None,
    entered_by: str,
    request_digest: str = "",
) -> Case:
    if data.anonymous and citizen_id is not None:
        # Anonymity must hold in the history and the ledger as well as on the
        # case: a signed-in citizen's anonymous message is recorded as a
        # visitor's from the same channel is (市民（网站）), not under their account.
        actor = ANONYMOUS
    now = _now()
    received_at = data.received_at or now
    print_ = fingerprint(data.title, data.content)
    since = received_at - dt.timedelta(days=settings.HOTLINE_REPEAT_DAYS)
    # Who is known to have sent it (``senders``): their open case takes a
    # repeat, and their other cases are never linked to it as another's.
    sender = known_sender(
        citizen_id, data.contact_phone, entered_by=entered_by, anonymous=data.anonymous
    )
    suggestion = routing.suggest(data.location_text, data.title, data.content)
    prediction = suggestion.prediction
    place = suggestion.place
    district_id = _known_region(place.district_code if place else None)
    street_id = _known_region(place.street_code if place else None)
    # Read before the transaction, so the write lock is not held while comparing.
    links = _similar_cases(
        print_, since, sender, prediction.label if prediction else "", (district_id, street_id)
    )

    with transaction.atomic(durable=True):
        found = _repeat_of(sender, print_, since)
        original: Case | None = None
        escalated_from = ""
        separate_from: Case | None = None
        if found is not None:
            original = _lock(found[0])
            if original.state not in OPEN_STATES or original.merged_into_id is not None:
                # Closed (or merged) by someone else since it was read: under
                # READ COMMITTED the lock returns the row as committed now. A
                # repeat merged into a closed case would wait for nobody, so
                # the message becomes a case of its own.
                original = None
            elif _more_urgent(data.urgency, original.urgency):
                # The person calls again because it got worse (现在已经有人中毒晕倒).
                # A 12345 centre escalates the case it already has (加急): the
                # department that knows the matter keeps it, told at once, with
                # the deadline of the new urgency counted from now. Routing a
                # second case would split one matter between two handlers and
                # wait for a dispatcher again. Once the original is answered
                # and only awaits the callback, no deadline runs on it to be
                # shortened: the urgent message is then its own case, routed
                # normally and linked (并单) to the answered one.
                if original.state == CaseState.REPLIED:
                    separate_from = original
                    others = [link for link in links if link[0] != original.pk]
                    links = [(original.pk, found[1]), *others[: LINKS_PER_CASE - 1]]
                    original = None
                else:
                    escalated_from = original.urgency
        limits = limits_for(data.urgency, prediction.label if prediction else "")
        case = Case(
            number=_new_number(now),
            tracking_code=secrets.token_urlsafe(16),
            channel=data.channel,
            urgency=data.urgency,
            title=data.title,
            content=data.content,
            location_text=data.location_text,
            anonymous=data.anonymous,
            contact_name=data.contact_name,
            contact_phone=data.contact_phone,
            citizen_id=None if data.anonymous else citizen_id,
            entered_by=entered_by[:64],
            received_at=received_at,
            district_id=district_id,
            street_id=street_id,
            place_evidence=list(place.matched) if place else [],
            predicted_category=prediction.label if prediction else "",
            confidence=prediction.confidence if prediction else None,
            classifier_version=suggestion.version,
            dispatch_due=dispatch_due(received_at, limits),
            supporters=data.supporters,
            import_row=data.import_row,
            submission_key=data.submission_key,
            fingerprint=print_.to_json(),
        )
        # The number is unique; a clash of the random part is retried.
        while Case.objects.filter(number=case.number).exists():
            case.number = _new_number(now)
        if original is not None:
            case.state = CaseState.MERGED
            case.merged_into = original
        case.save()
        for attachment in data.attachments:
            _store_attachment(case, attachment, now)
        received: dict[str, Any] = {"channel": data.channel}
        if request_digest:
            # What an API request with an idempotency key asked for: its
            # retry must ask for the same (do_submit_case_once).
            received["request"] = request_digest
        _event(case, EventKind.RECEIVED, actor, at=now, data=received)
        ledger: dict[str, Any] = {"channel": data.channel, "urgency": data.urgency}
        if original is not None:
            repeated: dict[str, Any] = {"repeat": case.number}
            note = stored_text(
                gettext_noop("同一诉求人再次反映，重复件工单 %(number)s 已合并到本工单办理。"),
                number=case.number,
            )
            told = stored_text(
                gettext_noop("工单 %(number)s 的诉求人再次反映。"), number=original.number
            )
            withdrawn = 0
            if escalated_from:
                if _escalate(original, data.urgency, received_at):
                    # The department asked for days on top of the old urgency's
                    # deadline; granting them now would undo the escalation. The
                    # request is withdrawn, as when the case is answered or sent
                    # back, and the department may ask again against the new
                    # deadline if the emergency really needs longer.
                    withdrawn = _withdraw_pending_extensions(original, AUTOMATIC, now)
                repeated["urgency"] = {"from": escalated_from, "to": data.urgency}
                ledger["escalated_from"] = escalated_from
                note = stored_text(
                    gettext_noop(
                        "同一诉求人再次反映，情况更为紧急，"
                        "重复件工单 %(number)s 已合并到本工单办理；"
                        "紧急程度由“%(before)s”提升为“%(after)s”，期限按新的紧急程度重新计算。"
                    ),
                    number=case.number,
                    before=stored_label(Urgency(escalated_from).label),
                    after=stored_label(Urgency(data.urgency).label),
                )
                told = stored_text(
                    gettext_noop(
                        "工单 %(number)s 的诉求人再次反映，情况更为紧急，"
                        "已提升为“%(urgency)s”，请按新的期限办理。"
                    ),
                    number=original.number,
                    urgency=stored_label(Urgency(data.urgency).label),
                )
            if withdrawn:
                repeated["extensions_withdrawn"] = withdrawn
                ledger["extensions_withdrawn"] = withdrawn
                note = stored_text(EXTENSION_WITHDRAWN_ON_ESCALATION, text=note)
                told = stored_text(EXTENSION_WITHDRAWN_ON_ESCALATION, text=told)
            _event(
                original,
                EventKind.REPEATED,
                actor,
                at=now,
                note=note,
                data=repeated,
            )
            if original.department is not None:
                _notify(original.department, original, EventKind.REPEATED, told, now)
            if escalated_from:
                # The escalation changes the original, not the repeat: its
                # urgency, its running deadline, its department's request for
                # time. The original's own trail in the ledger must show it,
                # beside the repeat's intake below.
                _ledger(
                    original,
                    "escalate_case",
                    actor,
                    repeat=case.number,
                    urgency={"from": escalated_from, "to": data.urgency},
                    department=original.department.code if original.department else None,
                    extensions_withdrawn=withdrawn,
                )
            ledger["merged_into"] = original.number
        else:
            for other_pk, score in links:
                CaseLink.objects.create(
                    case=case, related_id=other_pk, similarity=score, created_at=now
                )
                CaseLink.objects.get_or_create(
                    case_id=other_pk,
                    related=case,
                    defaults={"similarity": score, "created_at": now},
                )
            if links:
                _event(
                    case,
                    EventKind.LINKED,
                    AUTOMATIC,
                    at=now,
                    note=(
                        stored_text(
                            gettext_noop(
                                "同一诉求人在工单 %(number)s 答复后再次反映，情况更为紧急，"
                                "另立工单办理。"
                            ),
                            number=separate_from.number,
                        )
                        if separate_from is not None
                        else ""
                    ),
                    data={
                        "cases": [pk for pk, _s in links],
                        # Worded from this in the reader's language (selectors.event_note).
                        **({"more_urgent_than": separate_from.number} if separate_from else {}),
                    },
                )
                ledger["linked"] = len(links)
            _route_new_case(case, suggestion, now, limits)
            if separate_from is not None:
                ledger["more_urgent_than"] = separate_from.number
                if separate_from.department is not None:
                    _notify(
                        separate_from.department,
                        separate_from,
                        EventKind.REPEATED,
                        stored_text(
                            gettext_noop(
                                "工单 %(number)s 的诉求人再次反映，情况更为紧急，"
                                "已另立工单 %(new)s 办理。"
                            ),
                            number=separate_from.number,
                            new=case.number,
                        ),
                        now,
                    )
            ledger.update(
                category=case.category or case.predicted_category,
                confidence=round(case.confidence, 4) if case.confidence is not None else None,
                department=case.department.code if case.department else None,
                district=case.district_id,
                routed_by=case.routed_by,
            )
        _ledger(case, "submit_case", actor, **ledger)
    return case


def _route_new_case(
    case: Case, suggestion: routing.Suggestion, now: dt.datetime, limits: Any
) -> None:
    if suggestion.automatic and suggestion.department is not None and suggestion.prediction:
        case.category = suggestion.prediction.label
        case.department = suggestion.department
        case.routed_by = RoutedBy.MODEL
        start_reply_clock(case, now, limits)
        _move(case, CaseState.ASSIGNED, "dispatch")
        case.save()
        _event(
            case,
            EventKind.ROUTED,
            AUTOMATIC,
            at=now,
            department=case.department,
            data={
                "category": case.category,
                "confidence": round(case.confidence or 0, 4),
                **({"topic": suggestion.topic} if suggestion.topic else {}),
            },
        )
        return
    reasons = []
    if suggestion.prediction is None:
        reasons.append("no_model")
    elif suggestion.prediction.confidence < routing.confidence_threshold():
        reasons.append("low_confidence")
    if suggestion.prediction is not None and suggestion.department is None:
        reasons.append("no_rule")
    if suggestion.department is not None and not suggestion.department_handles:
        reasons.append("no_handler")
    if suggestion.place is not None and suggestion.place.ambiguous:
        reasons.append("ambiguous_place")
    data: dict[str, Any] = {"reasons": reasons}
    if suggestion.place is not None and suggestion.place.outside:
        reasons.append("outside_city")
        data["outside"] = list(suggestion.place.outside)
    _event(case, EventKind.QUEUED, AUTOMATIC, at=now, data=data)


def _store_attachment(case: Case, attachment: NewAttachment, now: dt.datetime) -> None:
    digest = hashlib.sha256(attachment.data).hexdigest()
    extension = {
        "image/jpeg": "jpg",
        "image/png": "png",
        "image/webp": "webp",
        "application/pdf": "pdf",
    }[attachment.content_type]
    record = CaseAttachment(
        case=case,
        name=attachment.name[:200],
        content_type=attachment.content_type,
        size=len(attachment.data),
        sha256=digest,
        uploaded_at=now,
    )
    record.file.save(f"{digest[:32]}.{extension}", ContentFile(attachment.data), save=False)
    record.save()


# --- dispatch --------------------------------------------------------------------------


def do_dispatch_case(
    case: Case,
    category: str,
    department: Department,
    *,
    actor: Actor,
    note: str = "",
    district: Region | None = None,
    urgency: str = "",
) -> Case:
    """Send a queued case to a department; the dispatcher's category becomes a training example.

    ``district`` is where the dispatcher places the case when the text named
    no district, an ambiguous one or the wrong one (None: the case keeps the
    district read from it). The leaders' figures and hot issues, and a
    district leader's view, go by the case's district. ``urgency`` is the
    dispatcher's judgement of it (empty: the case keeps its own): a citizen's
    online message comes in as 一般, and the centre decides how urgent it is.
    """
    if district is not None and not routing.city_districts().filter(pk=district.pk).exists():
        raise _refuse(_("没有这个区县，请从列表中选择。"), "unknown_district", field="district")
    if urgency and urgency not in Urgency.values:
        raise _refuse(_("紧急程度无效。"), "invalid_urgency", field="urgency")
    category = category.strip()
    if not category:
        raise _refuse(_("请选择类别。"), "category_required", field="category")
    if category not in categories():
        # The decision becomes a training example: a category nobody routes
        # or trains on would teach the next model a class of one.
        raise _refuse(_("没有这个类别，请从列表中选择。"), "unknown_category", field="category")
    if not department.is_active:
        raise _refuse(_("该部门已停用。"), "inactive_department", field="department")
    if not handling_departments().filter(pk=department.pk).exists():
        raise _refuse(
            _("%(name)s没有能签收 12345 工单的承办人员，请选择其他部门。")
            % {"name": department.name},
            "department_without_handler",
            field="department",
        )
    note = _clean_text(note, field="note", maximum=MAX_NOTE, required=False, label=_("说明"))
    now = _now()
    with transaction.atomic(durable=True):
        locked = _lock(case)
        if locked.state != CaseState.DISPATCHING and locked.department_id is not None:
            # A double click on 派单, or a colleague who dispatched it first:
            # said so, with where it went and by whom, not as a transition
            # the table lacks.
            raise _already_dispatched(locked)
        _move(locked, CaseState.ASSIGNED, "dispatch")
        # What the dispatcher changed besides the category, for the history and the ledger.
        placed: dict[str, Any] = {}
        if urgency and urgency != locked.urgency:
            # The reply deadline counted below is the new urgency's.
            placed["urgency"] = {"from": locked.urgency, "to": urgency}
            locked.urgency = urgency
        limits = limits_for(locked.urgency, category)
        locked.category = category
        locked.department = department
        locked.routed_by = RoutedBy.DISPATCHER
        if district is not None and district.pk != locked.district_id:
            placed["district"] = {"from": locked.district_id, "to": district.pk}
            locked.district = district
            # A street read from the text lies in the district it was read
            # with: it cannot stay in a district the dispatcher says is wrong.
            locked.street = None
        locked.signed_at = None
        start_reply_clock(locked, now, limits)
        # 催办 and 督办 marked the department that let the last deadline pass;
        # the department sent the case now starts clean on its own deadline
        # (the history keeps every reminder).
        locked.urge_count = 0
        locked.supervised = False
        locked.save()
        LabelledExample.objects.update_or_create(
            case=locked,
            defaults={
                "title": locked.title,
                "body": locked.content,
                "label": category,
                "predicted": locked.predicted_category,
                "labelled_by": actor.label[:64],
                "labelled_at": now,
            },
        )
        _event(
            locked,
            EventKind.DISPATCHED,
            actor,
            at=now,
            note=note,
            department=department,
            data={"category": category, "suggested": locked.predicted_category, **placed},
        )
        _ledger(
            locked,
            "dispatch_case",
            actor,
            category=category,
            department=department.code,
            corrected=bool(locked.predicted_category) and category != locked.predicted_category,
            **placed,
        )
    return locked


def _already_dispatched(case: Case) -> Conflict:
    """The refusal of a dispatch of a case that was sent to a department already."""
    from zhengtong.hotline.people import actor_name

    sent = (
        CaseEvent.objects.filter(case=case, kind__in=(EventKind.DISPATCHED, EventKind.ROUTED))
        .order_by("-at", "-pk")
        .first()
    )
    department = case.department.name if case.department else ""
    who = actor_name(sent.actor) if sent is not None else ""
    at = sent.at if sent is not None else case.dispatched_at
    shown = timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at is not None else ""
    if who and shown:
        message = _("该工单已于 %(at)s 由%(who)s派至%(department)s，无需重复派单。") % {
            "at": shown,
            "who": who,
            "department": department,
        }
    else:
        message = _("该工单已派至%(department)s，无需重复派单。") % {"department": department}
    return Conflict(
        message,
        code="already_dispatched",
        detail={
            "department": case.department.code if case.department else None,
            "department_name": department,
            "dispatched_by": who,
            "dispatched_at": at.isoformat() if at is not None else None,
            "state": str(case.state),
        },
    )


def _require_department(case: Case, departments: Sequence[int]) -> None:
    if case.department_id in departments:
        return
    original = case.merged_into if case.state == CaseState.MERGED else None
    if original is not None and original.department_id in departments:
        # The department sees a repeat merged into its case and works that
        # case: it is told where, not that the repeat is none of its business.
        raise Conflict(
            _("该诉求已合并到工单 %(number)s，请在该工单上办理。") % {"number": original.number},
            code="case_merged",
            detail={"merged_into": original.number},
        )
    raise PermissionDenied(_("该工单不由您的部门办理。"), code="not_your_department")


def _withdraw_pending_extensions(case: Case, actor: Actor, now: dt.datetime) -> int:
    # A request the centre has not decided yet concerns this department's
    # deadline only: once the case is returned or answered it must neither
    # move another department's deadline nor block that department's own
    # request; once a more urgent repeat counts a shorter deadline (加急), the
    # days it asked for were weighed against a deadline that no longer runs.
    # The caller holds the case's lock (see ``_lock``).
    return ExtensionRequest.objects.filter(case=case, state=ExtensionState.PENDING).update(
        state=ExtensionState.WITHDRAWN, decided_by=actor.label[:64], decided_at=now
    )


def do_sign_case(case: Case, *, actor: Actor, departments: Sequence[int]) -> Case:
    """Sign for an assigned case (签收): the department takes it on."""
    now = _now()
    with transaction.atomic(durable=True):
        locked = _lock(case)
        _require_department(locked, departments)
        if locked.state == CaseState.HANDLING:
            # A double click on 签收, or a colleague of the department who
            # signed first: said so, not as a transition the table lacks.
            raise Conflict(_("该工单已签收，无需重复签收。"), code="already_signed")
        _move(locked, CaseState.HANDLING, "sign")
        locked.signed_at = now
        locked.save()
        _event(locked, EventKind.SIGNED, actor, at=now, department=locked.department)
        _ledger(
            locked,
            "sign_case",
            actor,
            department=locked.department.code if locked.department else None,
        )
    return locked


def _back_to_the_queue(
    case: Case, reason: str, *, event: str, action: str, actor: Actor, now: dt.datetime
) -> Department | None:
    """Take the case from its department and queue it for the dispatchers again.

    Returned by the department or recalled by the centre, the case keeps its
    category and the model's suggestion; the department's reply deadline
    stops, and the next dispatch counts a new one. Saves the case, withdraws
    its pending extension, writes the history row ``event`` and the ledger
    entry ``action``, and returns the department it was taken from. The
    caller holds the case's lock (see ``_lock``) and has moved it.
    """
    department = case.department
    case.department = None
    stop_reply_clock(case)
    case.signed_at = None
    # The dispatcher has the remaining dispatch time of an urgent case, and
    # at least an hour, to send it on: the first dispatch deadline has
    # usually passed by now, and a case sent once is not overdue for it.
    case.dispatch_due = max(case.dispatch_due, now + dt.timedelta(hours=1))
    # The dispatch clock (and its light) runs from now, not from the receipt.
    case.requeued_at = now
    case.save()
    withdrawn = _withdraw_pending_extensions(case, actor, now)
    _event(
        case,
        event,
        actor,
        at=now,
        note=reason,
        department=department,
        data={
            "routed_by": case.routed_by,
            "category": case.category,
            "extensions_withdrawn": withdrawn,
        },
    )
    _ledger(
        case,
        action,
        actor,
        department=department.code if department else None,
        routed_by=case.routed_by,
        extensions_withdrawn=withdrawn,
    )
    return department


def do_return_case(case: Case, reason: str, *, actor: Actor, departments: Sequence[int]) -> Case:
    """Send a misrouted case back to the dispatchers; returns count in the routing figures."""
    reason = _in_words(
        _clean_text(reason, field="reason", maximum=MAX_NOTE, required=True, label=_("退回理由")),
        field="reason",
        label=_("退回理由"),
    )
    now = _now()
    with transaction.atomic(durable=True):
        locked = _lock(case)
        _require_department(locked, departments)
        if locked.state == CaseState.REPLIED:
            # A colleague answered it meanwhile: the reply stands and awaits
            # the callback, so the case is no longer the dispatchers' to place.
            raise Conflict(_("该工单已答复，不能再退回。"), code="already_replied")
        if locked.state == CaseState.CLOSED:
            raise Conflict(_("该工单已办结，不能再退回。"), code="case_closed")
        _move(locked, CaseState.DISPATCHING, "return")
        locked.return_count += 1
        _back_to_the_queue(
            locked, reason, event=EventKind.RETURNED, action="return_case", actor=actor, now=now
        )
    return locked


def _recall_refused(case: Case) -> Conflict:
    """Why a case cannot be recalled now, each reason with its own code."""
    if case.state in (CaseState.HANDLING, CaseState.REPLIED):
        return Conflict(
            _("承办部门已签收该工单，不能撤回；如确属派错，请由承办部门退回。"),
            code="already_signed",
        )
    if case.state == CaseState.CLOSED:
        return Conflict(_("该工单已办结，不能撤回。"), code="case_closed")
    if case.state == CaseState.MERGED:
        return Conflict(_("该诉求已合并到另一工单，不能撤回。"), code="case_merged")
    return Conflict(_("该工单尚未派出，无需撤回。"), code="not_assigned")


def do_recall_case(case: Case, reason: str, *, actor: Actor) -> Case:
    """Take an assigned case back from a department that has not signed for it (撤回).

    For the centre's dispatchers, when a case went to the wrong department or
    to one where nobody signs for it: the case waits in the dispatch queue
    again, with its category and the model's suggestion, to be dispatched
    anew (改派). Once the department has signed for it, only the department
    can send it back (``do_return_case``). Recalls count in the routing
    figures as returns do.
    """
    reason = _clean_text(
        reason, field="reason", maximum=MAX_NOTE, required=True, label=_("撤回理由")
    )
    now = _now()
    with transaction.atomic(durable=True):
        # Under the case's lock, as the department's sign-for takes it: of a
        # recall and a sign-for at once, the second sees what the first did.
        locked = _lock(case)
        if locked.state != CaseState.ASSIGNED:
            raise _recall_refused(locked)
        _move(locked, CaseState.DISPATCHING, "recall")
        department = _back_to_the_queue(
            locked, reason, event=EventKind.RECALLED, action="recall_case", actor=actor, now=now
        )
        if department is not None:
            _notify(
                department,
                locked,
                EventKind.RECALLED,
                stored_text(
                    gettext_noop("工单 %(number)s 已由12345热线撤回另行派单，无需签收。"),
                    number=locked.number,
                ),
                now,
            )
    return locked


def do_set_case_urgency(case: Case, urgency: str, *, actor: Actor, note: str = "") -> Case:
    """Grade a dispatched case's urgency anew and count its reply deadline by it.

    For a case the model routed, which no dispatcher saw: an online message
    comes in as 一般 whatever it says. The deadline is counted from the
    acceptance (the dispatch the reply clock runs from), as ``do_dispatch_case``
    counts it with the urgency it sets, plus the working days an approved
    extension granted; a pending request for days was weighed against the old
    deadline and is withdrawn. The caller checks who may (a dispatcher, or the
    head of the handling department).
    """
    if urgency not in Urgency.values:
        raise _refuse(_("紧急程度无效。"), "invalid_urgency", field="urgency")
    note = _clean_text(note, field="note", maximum=MAX_NOTE, required=False, label=_("说明"))
    now = _now()
    with transaction.atomic(durable=True):
        locked = _lock(case)
        if locked.state == CaseState.DISPATCHING:
            raise Conflict(_("该工单尚未派出，请在派单时设置紧急程度。"), code="not_dispatched")
        if locked.state not in (CaseState.ASSIGNED, CaseState.HANDLING):
            raise Conflict(_("该工单已答复或已办结，不能再调整紧急程度。"), code="already_replied")
        if urgency == locked.urgency:
            # Said as a conflict: a double click finds the first click's urgency.
            raise Conflict(
                _("该工单的紧急程度已是%(u)s。") % {"u": Urgency(urgency).label},
                code="urgency_unchanged",
            )
        before = locked.urgency
        locked.urgency = urgency
        limits = limits_for(urgency, locked.category or locked.predicted_category)
        start = locked.dispatched_at or now
        if locked.reopened and counted_reply_due(start, _reopen_limits()) < counted_reply_due(
            start, limits
        ):
            # Reopened after 不满意, the case answers within the reopen window
            # (counted from the reopening): a higher grade may shorten it, a
            # lower one does not lengthen it.
            limits = _reopen_limits()
        granted = locked.reply_extension_days
        start_reply_clock(locked, start, limits)
        if granted:
            extend_reply_clock(locked, granted)
        locked.save()
        withdrawn = _withdraw_pending_extensions(locked, actor, now)
        change = {"from": before, "to": urgency}
        _event(
            locked,
            EventKind.URGENCY_CHANGED,
            actor,
            at=now,
            note=note,
            department=locked.department,
            data={
                "urgency": change,
                "reply_due": locked.reply_due.isoformat() if locked.reply_due else None,
                "extensions_withdrawn": withdrawn,
            },
        )
        if locked.department is not None:
            told = stored_text(
                gettext_noop(
                    "工单 %(number)s 的紧急程度已由“%(before)s”调整为“%(after)s”，"
                    "答复期限按新的紧急程度重新计算。"
                ),
                number=locked.number,
                before=stored_label(Urgency(before).label),
                after=stored_label(Urgency(urgency).label),
            )
            if withdrawn:
                told = stored_text(EXTENSION_WITHDRAWN_ON_ESCALATION, text=told)
            _notify(locked.department, locked, EventKind.URGENCY_CHANGED, told, now)
        _ledger(
            locked,
            "set_case_urgency",
            actor,
            urgency=change,
            department=locked.department.code if locked.department else None,
            reply_due=locked.reply_due.isoformat() if locked.reply_due else None,
            extensions_withdrawn=withdrawn,
        )
    return locked


def do_mark_notifications_read(
    ids: Sequence[int], *, actor: Actor, departments: Sequence[int]
) -> int:
    """Mark the departments' notifications read (已读); return how many were unread.

    A notification belongs to the department, not to one clerk: read by one,
    it is read for the department. Ids of other departments' notifications
    and ones read already are passed over, so a second click marks nothing.
    """
    now = _now()
    with transaction.atomic(durable=True):
        unread = list(
            Notification.objects.select_for_update()
            .filter(pk__in=list(ids), department_id__in=list(departments), read_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not unread:
            return 0
        Notification.objects.filter(pk__in=unread).update(read_at=now)
        # Like a leader's acknowledged heat alert, who saw a notice and when
        # is kept: a department cannot later say it was never told.
        record_entry(
            actor=actor,
            action="hotline.read_notifications",
            subject_type="hotline.Notification",
            subject_id=",".join(str(pk) for pk in unread)[:128],
            data={"notifications": unread},
        )
    return len(unread)


def do_request_extension(
    case: Case, days: int, reason: str, *, actor: Actor, departments: Sequence[int]
) -> ExtensionRequest:
    """Ask the 12345 centre for more working days to reply."""
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise _refuse(
            _("延期天数应为 1 至 %(max)d 个工作日。") % {"max": MAX_EXTENSION_DAYS},
            "invalid_days",
            field="days",
        )
    reason = _in_words(
        _clean_text(reason, field="reason", maximum=MAX_NOTE, required=True, label=_("延期理由")),
        field="reason",
        label=_("延期理由"),
    )
    now = _now()
    with transaction.atomic(durable=True):
        locked = _lock(case)
        _require_department(locked, departments)
        if locked.state not in (CaseState.ASSIGNED, CaseState.HANDLING):
            raise Conflict(_("只有待签收或办理中的工单可以申请延期。"), code="not_handling")
        if locked.extensions.filter(state=ExtensionState.PENDING).exists():
            raise Conflict(_("已有待审批的延期申请。"), code="extension_pending")
        if locked.reply_due is not None and locked.reply_due < now:
            # An extension moves a deadline that still runs; one past already
            # is answered late whatever the centre decides, and the days
            # granted would be counted from it, leaving the case overdue.
            raise Conflict(_("答复期限已过，不能再申请延期，请尽快答复。"), code="deadline_passed")
        request = ExtensionRequest.objects.create(
            case=locked, requested_by=actor.label[:64], days=days, reason=reason, requested_at=now
        )
        _event(
            locked,
            EventKind.EXTENSION_REQUESTED,
            actor,
            at=now,
            note=reason,
            department=locked.department,
            data={"days": days},
        )
        _ledger(locked, "request_extension", actor, days=days)
    return request


def do_decide_extension(
    request: ExtensionRequest, approve: bool, *, actor: Actor, note: str = ""
) -> ExtensionRequest:
    """Approve or refuse an extension; approval moves the reply deadline."""
    note = _clean_text(note, field="note", maximum=MAX_NOTE, required=not approve, label=_("说明"))
    now = _now()
    with transaction.atomic(durable=True):
        # The case row first, then the request: the order in which every
        # action that touches both (reply, return, 加急) takes them, so two at
        # once queue for the case instead of each holding what the other needs.
        case = _lock(request.case)
        locked_request = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        if locked_request.state == ExtensionState.WITHDRAWN:
            # Not decided by anyone: the case was answered, sent back,
            # recalled or escalated first, and the request went with it.
            raise Conflict(_("该延期申请已撤回，无需再审批。"), code="extension_withdrawn")
        if locked_request.state != ExtensionState.PENDING:
            raise Conflict(_("该延期申请已审批。"), code="already_decided")
        if case.state not in (CaseState.ASSIGNED, CaseState.HANDLING):
            raise Conflict(_("工单当前的状态不允许此操作。"), code="not_handling")
        locked_request.state = ExtensionState.APPROVED if approve else ExtensionState.REFUSED
        locked_request.decided_by = actor.label[:64]
        locked_request.decided_at = now
        locked_request.save()
        if approve and case.reply_due is not None:
            extend_reply_clock(case, locked_request.days)
            case.save()
        _event(
            case,
            EventKind.EXTENSION_DECIDED,
            actor,
            at=now,
            note=note,
            data={"approved": approve, "days": locked_request.days},
        )
        if case.department is not None and case.reply_due is not None:
            # The department waits for the answer to plan its reply: a refusal
            # it is not told of leaves it counting on days it does not have.
            message = (
                gettext_noop("工单 %(number)s 的延期申请已获同意，答复期限延至 %(due)s。")
                if approve
                else gettext_noop(
                    "工单 %(number)s 的延期申请未获同意，请在原答复期限 %(due)s 前答复。"
                )
            )
            shown = timezone.localtime(case.reply_due).strftime("%Y-%m-%d %H:%M")
            text = stored_text(message, number=case.number, due=shown)
            _notify(case.department, case, EventKind.EXTENSION_DECIDED, text, now)
        _ledger(case, "decide_extension", actor, approved=approve, days=locked_request.days)
    return locked_request


def do_urge_case(
    case: Case, *, actor: Actor, note: str = "", supervise: bool = False, form_key: str = ""
) -> Case:
    """催办 a case whose deadline is near or past; 督办 also tells the department's head.

    ``form_key`` is the one-time key of the page's form: the same form sent
    twice (a double click) urges once, and the department is told once.
    """
    note = _clean_text(note, field="note", maximum=MAX_NOTE, required=False, label=_("说明"))
    now = _now()
    with transaction.atomic(durable=True):
        locked = _lock(case)
        kind = EventKind.SUPERVISED if supervise else EventKind.URGED
        if (
            form_key
            and CaseEvent.objects.filter(case=locked, kind=kind, data__form_key=form_key).exists()
        ):
            return locked
        if locked.state not in (CaseState.ASSIGNED, CaseState.HANDLING):
            raise Conflict(_("只有待签收或办理中的工单可以催办、督办。"), code="not_handling")
        if supervise:
            locked.supervised = True
        else:
            locked.urge_count += 1
        locked.save()
        _event(
            locked,
            kind,
            actor,
            at=now,
            note=note,
            department=locked.department,
            data={"form_key": form_key} if form_key else None,
        )
        if locked.department is not None:
            message = (
                gettext_noop("工单 %(number)s 被督办，请部门负责人督促办理。")
                if supervise
                else gettext_noop("工单 %(number)s 被催办，请尽快办理。")
            )
            text = stored_text(message, number=locked.number)
            _notify(locked.department, locked, kind, text, now)
        _ledger(locked, "supervise_case" if supervise else "urge_case", actor)
    return locked


def do_reply_case(
    case: Case,
    reply: str,
    *,
    actor: Actor,
    departments: Sequence[int],
    upheld_against: str = "",
) -> Case:
    """Send the department's reply; its quality score is kept with it.

    ``upheld_against`` is the 统一社会信用代码 of an enterprise the complaint
    was found true against (查实): the finding goes on that enterprise's
    credit file in the same transaction, once per case however often it is
    replied to (一处失信，处处受限).
    """
    reply = _reply_text(reply, maximum=MAX_REPLY)
    enterprise = _upheld_enterprise(upheld_against) if upheld_against.strip() else None
    now = _now()
    with transaction.atomic(durable=True):
        locked = _lock(case)
        _require_department(locked, departments)
        if locked.state == CaseState.ASSIGNED:
            # The department answers for a case once it has taken it on (签收).
            raise Conflict(_("请先签收该诉求，再答复。"), code="not_signed_for")
        if locked.state == CaseState.REPLIED:
            # A colleague answered first, or the same reply was sent again (a
            # retry): said so, not as a transition the table lacks.
            raise Conflict(_("该工单已答复，正在等待回访，无需重复答复。"), code="already_replied")
        if locked.state == CaseState.CLOSED:
            raise Conflict(_("该工单已办结，不能再答复。"), code="case_closed")
        _check_upheld_against(locked, enterprise)
        _move(locked, CaseState.REPLIED, "reply")
        score = score_reply(
            locked.title,
            locked.content,
            reply,
            received_at=locked.dispatched_at or locked.received_at,
            replied_at=now,
            due_at=locked.reply_due,
        )
        locked.reply = reply
        locked.replied_at = now
        locked.reply_score = score_as_dict(score)
        if enterprise is not None:
            locked.upheld_against = enterprise
            add_credit_record(
                enterprise,
                CreditKind.COMPLAINT_UPHELD,
                timezone.localdate(now),
                stored_text(
                    gettext_noop("12345 工单 %(number)s 经查属实：%(title)s"),
                    number=locked.number,
                    title=locked.title or locked.content[:60],
                ),
                recorded_by=actor.label,
                authority=locked.department.name if locked.department else "",
                source_ref=f"hotline:{locked.number}",
            )
        if locked.anonymous or (not locked.contact_phone and locked.citizen_id is None):
            # Nobody to call back: an anonymous case closes with the reply.
            _move(locked, CaseState.CLOSED, "close")
            locked.closed_at = now
        locked.save()
        withdrawn = _withdraw_pending_extensions(locked, actor, now)
        # The case keeps only the latest reply; the history keeps each one, so
        # the answer a reopened case was first given is not lost.
        _event(
            locked,
            EventKind.REPLIED,
            actor,
            at=now,
            note=reply,
            department=locked.department,
            data={"score": locked.reply_score.get("total")},
        )
        _ledger(
            locked,
            "reply_case",
            actor,
            score=locked.reply_score.get("total"),
            upheld_against=enterprise.credit_code if enterprise else None,
            extensions_withdrawn=withdrawn,
        )
    return locked


def _upheld_enterprise(upheld_against: str) -> Enterprise:
    """The enterprise a reply finds the complaint true against, or the refusal beside the field.

    A code that cannot be a credit code (a wrong check digit, a letter where
    the region's digits go) is told apart from a well-formed one of no known
    enterprise: the first is a typing slip, the second a registry question.
    """
    try:
        code = validate_credit_code(upheld_against)
    except InvalidInput as error:
        message = str(error.message)
        # The validator's facts (which position, which digit) stay; its own
        # field name is the validator's, not this step's.
        facts = {key: value for key, value in error.detail.items() if key != "field"}
        raise _refuse(message, error.code, field="upheld_against", **facts) from None
    enterprise = find_enterprise_by_credit_code(code)
    if enterprise is None:
        # Only a well-formed code gets here, 18 characters as stored: the
        # message never echoes an unbounded text of the caller's.
        raise _refuse(
            _("没有统一社会信用代码为 %(code)s 的企业。") % {"code": code},
            "unknown_enterprise",
            field="upheld_against",
        )
    return enterprise


def _check_upheld_against(case: Case, enterprise: Enterprise | None) -> None:
    """Refuse a re-reply that finds the complaint true against another enterprise.

    A case leaves at most one credit record, and the record must name the
    enterprise the case names. The credit app has no action to withdraw a
    record (only credit repair, which the enterprise asks for), and a record
    quietly left on an enterprise the case no longer names would be a false
    fact on its file, while dropping the first finding would lose a true
    one. So a finding, once recorded, stands: a re-reply may name the same
    enterprise again or none (the finding stays), and a mistaken finding is
    for the credit authority to correct on the enterprise's file.
    """
    recorded = case.upheld_against
    if enterprise is None or recorded is None or recorded.pk == enterprise.pk:
        return
    message = _(
        "本工单已认定对 %(name)s（%(code)s）的投诉属实并计入其信用记录，"
        "一个工单只计一条信用记录，不能再认定另一家企业；如原认定有误，请联系信用主管部门更正。"
    ) % {"name": recorded.name, "code": recorded.credit_code}
    raise Conflict(
        message,
        code="upheld_against_other_enterprise",
        detail={"fields": {"upheld_against": message}},
    )


def score_as_dict(score: Any) -> dict[str, Any]:
    return {
        "relevance": score.relevance,
        "completeness": score.completeness,
        "interpretability": score.interpretability,
        "timeliness": score.timeliness,
        "total": score.total,
        # By code and values, so that each reader sees the hints in their language.
        "advice": [hint.as_data() for hint in score.advice],
    }


def _rating_refused(case: Case) -> Conflict:
    """Why a case cannot be rated now, each reason with its own code."""
    if case.state == CaseState.CLOSED and case.rating:
        return Conflict(_("该工单已评价，不能重复评价。"), code="already_rated")
    if case.state == CaseState.CLOSED:
        return Conflict(_("该工单已办结，不能再评价。"), code="case_closed")
    if case.state == CaseState.MERGED:
        return Conflict(_("该诉求已合并到另一工单，请对该工单评价。"), code="case_merged")
    if case.reopened:
        # Rated 不满意 already (a second tap, another tab, the callback by
        # telephone): the reply shown was rated, and the next one will be.
        return Conflict(
            _("该答复已评价为不满意，工单已重新办理；办理部门再次答复后可再评价。"),
            code="already_rated",
        )
    return Conflict(_("答复后才能评价。"), code="not_replied")


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str


def do_reveal_contact(case: Case, *, actor: Actor) -> Contact:
    """Show the citizen's full name and number to the caller, for calling them back.

    The number is masked everywhere else; each look at it in full is in the
    ledger, so that who read whose number, and when, can be shown. An
    anonymous message has nothing to show and gets no callback.
    """
    if case.anonymous:
        raise Conflict(_("匿名诉求不回访，没有联系方式。"), code="anonymous_case")
    if not case.contact_phone:
        raise Conflict(_("该工单没有留联系电话。"), code="no_contact")
    with transaction.atomic(durable=True):
        _ledger(case, "reveal_contact", actor)
    return Contact(case.contact_name, case.contact_phone)


def do_rate_case(case: Case, rating: str, *, actor: Actor, comment: str = "") -> Case:
    """Record the callback (回访): 不满意 reopens the case once and tells the department's head."""
    if rating not in Rating.values:
        raise _refuse(_("请选择满意、基本满意或不满意。"), "invalid_rating", field="rating")
    comment = _clean_text(
        comment, field="comment", maximum=MAX_NOTE, required=False, label=_("意见")
    )
    now = _now()
    with transaction.atomic(durable=True):
        locked = _lock(case)
        if locked.state != CaseState.REPLIED:
            raise _rating_refused(locked)
        locked.rating = rating
        reopen = rating == Rating.UNSATISFIED and not locked.reopened
        if reopen:
            _move(locked, CaseState.HANDLING, "reopen")
            locked.reopened = True
            # The rating is the callback's on the case's current reply: the
            # next reply waits for a callback of its own, and must not show
            # as rated 不满意 meanwhile. The history and the ledger keep this one.
            locked.rating = ""
            start_reply_clock(locked, now, _reopen_limits())
            locked.save()
            _event(locked, EventKind.RATED, actor, at=now, note=comment, data={"rating": rating})
            _event(locked, EventKind.REOPENED, actor, at=now, department=locked.department)
            if locked.department is not None:
                _notify(
                    locked.department,
                    locked,
                    EventKind.REOPENED,
                    stored_text(
                        gettext_noop("工单 %(number)s 回访不满意，已重新办理，请部门负责人关注。"),
                        number=locked.number,
                    ),
                    now,
                )
        else:
            _move(locked, CaseState.CLOSED, "rate")
            locked.closed_at = now
            locked.save()
            _event(locked, EventKind.RATED, actor, at=now, note=comment, data={"rating": rating})
        _ledger(locked, "rate_case", actor, rating=rating, reopened=reopen)
    return locked


def _reopen_limits() -> Limits:
    """The reply limit of a case reopened by a 不满意 rating."""
    return Limits(0, settings.HOTLINE_REOPEN_WORKING_DAYS, LimitUnit.WORKING_DAYS)


# A case still unanswered this long after its deadline is supervised (督办).
SUPERVISE_AFTER = dt.timedelta(days=1)


def do_urge_overdue_cases(*, actor: Actor, now: dt.datetime | None = None) -> list[str]:
    """催办 every case past its reply deadline once, and 督办 those a day past it.

    Returns the numbers of the cases urged or supervised; nothing is written
    (no ledger entry either) when there is nothing to do, so the scheduler can
    run it as often as it likes.
    """
    now = now or _now()
    due: list[tuple[Case, str]] = []
    for overdue in overdue_cases_to_urge(now):
        case = overdue.case
        if case.reply_due is None or overdue.supervised:
            # 督办 outranks 催办: once supervised, this deadline is chased enough.
            continue
        if now - case.reply_due >= SUPERVISE_AFTER:
            due.append((case, EventKind.SUPERVISED))
        elif not overdue.urged:
            due.append((case, EventKind.URGED))
    if not due:
        return []
    chased: list[tuple[Case, str]] = []
    with transaction.atomic(durable=True):
        # By primary key, the order every batch locks cases in (see ``_lock``).
        for case, kind in sorted(due, key=lambda pair: pair[0].pk):
            locked = _lock(case)
            # Checked again under the lock: the case may have been answered,
            # sent back or given more time since the list was read, and a
            # department that has replied must not be told to hurry.
            if (
                locked.state not in (CaseState.ASSIGNED, CaseState.HANDLING)
                or locked.reply_due is None
                or locked.reply_due != case.reply_due
                or locked.reply_due >= now
            ):
                continue
            # Another run (a slow one overlapping the next, or a second
            # worker) may have chased this deadline since the list was read:
            # the department is told once, as the list's flags promised.
            chased_since = CaseEvent.objects.filter(case=locked, at__gte=locked.reply_due)
            if chased_since.filter(kind=EventKind.SUPERVISED).exists() or (
                kind == EventKind.URGED and chased_since.filter(kind=EventKind.URGED).exists()
            ):
                continue
            chased.append((locked, kind))
            if kind == EventKind.SUPERVISED:
                locked.supervised = True
                message = gettext_noop(
                    "督办：工单 %(number)s 超过答复期限一天以上，请部门负责人督促办理。"
                )
            else:
                locked.urge_count += 1
                message = gettext_noop("催办：工单 %(number)s 已超过答复期限，请尽快答复。")
            locked.save()
            _event(locked, kind, actor, at=now, department=locked.department, data={"auto": True})
            if locked.department is not None:
                text = stored_text(message, number=locked.number)
                _notify(locked.department, locked, kind, text, now)
        if chased:
            record_entry(
                actor=actor,
                action="hotline.urge_overdue_cases",
                subject_type="hotline.case",
                subject_id="overdue",
                data={"cases": {case.number: str(kind) for case, kind in chased}},
            )
    return [case.number for case, _kind in chased]


def do_close_unrated_cases(*, actor: Actor, now: dt.datetime | None = None) -> list[str]:
    """Close the replied cases nobody rated within the callback period (回访期满).

    A replied case awaits its callback; a citizen who never answers the
    phone or never rates online would leave it open, and counted 在办, for
    ever. After ``HOTLINE_CALLBACK_WORKING_DAYS`` working days from its
    latest reply it closes unrated, counted in no satisfaction rate. Returns
    the numbers closed; nothing is written when there are none.
    """
    now = now or _now()
    days = int(settings.HOTLINE_CALLBACK_WORKING_DAYS)
    # Working days are never fewer than calendar days: the calendar cut-off
    # reads every case that may be due, and the calendar decides which are.
    candidates = Case.objects.filter(
        state=CaseState.REPLIED, replied_at__lte=now - dt.timedelta(days=days)
    ).order_by("pk")
    due = [
        case
        for case in candidates
        if case.replied_at is not None and add_working_days(case.replied_at, days) <= now
    ]
    if not due:
        return []
    closed: list[Case] = []
    with transaction.atomic(durable=True):
        for case in due:
            locked = _lock(case)
            # Rated, reopened or replied again since the list was read.
            if locked.state != CaseState.REPLIED or locked.replied_at != case.replied_at:
                continue
            _move(locked, CaseState.CLOSED, "close")
            locked.closed_at = now
            locked.save()
            _event(locked, EventKind.CALLBACK_LAPSED, actor, at=now, data={"working_days": days})
            closed.append(locked)
        if closed:
            record_entry(
                actor=actor,
                action="hotline.close_unrated_cases",
                subject_type="hotline.case",
                subject_id="callback_lapsed",
                data={"cases": [case.number for case in closed], "working_days": days},
            )
    return [case.number for case in closed]


def do_recount_reply_deadlines(*, actor: Actor, now: dt.datetime | None = None) -> list[str]:
    """Count every running reply deadline again; return the numbers of the cases moved.

    A holiday notice recorded after a case was dispatched (``core.calendar``)
    can move the working day its deadline falls on. The department handling
    the case is told the new deadline, and the case's timeline shows it.
    Nothing is written (no ledger entry either) when no deadline moved.
    """
    now = now or _now()
    running = Case.objects.filter(
        Q(reply_limit_unit=LimitUnit.WORKING_DAYS) | Q(reply_extension_days__gt=0),
        state__in=(CaseState.ASSIGNED, CaseState.HANDLING),
        reply_due__isnull=False,
    ).select_related("department")
    moved: list[tuple[Case, dt.datetime]] = []
    for case in running:
        due = recounted_reply_due(case)
        if due is not None and due != case.reply_due:
            moved.append((case, due))
    if not moved:
        return []
    written: dict[str, str] = {}
    with transaction.atomic(durable=True):
        # By primary key, the order every batch locks cases in (see ``_lock``).
        for case, due in sorted(moved, key=lambda pair: pair[0].pk):
            locked = _lock(case)
            # Counted again under the lock: the case may have been answered,
            # sent back or extended since it was read.
            if locked.state not in (CaseState.ASSIGNED, CaseState.HANDLING):
                continue
            due = recounted_reply_due(locked)
            if due is None or due == locked.reply_due:
                continue
            locked.reply_due = due
            locked.save(update_fields=["reply_due"])
            shown = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
            _event(
                locked,
                EventKind.DEADLINE_RECOUNTED,
                actor,
                at=now,
                note=shown,
                department=locked.department,
                data={"reply_due": due.isoformat()},
            )
            if locked.department is not None:
                text = stored_text(
                    gettext_noop("工单 %(number)s 的答复期限按节假日安排重新计算为 %(due)s。"),
                    number=locked.number,
                    due=shown,
                )
                _notify(locked.department, locked, EventKind.DEADLINE_RECOUNTED, text, now)
            written[locked.number] = due.isoformat()
        if written:
            record_entry(
                actor=actor,
                action="hotline.recount_reply_deadlines",
                subject_type="hotline.case",
                subject_id="reply_deadlines",
                data={"moved": written},
            )
    return list(written)


# A jump is alerted once per issue within this time.
ALERT_QUIET = dt.timedelta(days=7)


def do_refresh_hot_issues(
    *, actor: Actor, now: dt.datetime | None = None, alert_days: int = 7
) -> list[HotIssueAlert]:
    """Mine the 7/30/90-day hot issues into their snapshots and alert new heat jumps.

    The snapshots are derived data and written without a ledger entry; the
    alerts, which leaders act on, get one entry for the batch.
    """
    now = now or _now()
    alert_jumps: list[tuple[HotIssue, float]] = []
    for days in sorted({*SNAPSHOT_WINDOWS, alert_days}):
        # As many issues as any view reads from a snapshot: a district
        # leader's issues are looked for among the city's first AREA_ISSUES.
        issues, jumps = mine_recent_hot_issues(days=days, now=now, limit=AREA_ISSUES)
        positions = {id(issue): n for n, issue in enumerate(issues)}
        HotIssueSnapshot.objects.update_or_create(
            days=days,
            defaults={
                "computed_at": now,
                "issues": [issue_as_dict(issue) for issue in issues],
                "jumps": [[positions[id(issue)], factor] for issue, factor in jumps],
            },
        )
        if days == alert_days:
            # Leaders are alerted to the jumps among the city's hottest issues.
            alert_jumps = [jump for jump in jumps if positions[id(jump[0])] < CITY_ISSUES]
    return _record_alerts(alert_jumps, actor=actor, now=now)


def _record_alerts(
    jumps: Sequence[tuple[HotIssue, float]], *, actor: Actor, now: dt.datetime
) -> list[HotIssueAlert]:
    if not jumps:
        return []
    recent = set(
        HotIssueAlert.objects.filter(created_at__gte=now - ALERT_QUIET).values_list(
            "key", flat=True
        )
    )
    fresh = []
    for issue, ratio in jumps:
        key = f"{issue.place}|{'/'.join(sorted(issue.keywords))}"[:200]
        if key in recent:
            continue
        recent.add(key)
        fresh.append((key, issue, ratio))
    if not fresh:
        return []
    with transaction.atomic(durable=True):
        alerts = [
            HotIssueAlert.objects.create(
                key=key,
                label=issue.label[:200],
                place=issue.place[:100],
                heat=issue.heat,
                ratio=ratio,
                message_count=issue.message_count,
                case_numbers=list(issue.message_keys),
                first_at=issue.first_at,
                last_at=issue.last_at,
                created_at=now,
            )
            for key, issue, ratio in fresh
        ]
        told = _tell_leaders(alerts, now)
        record_entry(
            actor=actor,
            action="hotline.record_heat_jumps",
            subject_type="hotline.hot_issue",
            subject_id=now.isoformat(timespec="seconds"),
            data={"alerts": [alert.label for alert in alerts], "told": told},
        )
    return alerts


def _tell_leaders(alerts: Sequence[HotIssueAlert], now: dt.datetime) -> list[str]:
    """Give every leader whose overview covers an alert's messages a notice of it.

    A city leader is told of every alert, a district's or a street's leader of
    those with messages placed in their area: the alert log and the cases it
    links to are what their overview shows them. Returns who was told, by
    login name, for the batch's ledger entry.
    """
    notices: list[HotIssueAlertNotice] = []
    told = []
    for leader in overview_holders():
        inside = alerts_within(alerts, overview_area(leader))
        if not inside:
            continue
        told.append(leader.get_username())
        notices.extend(
            HotIssueAlertNotice(alert=alert, user=leader, created_at=now)
            for alert in alerts
            if alert.pk in inside
        )
    HotIssueAlertNotice.objects.bulk_create(notices)
    return told


def do_acknowledge_heat_alert(found: AlertInArea, *, acting_user: User) -> AlertInArea:
    """Mark a heat-jump alert acknowledged by the leader (once); return it as they now see it."""
    now = _now()
    with transaction.atomic(durable=True):
        # Locked, so that the same alert acknowledged twice at once is one
        # acknowledgement and one ledger entry; a leader whose post came after
        # the alert was raised has no notice yet and gets one now.
        notice, _created = HotIssueAlertNotice.objects.select_for_update().get_or_create(
            alert=found.alert, user=acting_user, defaults={"created_at": now}
        )
        if notice.acknowledged_at is not None:
            raise Conflict(
                _("您已确认过该热点预警。"),
                code="heat_alert_acknowledged",
                detail={"acknowledged_at": notice.acknowledged_at.isoformat()},
            )
        notice.acknowledged_at = now
        notice.save(update_fields=["acknowledged_at"])
        record_entry(
            actor=actor_of(acting_user),
            action="hotline.acknowledge_heat_alert",
            subject_type="hotline.HotIssueAlert",
            subject_id=str(found.alert.pk),
            data={"label": found.alert.label, "place": found.alert.place},
        )
    return replace(found, notified_at=notice.created_at, acknowledged_at=now)
