"""The catalog API's request and response shapes."""

from datetime import date
from typing import Any

from ninja import Field, Schema

from zhengtong.catalog.selectors import FINGERPRINT_LENGTH


class ItemIn(Schema):
    code: str = Field(description="信息项代码, letters, digits and _ . -")
    name: str
    data_type: str = Field(description="C, N, D, T, B or BY")
    length: int | None = None
    is_personal: bool = False
    sensitivity: str = Field("internal", description="public, internal, sensitive or core")
    share_attribute: str = Field("", description="blank to follow the resource")
    legal_basis: str = ""
    negative_scope: str = ""
    review_date: date | None = None


class ResourceIn(Schema):
    department_code: str = Field(description="the provider department (yours)")
    code: str = Field(description="classification code (9 digits) / sequence (6 digits)")
    name: str
    abstract: str
    format: str
    share_attribute: str = Field(description="unconditional, conditional or none")
    open_attribute: str = Field(description="unconditional, conditional or none")
    update_cycle: str
    keywords: str = ""
    share_conditions: str = ""
    share_method: str = Field("", description="api, table or file")
    open_conditions: str = ""
    legal_basis: str = Field("", description="law or regulation and article")
    negative_scope: str = ""
    review_date: date | None = None
    extension: dict[str, Any] = Field(default_factory=dict)
    related: list[str] = Field(
        default_factory=list,
        description="codes of related resources, each an entry you may see",
    )
    items: list[ItemIn]


class ResourceDraftIn(ResourceIn):
    version: int | None = Field(
        None,
        description="the draft's version as you read it (ResourceOut.version); a draft "
        "saved since is refused with stale_draft (409) instead of being written over. "
        "Without it the save is unconditional.",
    )


class RevisionIn(ResourceIn):
    version: int | None = Field(
        None,
        description="the change's version as you read it (RevisionOut.version); a change "
        "saved since is refused with stale_revision (409) instead of being written over. "
        "Without it the save is unconditional.",
    )


class ResourceReasonIn(Schema):
    # The length is checked by the action, after trimming, so that the page
    # and the API refuse alike (reason_too_long).
    reason: str = Field("", description="at most 500 characters (reason_too_long)")


class ItemOut(Schema):
    code: str
    name: str
    data_type: str
    length: int | None
    is_personal: bool
    sensitivity: str
    share_attribute: str = Field(
        description="the share attribute the exchange applies: the item's own, else the "
        "resource's; none throughout a resource that is not shared"
    )
    legal_basis: str


class ResourceSummaryOut(Schema):
    code: str
    name: str
    classification: str
    provider_code: str
    provider_name: str
    share_attribute: str
    open_attribute: str
    state: str
    score: int = 0


class ResourceOut(ResourceSummaryOut):
    version: int = Field(
        description="counts the saves of the content; send it back with the next save, "
        "and with an approval, so that neither is of content changed since you read it"
    )
    abstract: str
    keywords: str
    format: str
    share_conditions: str
    share_method: str
    open_conditions: str
    update_cycle: str
    legal_basis: str
    publish_date: date | None
    related: list[str] = Field(description="codes of the entries this one names as related")
    referenced_by: list[str] = Field(description="codes of the entries naming this one as related")
    extension: dict[str, Any]
    items: list[ItemOut]
    state_reason: str = Field(
        "",
        description="the data bureau's reason for the state: why the draft was returned, "
        "or why the entry was retired; empty otherwise",
    )


class NegativeEntryOut(Schema):
    resource_code: str
    resource_name: str
    provider_name: str
    item_code: str = Field(description="empty when the whole resource is not shared")
    item_name: str
    legal_basis: str
    scope: str
    review_date: date | None
    missing: list[str] = Field(
        description="what the line lacks (legal_basis, scope, review_date): entries published "
        "before these were required may have them blank; the data bureau has them completed"
    )
    review_due: bool = Field(description="the review date has come: the refusal is due for review")
    last_review_id: int = Field(
        0,
        description="the id of the line's last periodic review, 0 before its first; "
        "send it back as last_review_id with the next review",
    )
    fingerprint: str = Field(
        description="a digest of the line's name, legal basis, scope and review date as "
        "listed; send it back as fingerprint with the next review",
    )


class NegativeReviewIn(Schema):
    item_code: str = Field(
        "", description="the item refused on its own; empty for a whole 不予共享 resource"
    )
    legal_basis: str = Field(description="the law or regulation and its article")
    scope: str = Field(description="how far the refusal reaches (不予共享范围)")
    review_date: date | None = Field(
        None, description="when the line is next reviewed: after today"
    )
    note: str = Field("", description="the review's opinion, at most 500 characters")
    last_review_id: int | None = Field(
        None,
        ge=0,
        description="the line's last_review_id as you read it; omitted, the review is "
        "unconditional",
    )
    fingerprint: str | None = Field(
        None,
        max_length=FINGERPRINT_LENGTH,
        description="the line's fingerprint as you read it; omitted, the review does not "
        "check that the line is still as you read it",
    )


class RevisionChangeOut(Schema):
    field: str = Field(description="a field of the entry, or items.<code> for an item")
    heading: str
    before: str = Field(description="empty for an item the change adds")
    after: str = Field(description="empty for an item the change removes")


class RevisionOut(Schema):
    resource_code: str
    state: str = Field(description="draft, submitted, applied or discarded")
    version: int = Field(
        description="counts the saves of the content; send it back with the next save"
    )
    returned_reason: str = Field(description="why the data bureau last returned it")
    content: dict[str, Any] = Field(description="the whole entry as changed (ResourceIn's fields)")
    changes: list[RevisionChangeOut] = Field(
        description="what it changes of the entry as it stands"
    )
