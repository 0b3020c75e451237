"""The licences API's request and response shapes."""

from datetime import date, datetime

from ninja import Field, Schema


class VerificationOut(Schema):
    number: str
    status: str = Field(description="valid, revoked, expired or forged")
    valid: bool
    type: str = Field(description="the licence type's code")
    type_name: str = Field(
        description="the type's name as signed (payload version 2); "
        "for version 1, which did not sign it, the type's current name"
    )
    issuer: str = Field(description="the issuing department's name as signed")
    payload_version: int = Field(
        description="the layout of the signed payload: 1 signs the type by code only, "
        "2 also its name and the field labels"
    )
    valid_from: date
    valid_until: date | None = Field(description="null: valid until revoked (长期)")
    revoked_at: datetime | None
    revoke_reason: str = Field(
        description="why the issuer revoked it, as the public page shows; empty unless revoked"
    )
    algorithm: str
    key_id: str
    signature_ok: bool = Field(description="the signature covers the licence as stored")
    digest_ok: bool = Field(description="false when the given digest is not this licence's")


class SigningKeyOut(Schema):
    key_id: str
    algorithm: str
    public_key_pem: str
    first_used_at: datetime | None = Field(description="null for a key that has signed nothing yet")
    current: bool = Field(description="the key new licences are signed with")


class LicenceFieldOut(Schema):
    code: str
    label: str
    value: str


class LicenceOut(Schema):
    number: str
    type: str
    type_name: str
    status: str = Field(description="valid, revoked, expired or forged")
    holder_kind: str = Field(description="person or enterprise")
    holder_id: str
    holder_name: str
    issuer: str
    issued_at: datetime
    valid_from: date
    valid_until: date | None
    revoked_at: datetime | None
    revoke_reason: str
    verification_url: str
    fields: list[LicenceFieldOut]


class LicenceShareOut(Schema):
    id: int
    created_at: datetime
    created_by: str = Field(description="who made the link, as the ledger names them")
    expires_at: datetime
    withdrawn_at: datetime | None = Field(description="null unless the link was withdrawn")


class ShareIn(Schema):
    days: int = Field(description="how long the link works: 1, 7 or 30 days")


class NewLicenceShareOut(LicenceShareOut):
    url: str = Field(
        description="the link to pass on; answered only here, as the page shows it once"
    )
