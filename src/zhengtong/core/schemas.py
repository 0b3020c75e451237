"""Input and output schemas of the core API operations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

# A 统一社会信用代码 pasted from a spreadsheet or a chat carries a space, a
# no-break space or a line break around it: trimmed before the bound is
# checked, it is still the code (its look-up normalises the rest: full width,
# lower case).
CreditCodeIn = Annotated[str, StringConstraints(strip_whitespace=True, max_length=18)]


class ErrorOut(Schema):
    """The one error shape of every API operation."""

    code: str = Field(description="stable identifier clients may branch on")
    message: str = Field(description="what went wrong, in the request's language")
    detail: dict[str, Any] = Field(description="structured facts (which field, which digit)")


class RegionRefOut(Schema):
    code: str
    name: str
    level: int


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None


class RegionDetailOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None
    ancestors: list[RegionRefOut] = Field(description="from the province down to the parent")
    children: list[RegionOut]


class RegionFilterIn(Schema):
    parent: str | None = Field(
        None, description="the regions directly below this code (or inside it, with q)"
    )
    q: str | None = Field(None, max_length=32, description="part of a name, or a code prefix")
    limit: int = Field(100, ge=1, le=500)


class IdNumberCheckIn(Schema):
    id_number: str = Field(max_length=64, examples=["430102199001010016"])


class IdNumberCheckOut(Schema):
    id_number: str = Field(description="the number normalised: ASCII digits and an upper-case X")
    birth_date: dt.date
    sex: Literal["M", "F"]
    region_code: str = Field(description="the address code of the first six digits")
    region: list[RegionRefOut] = Field(
        description="the division of the address code, from the province down, if still listed"
    )


class CreditCodeCheckIn(Schema):
    credit_code: str = Field(max_length=64, examples=["91110000600037341L"])


class CreditCodeCheckOut(Schema):
    credit_code: str = Field(description="the code normalised to upper case")
    authority_code: str = Field(description="first character: the registering authority")
    authority: str
    entity_type_code: str = Field(description="second character: the kind of entity")
    region_code: str = Field(description="characters 3-8: the region of registration")
    region: list[RegionRefOut]
    organisation_code: str = Field(description="characters 9-17: the organisation code")


# The largest row offset a list takes: past the size of any table, and an
# OFFSET every database accepts (SQLite refuses one beyond 64 bits).
MAX_OFFSET = 2**31 - 1


class DepartmentFilterIn(Schema):
    region: str | None = Field(None, description="departments of this region and those inside it")
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class DepartmentOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str
    credit_code: str
    region: RegionRefOut
    parent_code: str | None


# The error statuses an operation may answer, each in the one error shape;
# operations list them in their `response=` so the OpenAPI document shows them.
ERROR_RESPONSES = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
