"""Bulk import of messages from an XLSX workbook (e.g. another channel's export).

The first sheet's header row names the columns, in Chinese as staff write
them or in English: 标题/title, 内容/content (required), 事发地点/location,
联系人/contact_name, 联系电话/contact_phone, 紧急程度/urgency (一般/紧急/特急),
受理时间/received_at, 附议数/supporters, 匿名/anonymous (是/否). Another sheet
with messages (a 内容 column and rows) makes the workbook refused, since
only the first is imported. Each good row
becomes a case through ``do_submit_case`` (its own transaction and ledger
entry, so a bad row never undoes the good ones); each bad row is reported
with its row number and reason. A workbook is checked for its layout when it
is uploaded and imported by a background task (a case takes tens of
milliseconds, a full workbook minutes); the task can be re-run after a crash
and skips the rows that already became cases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput, ZhengtongError
from zhengtong.core.leases import LeasedWork
from zhengtong.hotline.actions import (
    MAX_CONTACT_NAME,
    MAX_CONTENT,
    MAX_LOCATION,
    MAX_TITLE,
    RECEIVED_TOO_OLD,
    TOO_MANY_SUPPORTERS,
    CaseInput,
    do_submit_case,
)
from zhengtong.hotline.models import Case, CaseImport, ImportState, import_failure_text
from zhengtong.hotline.states import Channel, Urgency
from zhengtong.identity.models import User
from zhengtong.ledger.actions import record_entry

logger = logging.getLogger(__name__)

MAX_ROWS = 10_000
MAX_BYTES = 20 * 1024 * 1024

COLUMNS = {
    "标题": "title",
    "title": "title",
    "留言主题": "title",
    "内容": "content",
    "content": "content",
    "诉求内容": "content",
    "留言详情": "content",
    "事发地点": "location_text",
    "location": "location_text",
    "联系人": "contact_name",
    "contact_name": "contact_name",
    "联系电话": "contact_phone",
    "contact_phone": "contact_phone",
    "紧急程度": "urgency",
    "urgency": "urgency",
    "受理时间": "received_at",
    "留言时间": "received_at",
    "received_at": "received_at",
    "附议数": "supporters",
    "点赞数": "supporters",
    "supporters": "supporters",
    "匿名": "anonymous",
    "anonymous": "anonymous",
}
URGENCY_WORDS = {
    "一般": Urgency.NORMAL,
    "紧急": Urgency.URGENT,
    "特急": Urgency.CRITICAL,
    **{value: value for value in Urgency.values},
}
YES = {"是", "y", "yes", "true", "1", "匿名"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


# A time written as text the way Chinese spreadsheets and call-centre
# systems show it: 2026/12/1 9:30, 2026-12-01 09:30:00, 2026年12月1日 9时30分,
# with months, days and hours not padded to two digits.
_WRITTEN_TIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*(?:\s|T)\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?\s*[分秒]?)?$"
)


def _written_time(text: str) -> dt.datetime:
    found = _WRITTEN_TIME.match(text)
    if found is None:
        return dt.datetime.fromisoformat(text.replace("/", "-"))
    year, month, day, hour, minute, second = (int(part or 0) for part in found.groups())
    return dt.datetime(year, month, day, hour, minute, second)


def _when(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = _written_time(text)
        except ValueError as error:
            raise InvalidInput(
                _("受理时间“%(value)s”不是有效的日期时间。") % {"value": value},
                code="invalid_received_at",
                detail={"params": {"value": str(value)}},
            ) from error
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# A landline's digits after its leading 0 (a 3- or 4-digit area code, then 7
# or 8 digits): what Excel keeps of 073188881234 typed into a number cell.
# Enterprises' 400 and 800 numbers (ten digits, no area code) are left alone.
_LANDLINE_WITHOUT_ZERO = re.compile(r"^(?![48]00[0-9]{7}$)[2-9][0-9]{8,10}$")


def _phone(value: Any) -> str:
    text = _text(value)
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and _LANDLINE_WITHOUT_ZERO.fullmatch(text)
    ):
        # A number cell drops the area code's 0, and the row would be refused
        # for a number the caller gave right; no other Chinese number of that
        # length starts with 2 to 9 (mobiles start with 1, area codes with 0).
        return f"0{text}"
    return text


# A count written with thousands separators, as spreadsheets and message
# boards show it: 1,234, 1，234 (a full-width comma, NFKC makes it ","),
# 1 234 (a space, or a no-break or thin space). Only whole groups of three:
# "12,34" is no way of writing a number.
_GROUPED_COUNT = re.compile(r"^([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+)$")


def _supporters(text: str) -> int:
    """The supporters' count a cell gives, or ValueError for anything but a whole number."""
    written = " ".join(unicodedata.normalize("NFKC", text).split())
    grouped = _GROUPED_COUNT.fullmatch(written)
    if grouped is not None:
        sign, digits = grouped.groups()
        written = sign + digits.replace(",", "").replace(" ", "")
    return int(written)


def _row_input(values: dict[str, Any]) -> CaseInput:
    urgency_text = _text(values.get("urgency")) or "一般"
    urgency = URGENCY_WORDS.get(urgency_text)
    if urgency is None:
        raise InvalidInput(
            _("紧急程度“%(value)s”无效，应为一般、紧急或特急。") % {"value": urgency_text},
            code="invalid_urgency",
            detail={"params": {"value": urgency_text}},
        )
    supporters_text = _text(values.get("supporters")) or "0"
    try:
        supporters = _supporters(supporters_text)
    except ValueError as error:
        raise InvalidInput(
            _("附议数“%(value)s”不是整数。") % {"value": supporters_text},
            code="invalid_supporters",
            detail={"params": {"value": supporters_text}},
        ) from error
    return CaseInput(
        content=_text(values.get("content")),
        channel=Channel.IMPORT,
        title=_text(values.get("title")),
        location_text=_text(values.get("location_text")),
        urgency=urgency,
        anonymous=_text(values.get("anonymous")).lower() in YES,
        contact_name=_text(values.get("contact_name")),
        contact_phone=_phone(values.get("contact_phone")),
        received_at=_when(values.get("received_at")),
        supporters=supporters,
    )


def _refused(code: str, **params: Any) -> InvalidInput:
    """A workbook refused whole, worded as a failed import's page words it later."""
    detail = {"params": params} if params else {}
    return InvalidInput(import_failure_text(code, params) or code, code=code, detail=detail)


def read_rows(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Return (row number, values by column) for each non-empty row, or refuse the file."""
    if len(data) > MAX_BYTES:
        raise _refused("file_too_large")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise _refused("not_xlsx") from error
    try:
        return _rows_of(book)
    except InvalidInput:
        raise
    except Exception as error:
        # A read-only workbook parses its sheet only while it is read: a sheet
        # cut short or malformed inside a sound zip fails here, not on opening.
        raise _refused("not_xlsx") from error
    finally:
        book.close()


def _rows_of(book: Any) -> list[tuple[int, dict[str, Any]]]:
    """Return the first sheet's non-empty rows by column, refusing a layout without 内容."""
    if not book.worksheets:
        raise _refused("empty_workbook")
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise _refused("empty_workbook")
    names = [COLUMNS.get(_text(cell).lower(), COLUMNS.get(_text(cell), "")) for cell in header]
    if "content" not in names:
        raise _refused("missing_content_column")
    result: list[tuple[int, dict[str, Any]]] = []
    for number, row in enumerate(rows, start=2):
        if row is None or all(cell in (None, "") for cell in row):
            continue
        if len(result) >= MAX_ROWS:
            raise _refused("too_many_rows", n=MAX_ROWS)
        result.append(
            (number, {name: cell for name, cell in zip(names, row, strict=False) if name})
        )
    if not result:
        # A header and nothing under it: the same code, told apart by its wording.
        raise _refused("empty_workbook", header_only=True)
    others = [sheet.title for sheet in book.worksheets[1:] if _holds_messages(sheet)]
    if others:
        # Only the first sheet is imported: messages on the others (a sheet a
        # month, say) would be left out without a word.
        raise _refused("messages_in_other_sheets", sheets=others)
    return result


def _holds_messages(sheet: Any) -> bool:
    """Whether a sheet has a 内容 column and a row under it."""
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    names = [COLUMNS.get(_text(cell).lower(), COLUMNS.get(_text(cell), "")) for cell in header]
    if "content" not in names:
        return False
    return any(row and any(cell not in (None, "") for cell in row) for row in rows)


def _imported_before(digest: str) -> CaseImport | None:
    """The latest import of the same workbook that registered its rows, or is registering them.

    One 12345 centre serves the installation's city, and every import is
    its: the same file is the same messages whoever uploads it. An import
    that failed whole, or whose every row was refused, registered nothing
    and does not count.
    """
    earlier = CaseImport.objects.filter(sha256=digest).order_by("-created_at", "-pk")
    for case_import in earlier:
        if case_import.state in (ImportState.QUEUED, ImportState.RUNNING):
            return case_import
        if case_import.state == ImportState.DONE and (case_import.created or case_import.merged):
            return case_import
    return None


def _already_imported(earlier: CaseImport) -> ZhengtongError:
    """The refusal of a workbook imported before, naming that import."""
    from zhengtong.hotline.people import entered_by_name

    who = entered_by_name(earlier.entered_by)
    at = timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M")
    registered = len(earlier.created) + len(earlier.merged)
    if earlier.state in (ImportState.QUEUED, ImportState.RUNNING):
        message = _(
            "该工作簿已于 %(at)s 由%(who)s上传，正在导入（共 %(rows)d 行）。"
            "如确需再次导入，请勾选“确认再次导入”后重新上传。"
        ) % {"at": at, "who": who, "rows": earlier.total_rows}
    else:
        message = _(
            "该工作簿已于 %(at)s 由%(who)s导入过（共 %(rows)d 行，登记 %(cases)d 件诉求），"
            "再次导入会重复登记。如确需再次导入，请勾选“确认再次导入”后重新上传。"
        ) % {"at": at, "who": who, "rows": earlier.total_rows, "cases": registered}
    return Conflict(
        message,
        code="already_imported",
        detail={
            "import": earlier.pk,
            "file_name": earlier.file_name,
            "entered_by": who,
            "created_at": earlier.created_at.isoformat(),
            "state": str(earlier.state),
            "rows": earlier.total_rows,
            "cases": registered,
        },
    )


def do_queue_import(
    data: bytes,
    file_name: str,
    *,
    actor: Actor,
    entered_by: str,
    confirm_duplicate: bool = False,
) -> CaseImport:
    """Check the workbook's layout, keep the file and queue its import in the background.

    A workbook imported before (the same bytes) is refused
    (``already_imported``), since each of its rows would be registered a
    second time, unless ``confirm_duplicate`` says the uploader means it.
    """
    rows = read_rows(data)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic(durable=True):
        # The uploader's row is locked, so that the same workbook sent twice
        # at once (a double click on 上传并导入) is checked after the first
        # sending is kept: it then finds that import, as a later upload would.
        list(User.objects.select_for_update().filter(username=entered_by).values_list("pk"))
        earlier = _imported_before(digest)
        if earlier is not None and not confirm_duplicate:
            raise _already_imported(earlier)
        case_import = CaseImport(
            file_name=(file_name or "import.xlsx")[:200],
            sha256=digest,
            total_rows=len(rows),
            entered_by=entered_by[:64],
            created_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        case_import.file.save("import.xlsx", ContentFile(data), save=False)
        case_import.save()
        record_entry(
            actor=actor,
            action="hotline.queue_import",
            subject_type="hotline.import",
            subject_id=case_import.pk,
            data={
                "file": case_import.file_name,
                "rows": len(rows),
                "sha256": digest,
                **({"imported_before": earlier.pk} if earlier is not None else {}),
            },
        )
        transaction.on_commit(lambda: _enqueue(case_import.pk))
    return case_import


def _enqueue(import_id: int) -> None:
    from zhengtong.hotline.tasks import import_cases

    import_cases.enqueue(import_id)


PROGRESS_EVERY = 25
# An import is run by one worker at a time, and resumed if its worker dies.
IMPORTS = LeasedWork(CaseImport, waiting=ImportState.QUEUED, running=ImportState.RUNNING)

# The reasons a row is refused, by code, for wording a stored report in the
# reader's language. The texts are those ``do_submit_case`` and the row reader
# give; a code not listed here (or a report stored before codes had values)
# shows the message stored with it.
_FIELD_LABELS = {
    "content": gettext_lazy("诉求内容"),
    "title": gettext_lazy("标题"),
    "location_text": gettext_lazy("事发地点"),
    "contact_name": gettext_lazy("联系人"),
}
_FIELD_LIMITS = {
    "content": MAX_CONTENT,
    "title": MAX_TITLE,
    "location_text": MAX_LOCATION,
    "contact_name": MAX_CONTACT_NAME,
}
ROW_FAILED = gettext_lazy("这一行未能登记（系统出错，已记入日志），请核对后单独提交。")
_WITH_VALUE = {
    "invalid_received_at": gettext_lazy("受理时间“%(value)s”不是有效的日期时间。"),
    "invalid_urgency": gettext_lazy("紧急程度“%(value)s”无效，应为一般、紧急或特急。"),
    "invalid_supporters": gettext_lazy("附议数“%(value)s”不是整数。"),
}
_FIXED = {
    "content_too_short": gettext_lazy("请把诉求写得具体一些。"),
    "invalid_urgency": gettext_lazy("紧急程度无效。"),
    "invalid_phone": gettext_lazy("联系电话格式不正确。"),
    "received_in_future": gettext_lazy("受理时间不能晚于现在。"),
    "received_too_old": RECEIVED_TOO_OLD,
    "invalid_supporters": gettext_lazy("附议数不能为负数。"),
    "too_many_supporters": TOO_MANY_SUPPORTERS,
    "row_failed": ROW_FAILED,
}


def row_error_text(error: dict[str, Any]) -> str:
    """Return the reason a row was refused, in the reader's language."""
    code = str(error.get("code") or "")
    params = error.get("params")
    if isinstance(params, dict) and "value" in params and code in _WITH_VALUE:
        return str(_WITH_VALUE[code]) % {"value": params["value"]}
    if code in _FIXED and not (code in _WITH_VALUE and params is None):
        return str(_FIXED[code])
    for name, label in _FIELD_LABELS.items():
        if code == f"{name}_required":
            return _("请填写%(label)s。") % {"label": label}
        if code == f"{name}_too_long":
            return _("%(label)s不能超过 %(max)d 个字。") % {
                "label": label,
                "max": _FIELD_LIMITS[name],
            }
    return str(error.get("message") or code)


def _save_progress(case_import: CaseImport) -> None:
    # Bookkeeping between rows (each row's case has its own ledger entry),
    # which also renews this worker's lease on the import.
    IMPORTS.renew(
        case_import.pk,
        processed_rows=case_import.processed_rows,
        created=case_import.created,
        merged=case_import.merged,
        errors=case_import.errors,
    )


def run_import(case_import: CaseImport, *, actor: Actor) -> CaseImport:
    """Register every good row as a case; resumable: rows already registered are skipped.

    An import another worker is running (its lease not run out) is left to it.
    """
    if not IMPORTS.claim(case_import.pk):
        return CaseImport.objects.get(pk=case_import.pk)
    try:
        with case_import.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        # Where the server keeps its files and what the system said are for
        # whoever runs the platform; the page says which upload to send again.
        logger.exception("Import %d: its file could not be read", case_import.pk)
        return _finish(
            case_import,
            actor=actor,
            failure=("import_file_unreadable", {"name": case_import.file_name}),
        )
    try:
        rows = read_rows(data)
    except InvalidInput as error:
        return _finish(
            case_import, actor=actor, failure=(error.code, dict(error.detail.get("params") or {}))
        )
    done = {
        marker: (case_number, merged_into is not None)
        for marker, case_number, merged_into in Case.objects.filter(
            import_row__startswith=f"{case_import.pk}:"
        ).values_list("import_row", "number", "merged_into_id")
    }
    reported = set(case_import.created) | set(case_import.merged)
    # Bad rows are tried again below and reported afresh, once each.
    case_import.errors = []
    for position, (number, values) in enumerate(rows, start=1):
        marker = f"{case_import.pk}:{number}"
        if marker in done:
            # Registered before the crash, perhaps after the last saved
            # progress: the report must still list it.
            case_number, merged = done[marker]
            if case_number not in reported:
                (case_import.merged if merged else case_import.created).append(case_number)
        else:
            try:
                case = do_submit_case(
                    replace(_row_input(values), import_row=marker),
                    actor=actor,
                    entered_by=case_import.entered_by,
                )
            except ZhengtongError as error:
                # Stored by code and values and worded when read
                # (``row_error_text``), in the reader's language; the message
                # in the platform's language is kept for readers of the raw data.
                case_import.errors.append(
                    {
                        "row": number,
                        "code": error.code,
                        "params": dict(error.detail.get("params") or {}),
                        "message": str(error.message),
                    }
                )
            except (OperationalError, InterfaceError):
                # The database is away: the import stops here and its lease
                # brings it back, resuming at this row.
                raise
            except Exception:
                # A row the platform fails on would fail on every retry: it is
                # reported (and logged for whoever runs the platform) so that
                # the rows after it are still registered.
                logger.exception(
                    "Import %d: row %d could not be registered", case_import.pk, number
                )
                case_import.errors.append(
                    {"row": number, "code": "row_failed", "params": {}, "message": str(ROW_FAILED)}
                )
            else:
                (case_import.merged if case.merged_into_id else case_import.created).append(
                    case.number
                )
        case_import.processed_rows = position
        if position % PROGRESS_EVERY == 0:
            _save_progress(case_import)
    return _finish(case_import, actor=actor)


def _finish(
    case_import: CaseImport,
    *,
    actor: Actor,
    failure: tuple[str, dict[str, Any]] | None = None,
) -> CaseImport:
    code, params = failure or ("", {})
    # Stored by code and values and worded when read (``CaseImport.error_label``),
    # in the reader's language: the worker's language is nobody's, so the text
    # kept beside the code, for readers of the raw data, is the platform's.
    with translation.override(settings.LANGUAGE_CODE):
        error = (import_failure_text(code, params) or code) if code else ""
    with transaction.atomic(durable=True):
        locked = CaseImport.objects.select_for_update().get(pk=case_import.pk)
        locked.state = ImportState.FAILED if code else ImportState.DONE
        locked.error = error
        locked.error_code = code
        locked.error_params = params
        locked.processed_rows = case_import.processed_rows
        locked.created = case_import.created
        locked.merged = case_import.merged
        locked.errors = case_import.errors
        locked.finished_at = timezone.now()
        locked.save()
        record_entry(
            actor=actor,
            action="hotline.finish_import",
            subject_type="hotline.import",
            subject_id=locked.pk,
            data={
                "state": locked.state,
                "created": len(locked.created),
                "merged": len(locked.merged),
                "errors": len(locked.errors),
                **({"code": code} if code else {}),
            },
        )
    return locked
