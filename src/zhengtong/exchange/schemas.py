"""Input and output schemas of the exchange API."""

import datetime as dt
import re
from typing import Annotated, Any

from django.conf import settings
from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict

from zhengtong.core.schemas import ErrorOut
from zhengtong.exchange.actions import (
    DEFAULT_RATE_PER_MINUTE,
    KEY_MAX_LENGTH,
    MAX_DURATION_DAYS,
    MAX_EXPECTED_PER_DAY,
    MAX_KEPT_PROBLEMS,
    MAX_RATE_PER_MINUTE,
)
from zhengtong.exchange.governed import MAX_BATCH_KEYS, PURPOSE_MAX
from zhengtong.exchange.selectors import MAX_ACCESS_LISTED, MAX_CHANGES
from zhengtong.exchange.upstream import UpstreamError

# What a read of a dataset proxied to the provider's own API answers when that
# API fails, times out or is shut off by the circuit breaker: the 5xx statuses
# of the upstream errors.
_UPSTREAM: list[type[UpstreamError]] = [UpstreamError, *UpstreamError.__subclasses__()]
UPSTREAM_ERRORS: dict[int, type[Schema]] = {
    status: ErrorOut for status in sorted({e.status for e in _UPSTREAM}) if status >= 500
}


class DatasetIn(Schema):
    resource_code: str = Field(description="the published resource, e.g. 102000000/000001")
    key_item_code: str = Field(description="the information item that identifies a record")


class DatasetOut(Schema):
    resource_code: str
    resource_name: str
    provider_code: str
    key_item_code: str
    versions: int
    records: int


class ProxiedDatasetIn(Schema):
    resource_code: str = Field(description="the published resource, e.g. 102000000/000001")
    key_item_code: str = Field(description="the information item that identifies a record")
    base_url: str = Field(
        description="the department API's address, http or https, e.g. https://api.scjg.example.gov.cn/v1"
    )
    path_template: str = Field("/{key}", description="the path of one record, holding {key} once")
    auth_header: str = Field(
        "", description="the credential the department API expects (Authorization); never shown"
    )
    connect_timeout: float = Field(2.0, description="seconds to open a connection")
    read_timeout: float = Field(5.0, description="seconds to wait for each piece of the answer")
    total_timeout: float = Field(10.0, description="seconds for a whole call, retries included")
    max_retries: int = Field(2, ge=0, le=10, description="retries after the first attempt")
    max_concurrency: int = Field(8, description="keys of a batch look-up asked at once (1–64)")
    batch_deadline: float = Field(20.0, description="seconds a whole batch look-up may take")


class ProxiedDatasetChangeIn(Schema):
    base_url: str | None = Field(None, description="a new address of the department's API")
    path_template: str | None = Field(None, description="a new path of one record, holding {key}")
    auth_header: str | None = Field(
        None, description='a new credential; "" removes it; left out, the credential stays'
    )
    connect_timeout: float | None = None
    read_timeout: float | None = None
    total_timeout: float | None = None
    max_retries: int | None = Field(None, ge=0, le=10)
    max_concurrency: int | None = None
    batch_deadline: float | None = None


class ProxiedDatasetOut(Schema):
    resource_code: str
    resource_name: str
    provider_code: str
    key_item_code: str
    base_url: str
    path_template: str
    auth_header_set: bool = Field(description="whether a credential is kept (it is never shown)")
    connect_timeout: float
    read_timeout: float
    total_timeout: float
    max_retries: int
    max_concurrency: int
    batch_deadline: float
    created_at: dt.datetime


class VersionOut(Schema):
    number: int
    actor: str
    at: dt.datetime
    source_name: str
    sha256: str
    accepted: int
    rejected: int
    created: int
    updated: int
    deleted: int


class RowProblemOut(Schema):
    row: int = Field(description="row number as the file shows it; the header is row 1")
    item: str = Field(description="code of the information item at fault, if one is")
    reason: str
    code: str = Field(
        description="the stable reason: unknown_item, invalid_value, key_required, key_too_long,"
        " duplicate_key, blank_row (pushed rows) or no_header (a value in a column the header"
        " names no item for)"
    )


class LoadReportOut(Schema):
    version: VersionOut
    unchanged: int
    problems: list[RowProblemOut]


class VersionProblemsOut(Schema):
    version: VersionOut
    problems: list[RowProblemOut] = Field(
        description=f"the rows the load left out, as the version kept them: an uploaded file's"
        f" first {MAX_KEPT_PROBLEMS:,} (version.rejected counts them all); none for pushed rows,"
        " which the push's answer listed; each reason in the request's language"
    )


class ChangeOut(Schema):
    seq: int
    key: str
    kind: str
    version: int
    at: dt.datetime


class ChangesOut(Schema):
    changes: list[ChangeOut]
    next_cursor: int = Field(description="pass as cursor to get the changes after these")


def _null_as_missing(value: object) -> object:
    # Many JSON writers send an unset text as null: that purpose was left out
    # all the same, and is refused as purpose_required, not as malformed input.
    return "" if value is None else value


# A purpose as the governed reads take it: JSON's null is no purpose.
Purpose = Annotated[str, BeforeValidator(_null_as_missing)]


# The bounds are documented in the schema but checked by the operations, which
# refuse with the stable codes named in each description rather than a 422.
def _purpose() -> Any:
    """The purpose every governed call states."""
    return Field(
        default="",
        description=(
            "本次调用的用途（必填，2至200个字，空白和不可见字符不计；"
            "缺少时答 purpose_required，过长时答 purpose_too_long）"
        ),
        json_schema_extra={"maxLength": PURPOSE_MAX},
    )


_WHOLE_NUMBER = re.compile(r"([+-]?)([0-9]+)", re.ASCII)
# What a feed parameter that is no whole number is read as: out of bounds for
# both the cursor (below 0) and the limit (below 1).
NOT_A_NUMBER = -1
# More digits than any bound has: read as a number past every bound, without
# converting text of any length.
_MAX_DIGITS = 30


def _feed_number(value: object) -> object:
    """A change-feed cursor or limit as given, read as a whole number.

    Text that is no whole number ("abc", "1.5", "") is read as
    ``NOT_A_NUMBER``, so that the operation refuses it as it refuses a number
    out of bounds (400 ``invalid_cursor`` or ``invalid_limit``, in the ledger
    for a governed read) rather than django-ninja answering 422 before the
    operation runs.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    found = _WHOLE_NUMBER.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        return NOT_A_NUMBER
    sign, digits = found.groups()
    digits = digits.lstrip("0") or "0"
    number = 10**_MAX_DIGITS if len(digits) > _MAX_DIGITS else int(digits)
    return -number if sign == "-" else number


# The type of a change-feed cursor or limit (and GovStack's page): still an integer in OpenAPI.
FeedNumber = Annotated[int, BeforeValidator(_feed_number)]


def feed_cursor() -> Any:
    """Where a change-feed read starts: after this ``seq``."""
    return Field(
        default=0,
        description=(
            "从该序号之后读起（0为从头；为负、不是整数或超出变更记录范围时答 invalid_cursor）"
        ),
        json_schema_extra={"minimum": 0},
    )


def feed_limit() -> Any:
    """How many changes one read returns at most."""
    return Field(
        default=100,
        description=f"本次最多读取的变更条数（1至{MAX_CHANGES}；超出或不是整数时答 invalid_limit）",
        json_schema_extra={"minimum": 1, "maximum": MAX_CHANGES},
    )


# --- Governed reads by department systems -------------------------------------


class GovernedReadIn(Schema):
    """The body of a governed read: a member it does not know is refused, not passed over.

    A misspelt ``fields`` (``feilds``) left out would read every item the
    system may, more personal data than the call meant to ask for.
    """

    model_config = ConfigDict(extra="forbid")


class LookUpIn(GovernedReadIn):
    # The bound is documented, not enforced by the schema: a longer key is a bad
    # key like any other (400 bad_key, in the ledger), not malformed input.
    key: str = Field(
        description=(
            f"主键值，如身份证号或统一社会信用代码（最长{KEY_MAX_LENGTH}个字符；超出时答 bad_key）"
        ),
        json_schema_extra={"maxLength": KEY_MAX_LENGTH},
    )
    purpose: Purpose = _purpose()
    fields: list[str] | None = Field(
        default=None, description="要返回的信息项代码；省略时返回有权读取的全部信息项"
    )


class RecordOut(Schema):
    key: str
    values: dict[str, str | None]
    masked: list[str] = Field(description="已脱敏返回的信息项")
    updated_at: dt.datetime


class WithheldOut(Schema):
    item: str
    code: str = Field(description="negative_list, not_granted, grant_revoked or grant_expired")


def _withheld() -> Any:
    return Field(
        default_factory=list,
        description="省略 fields 时未返回的信息项及原因（指定 fields 时，这些信息项使调用被拒绝）",
    )


class LookUpOut(RecordOut):
    withheld: list[WithheldOut] = _withheld()


class BatchLookUpIn(GovernedReadIn):
    keys: list[str] = Field(
        description="1至1000个主键（超出时答 no_keys 或 too_many_keys）",
        json_schema_extra={"minItems": 1, "maxItems": MAX_BATCH_KEYS},
    )
    purpose: Purpose = _purpose()
    fields: list[str] | None = None


class BatchLookUpOut(Schema):
    records: list[RecordOut]
    not_found: list[str]
    bad_keys: list[str]
    withheld: list[WithheldOut] = _withheld()


class VerifyIn(GovernedReadIn):
    key: str = Field(
        description=f"主键值（最长{KEY_MAX_LENGTH}个字符；超出时答 bad_key）",
        json_schema_extra={"maxLength": KEY_MAX_LENGTH},
    )
    claims: dict[str, str | int | float | bool] = Field(
        description=(
            "信息项代码 → 声称的值；数值、是否类信息项也可写作JSON数值或布尔值"
            "（该信息项不可能取的值答 bad_claim）"
        )
    )
    purpose: Purpose = _purpose()


class VerifyOut(Schema):
    results: dict[str, str] = Field(description="信息项代码 → match 或 no_match")
    all_match: bool


class SharedChangesIn(Schema):
    purpose: Purpose = _purpose()
    cursor: FeedNumber = feed_cursor()
    limit: FeedNumber = feed_limit()


class SharedChangeOut(Schema):
    seq: int
    kind: str
    key: str
    at: dt.datetime
    values: dict[str, str | None] | None


class SharedChangesOut(Schema):
    changes: list[SharedChangeOut]
    next_cursor: int
    withheld: list[WithheldOut] = _withheld()


# --- What a department system may read ------------------------------------------


class SharedAccessListIn(Schema):
    cursor: FeedNumber = Field(
        default=0,
        description=(
            "从该位置之后列起（0为从头；传入上次答复的 next_cursor；"
            "为负或不是整数时答 invalid_cursor）"
        ),
        json_schema_extra={"minimum": 0},
    )
    limit: FeedNumber = Field(
        default=100,
        description=(
            f"本次最多查看的目录资源数（1至{MAX_ACCESS_LISTED}；超出或不是整数时答 invalid_limit）"
        ),
        json_schema_extra={"minimum": 1, "maximum": MAX_ACCESS_LISTED},
    )


class TermsChangeOut(Schema):
    changed_at: dt.datetime
    reason: str
    old_rate_per_minute: int
    rate_per_minute: int
    old_expires_at: dt.datetime
    expires_at: dt.datetime


class HeldGrantOut(Schema):
    id: int
    purpose: str
    fields: list[str] = Field(description="the items the grant names")
    clear_fields: list[str] = Field(description="the personal items it names in clear")
    starts_at: dt.datetime
    expires_at: dt.datetime
    rate_per_minute: int
    revoked_at: dt.datetime | None
    status: str = Field(
        description="active, revoked, client_revoked, expired or resource_retired, as on GrantOut"
    )
    latest_terms_change: TermsChangeOut | None = Field(
        description="the provider's latest change of the rate or the expiry, with its reason"
    )


class SharedAccessOut(Schema):
    resource_code: str
    resource_name: str
    provider_code: str
    provider_name: str
    share_attribute: str = Field(description="unconditional, conditional or none (不予共享)")
    status: str = Field(
        description=(
            "readable: a look-up without fields is answered; otherwise the code that look-up "
            "is refused with: not_granted, grant_expired, grant_revoked or negative_list"
        )
    )
    basis: str | None = Field(
        description=(
            "why the system may read: open (无条件共享, no grant), own_department (its own "
            "department's resource, ADR 0003) or grant; null when it may not"
        )
    )
    fields: list[str] = Field(description="the items a look-up without fields returns")
    clear_fields: list[str] = Field(description="those of them returned unmasked")
    withheld: list[WithheldOut] = Field(
        description="the resource's other items and why a look-up without fields leaves them "
        "out; empty when the system may not read the resource (see status)"
    )
    rate_per_minute: int | None = Field(
        description="the calls per minute the look-up counts against: the grant's, the open "
        "rate or the own-department rate; null when it may not read"
    )
    served: bool = Field(
        description="whether the data is connected (hosted or the provider's API); "
        "if not, a look-up answers not_hosted"
    )
    grant: HeldGrantOut | None = Field(
        description="the system's grant the look-up is answered under, or, refused as "
        "grant_expired or grant_revoked, the grant that lapsed"
    )


class SharedAccessListOut(Schema):
    resources: list[SharedAccessOut] = Field(
        description="the resources the system may read now, by code"
    )
    next_cursor: int | None = Field(
        description="pass as cursor for the next page; null at the end of the list"
    )


# --- Applications and grants (staff) -------------------------------------------


class ApplicationIn(Schema):
    resource_code: str = Field(description="the published resource, e.g. 102000000/000001")
    client_key_id: str = Field(description="key id of your department's system that will call")
    purpose: str = Field(max_length=500, description="使用用途")
    legal_basis: str = Field(max_length=300, description="申请依据（法律法规名称和条款）")
    fields: list[str] = Field(description="申请的信息项代码")
    clear_fields: list[str] = Field(default=[], description="需明文返回的个人信息项代码")
    duration_days: int = Field(
        description="使用期限（天），1至1098（超出时答 invalid_duration）",
        json_schema_extra={"minimum": 1, "maximum": MAX_DURATION_DAYS},
    )
    expected_per_day: int = Field(
        description="预计日调用量，1至1亿（超出时答 invalid_volume）",
        json_schema_extra={"minimum": 1, "maximum": MAX_EXPECTED_PER_DAY},
    )


class ApplicationOut(Schema):
    id: int
    resource_code: str
    resource_name: str
    provider_code: str
    client_key_id: str
    client_name: str
    department_code: str
    purpose: str
    legal_basis: str
    fields: list[str]
    clear_fields: list[str]
    duration_days: int
    expected_per_day: int
    state: str = Field(description="pending, granted, refused or withdrawn")
    partial: bool = Field(
        description=(
            "已同意，但答复同意的信息项少于所申请的，或同意的期限短于所申请的（部分同意）；"
            "此后变更授权条件不改变答复"
        )
    )
    submitted_at: dt.datetime
    due_at: dt.datetime = Field(
        description=f"答复期限：提交后{settings.EXCHANGE_ANSWER_WORKING_DAYS}个工作日"
    )
    overdue: bool
    answered_at: dt.datetime | None
    answer_reason: str
    grant_id: int | None


class AccessApplicationListIn(Schema):
    box: str = Field(
        default="incoming",
        description="incoming: to answer for your own department's resources; "
        "outgoing: made for your own department's systems; overdue: every pending application "
        "past its due date; all: every application, newest first (overdue and all: data "
        "bureau only)",
    )
    state: str | None = Field(default=None, description="only applications in this state")


class GrantIn(Schema):
    fields: list[str] | None = Field(
        default=None, description="the items agreed to; omitted: every item applied for"
    )
    rate_per_minute: int = Field(
        default=DEFAULT_RATE_PER_MINUTE,
        description="calls allowed per minute (outside the bounds: invalid_rate)",
        json_schema_extra={"minimum": 1, "maximum": MAX_RATE_PER_MINUTE},
    )
    reason: str = Field(default="", max_length=500)
    clear_fields: list[str] | None = Field(
        default=None,
        description="the personal items agreed to in clear, among those applied for in clear "
        "(others: invalid_clear_fields); omitted: every one applied for; a granted personal "
        "item not listed is read masked",
    )
    days: int | None = Field(
        default=None,
        description="the period agreed to in days, 1 to the duration_days applied for "
        "(outside: invalid_duration); omitted: the period applied for",
        json_schema_extra={"minimum": 1, "maximum": MAX_DURATION_DAYS},
    )


class AccessReasonIn(Schema):
    reason: str = Field(max_length=500)


class GrantTermsIn(Schema):
    rate_per_minute: int | None = Field(
        default=None,
        description="the new calls allowed per minute (outside the bounds: invalid_rate); "
        "omitted: unchanged",
        json_schema_extra={"minimum": 1, "maximum": MAX_RATE_PER_MINUTE},
    )
    expires_at: dt.datetime | None = Field(
        default=None,
        description="the new expiry: after now (else expiry_in_past) and no later than the "
        "period applied for, counted from the grant's start (else expiry_beyond_period); "
        "without a zone, Asia/Shanghai; omitted: unchanged",
    )
    reason: str = Field(max_length=500, description="why the terms change (required)")


class GrantOut(Schema):
    id: int
    application_id: int | None
    resource_code: str
    resource_name: str
    provider_code: str
    client_key_id: str
    client_name: str
    department_code: str
    fields: list[str]
    clear_fields: list[str]
    purpose: str
    starts_at: dt.datetime
    expires_at: dt.datetime
    rate_per_minute: int
    revoked_at: dt.datetime | None
    revoke_reason: str
    status: str = Field(
        description="active: in force; revoked: revoked by the provider; client_revoked: the "
        "holding system was stopped before the grant ran out; expired: ran out; resource_retired: "
        "the resource was taken out of the catalog while the grant ran"
    )
    active: bool


class GrantListIn(Schema):
    box: str = Field(
        default="given",
        description="given: grants of your own department's resources; held: grants your "
        "own department's systems hold",
    )


# --- Records pushed by provider systems -----------------------------------------


class PushRecordsIn(Schema):
    rows: list[dict[str, str | int | float | bool | None]] = Field(
        description="记录：信息项代码 → 值；每行须含主键信息项", max_length=10_000
    )
    source_name: str = Field(default="", max_length=255, description="来源说明，记入版本")


class DeleteRecordsIn(Schema):
    keys: list[str] = Field(description="要删除的记录的主键", max_length=10_000)
    source_name: str = Field(default="", max_length=255)


class PushReportOut(Schema):
    version: VersionOut
    unchanged: int
    problems: list[RowProblemOut] = Field(description="退回的行；row 为请求中 rows 的序号，从 1 起")
