"""Input and output schemas of the exchange API."""

import datetime as dt

from ninja import Field, Schema


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


class LoadReportOut(Schema):
    version: VersionOut
    unchanged: int
    problems: list[RowProblemOut]


class ChangeOut(Schema):
    seq: int
    key: str
    kind: str
    version: int
    at: dt.datetime


class ChangesOut(Schema):
    changes: list[ChangeOut]
    next_cursor: int = Field(description="pass as cursor to get the changes after these")


# --- Governed reads by department systems -------------------------------------


class LookUpIn(Schema):
    key: str = Field(max_length=100, description="主键值，如身份证号或统一社会信用代码")
    purpose: str = Field(description="本次调用的用途（必填）")
    fields: list[str] | None = Field(
        default=None, description="要返回的信息项代码；省略时返回有权读取的全部信息项"
    )


class RecordOut(Schema):
    key: str
    values: dict[str, str | None]
    masked: list[str] = Field(description="已脱敏返回的信息项")
    updated_at: dt.datetime


class BatchLookUpIn(Schema):
    keys: list[str] = Field(description="至多1000个主键")
    purpose: str
    fields: list[str] | None = None


class BatchLookUpOut(Schema):
    records: list[RecordOut]
    not_found: list[str]
    bad_keys: list[str]


class VerifyIn(Schema):
    key: str = Field(max_length=100)
    claims: dict[str, str] = Field(description="信息项代码 → 声称的值")
    purpose: str


class VerifyOut(Schema):
    results: dict[str, str] = Field(description="信息项代码 → match 或 no_match")
    all_match: bool


class SharedChangesIn(Schema):
    purpose: str
    cursor: int = 0
    limit: int = 100


class SharedChangeOut(Schema):
    seq: int
    kind: str
    key: str
    at: dt.datetime
    values: dict[str, str | None] | None


class SharedChangesOut(Schema):
    changes: list[SharedChangeOut]
    next_cursor: int
