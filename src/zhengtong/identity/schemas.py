"""Input and output schemas of the identity API operations."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema


class DepartmentRefOut(Schema):
    code: str
    name: str
    short_name: str
    region_code: str


class RoleOut(Schema):
    code: str
    name: str = Field(description="in the request's language for built-in roles")


class PostOut(Schema):
    department: DepartmentRefOut
    role: RoleOut
    scope: Literal["department", "region"]
    scope_region_code: str | None = Field(
        description="for a region-wide post, the region it covers (that region and below)"
    )


class MembershipOut(Schema):
    credit_code: str
    name: str
    relation: Literal["legal_representative", "agent"]
    valid_until: dt.date | None


class MaskedPersonOut(Schema):
    name: str = Field(examples=["张*"])
    id_number: str = Field(examples=["430102********0016"])
    phone: str = Field(examples=["138****5678"])


class MeOut(Schema):
    kind: Literal["user", "client"]
    id: str = Field(description="the user's number, or the client's key id")
    label: str = Field(description="the name written into the audit log for this principal")
    audience: Literal["citizen", "enterprise", "staff"] | None = Field(
        description="for users; null for G2G clients and accounts of no audience"
    )
    username: str | None
    person: MaskedPersonOut | None = Field(description="the real-name record, masked")
    roles: list[RoleOut]
    department: DepartmentRefOut | None = Field(
        description="the client's department, or the department of the user's first post"
    )
    posts: list[PostOut]
    enterprises: list[MembershipOut]
    scopes: list[str] = Field(description="the API scopes of a G2G client; empty for users")


class ClientIn(Schema):
    department_code: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=128)
    scopes: list[str] = Field(default_factory=list, max_length=64)


class ClientOut(Schema):
    id: int
    key_id: str
    name: str
    department: DepartmentRefOut
    scopes: list[str]
    created_at: dt.datetime
    rotated_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    is_revoked: bool


class RotateClientIn(Schema):
    seen_rotation: str | None = Field(
        default=None,
        max_length=64,
        description="the client's rotated_at as last read, or 'never'; may be sent in the"
        " query string instead",
        examples=["2026-12-07T09:00:00.123+08:00", "never"],
    )


class ClientSecretOut(Schema):
    client: ClientOut
    secret: str = Field(description="shown only in this response; only its hash is kept")
    token: str = Field(
        description="the value to send as 'Authorization: Bearer <token>': '<key_id>.<secret>'"
    )
