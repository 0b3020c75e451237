"""The eservices API's request and response shapes."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import StrictBool
from pydantic.config import JsonDict

from zhengtong.eservices.actions import MAX_COPIES, MAX_LIMIT_DAYS, MAX_ONSITE_VISITS

# The bounds are documented in the schema but checked by the actions, which
# answer invalid_item with every problem by field rather than a 422.
_DAYS: JsonDict = {"minimum": 0, "maximum": MAX_LIMIT_DAYS}


class MaterialIn(Schema):
    name: str
    form: str = Field("original", description="original, copy or both")
    medium: str = Field("electronic", description="paper, electronic or either")
    copies: int = Field(1, json_schema_extra={"minimum": 1, "maximum": MAX_COPIES})
    requirement: str = Field("required", description="required, deferrable (容缺) or optional")
    source: str = Field("upload", description="upload, exchange (免提交) or licence (电子证照)")
    resource_code: str = Field("", description="for exchange: the catalog resource code")
    item_codes: list[str] = Field(default_factory=list, description="for exchange: item codes")
    licence_type: str = Field("", description="for licence: the e-licence type code")
    notes: str = ""


class SpecialProcedureIn(Schema):
    name: str
    max_days: int = Field(json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT_DAYS})
    # JSON true or false only, as every boolean the API reads (see TaskResultIn).
    counted_in_limit: StrictBool = False
    notes: str = ""


class StepIn(Schema):
    name: str
    description: str = ""
    days: int | None = Field(None, json_schema_extra=_DAYS)


class FeeIn(Schema):
    name: str
    standard: str
    basis: str


class FaqIn(Schema):
    question: str
    answer: str


class ServiceItemIn(Schema):
    department_code: str = Field(description="the implementing department (one you manage)")
    code: str = Field(description="12 digits: type (2), main item (5), sub-item (3), case (2)")
    name: str
    item_type: str = Field(
        description="licensing, confirmation, payment, filing, levy, adjudication, "
        "other_power or public_service"
    )
    setting_basis: str
    implementing_basis: str
    target: str = Field(description="person, legal or both")
    handling_kind: str = Field(description="immediate (即办件) or promised (承诺件)")
    statutory_limit_days: int = Field(json_schema_extra=_DAYS)
    committed_limit_days: int = Field(json_schema_extra=_DAYS)
    onsite_visits: int = Field(
        description="0 = fully online",
        json_schema_extra={"minimum": 0, "maximum": MAX_ONSITE_VISITS},
    )
    online_depth: str = Field(description="level1 .. level4 or full")
    acceptance_conditions: str
    place: str
    hours: str
    enquiry_phone: str
    complaint_phone: str
    summary: str = ""
    result_name: str = ""
    keywords: str = ""
    phrasings: list[str] = Field(default_factory=list, description="俗称, e.g. 开饭店")
    materials: list[MaterialIn] = Field(default_factory=list)
    special_procedures: list[SpecialProcedureIn] = Field(default_factory=list)
    steps: list[StepIn] = Field(default_factory=list)
    fees: list[FeeIn] = Field(default_factory=list, description="empty: 不收费")
    faqs: list[FaqIn] = Field(default_factory=list)
    process_id: str = ""
    form_schema: Any = Field(default_factory=dict, description="a JSON Schema object")
    co_department_codes: list[str] = Field(default_factory=list)


class ItemReasonIn(Schema):
    reason: str = ""


class MaterialOut(MaterialIn):
    pass


class SpecialProcedureOut(SpecialProcedureIn):
    pass


class ServiceItemSummaryOut(Schema):
    code: str
    name: str
    item_type: str
    department_code: str
    department_name: str
    target: str
    handling_kind: str
    committed_limit_days: int
    onsite_visits: int
    online_depth: str
    state: str
    score: float = 0


class ServiceItemOut(ServiceItemSummaryOut):
    summary: str
    setting_basis: str
    implementing_basis: str
    statutory_limit_days: int
    acceptance_conditions: str
    place: str
    hours: str
    enquiry_phone: str
    complaint_phone: str
    result_name: str
    keywords: str
    phrasings: list[str]
    materials: list[MaterialOut]
    special_procedures: list[SpecialProcedureOut]
    steps: list[StepIn]
    fees: list[FeeIn]
    faqs: list[FaqIn]
    process_id: str
    form_schema: dict[str, Any]
    co_department_codes: list[str]
    published_at: datetime | None
