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
