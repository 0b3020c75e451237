"""Bulk import of messages from an XLSX workbook (e.g. another channel's export).

The first sheet's header row names the columns, in Chinese as staff write
them or in English: 标题/title, 内容/content (required), 事发地点/location,
联系人/contact_name, 联系电话/contact_phone, 紧急程度/urgency (一般/紧急/特急),
受理时间/received_at, 附议数/supporters, 匿名/anonymous (是/否). Each good row
becomes a case through ``do_submit_case`` (its own transaction and ledger
entry, so a bad row never undoes the good ones); each bad row is reported
with its row number and reason.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from zhengtong.core.actors import Actor
from zhengtong.core.errors import InvalidInput, ZhengtongError
from zhengtong.hotline.actions import CaseInput, do_submit_case
from zhengtong.hotline.states import Channel, Urgency

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


@dataclass(slots=True)
class ImportReport:
    created: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


def _when(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip().replace("/", "-")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError as error:
            raise InvalidInput(
                _("受理时间“%(value)s”不是有效的日期时间。") % {"value": value},
                code="invalid_received_at",
            ) from error
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _row_input(values: dict[str, Any]) -> CaseInput:
    urgency_text = _text(values.get("urgency")) or "一般"
    urgency = URGENCY_WORDS.get(urgency_text)
    if urgency is None:
        raise InvalidInput(
            _("紧急程度“%(value)s”无效，应为一般、紧急或特急。") % {"value": urgency_text},
            code="invalid_urgency",
        )
    supporters_text = _text(values.get("supporters")) or "0"
    try:
        supporters = int(supporters_text)
    except ValueError as error:
        raise InvalidInput(
            _("附议数“%(value)s”不是整数。") % {"value": supporters_text},
            code="invalid_supporters",
        ) from error
    return CaseInput(
        content=_text(values.get("content")),
        channel=Channel.IMPORT,
        title=_text(values.get("title")),
        location_text=_text(values.get("location_text")),
        urgency=urgency,
        anonymous=_text(values.get("anonymous")).lower() in YES,
        contact_name=_text(values.get("contact_name")),
        contact_phone=_text(values.get("contact_phone")),
        received_at=_when(values.get("received_at")),
        supporters=supporters,
    )


def import_workbook(data: bytes, *, actor: Actor, entered_by: str) -> ImportReport:
    """Create a case per good row of the workbook; report the bad rows by number and reason."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("文件超过 20 MB。"), code="file_too_large")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise InvalidInput(_("文件不是有效的 XLSX 工作簿。"), code="not_xlsx") from error
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise InvalidInput(_("工作簿是空的。"), code="empty_workbook")
    names = [COLUMNS.get(_text(cell).lower(), COLUMNS.get(_text(cell), "")) for cell in header]
    if "content" not in names:
        raise InvalidInput(
            _("缺少“内容”列（也可写作 content 或 留言详情）。"), code="missing_content_column"
        )
    report = ImportReport()
    for number, row in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            report.errors.append(
                {"row": number, "code": "too_many_rows", "message": _("超过一万行，其余未导入。")}
            )
            break
        if row is None or all(cell in (None, "") for cell in row):
            continue
        values = {name: cell for name, cell in zip(names, row, strict=False) if name}
        try:
            case = do_submit_case(_row_input(values), actor=actor, entered_by=entered_by)
        except ZhengtongError as error:
            report.errors.append({"row": number, "code": error.code, "message": str(error.message)})
            continue
        (report.merged if case.merged_into_id else report.created).append(case.number)
    book.close()
    return report
