"""The serious-dishonesty list (严重失信主体名单): listing, removal, expiry and publication.

Listing an enterprise puts a ``serious_dishonesty`` record on its credit file
(which caps its grade) and a ``DishonestyListing`` beside it, in one
transaction with one ledger entry. The list is shared with every department
as the catalog resource ``settings.ESERVICES_CREDIT_RESOURCE`` through the
exchange, where one-stop services look applicants up (联合惩戒): an
application of a listed enterprise is flagged to its reviewer.

Publication is a step of its own. The exchange's loads are actions with
their own durable transactions, so they cannot run inside the listing's;
instead every listing carries ``published_at``, None while the exchange's
copy is behind. A listing or removal enqueues the ``publish_dishonesty_list``
task once it has committed, and the hourly schedule runs the same task, so a
crash between the two, or an exchange that is not ready, only delays the
publication: nothing committed is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput, ZhengtongError
from zhengtong.core.i18n import stored_text
from zhengtong.core.models import Department, Enterprise
from zhengtong.exchange.actions import (
    FIRST_ROW,
    do_delete_dataset_records,
    do_load_dataset_rows,
    do_register_hosted_dataset,
)
from zhengtong.exchange.selectors import hostable_resources, hosted_dataset_of, lookup_record
from zhengtong.ledger.actions import record_entry
from zhengtong.regulation.credit_actions import add_credit_record, check_fact_date, regrade
from zhengtong.regulation.credit_scorecard import add_months
from zhengtong.regulation.models import CreditKind, CreditRecord, DishonestyListing
from zhengtong.regulation.texts import refuse_control_characters, visible_text

if TYPE_CHECKING:
    from zhengtong.catalog.models import Resource
    from zhengtong.exchange.models import HostedDataset

logger = logging.getLogger(__name__)

SUBJECT = "regulation.dishonesty_listing"
# The name the exchange's dataset versions carry for what this module loads.
SOURCE_NAME = "regulation.dishonesty_list"
# The resource's key item: the 统一社会信用代码.
KEY_ITEM = "uscc"
# The longest texts the resource's items hold (catalog demo: reason 500, authority 100).
MAX_REASON = 500
MAX_LEGAL_BASIS = 300
MAX_AUTHORITY = 100
MAX_REMOVAL_REASON = 300
EXPIRY_REASON = gettext_noop("有效期届满")
# The longest term a listing may be given. Lists keep an enterprise three
# years as a rule (the pages offer that term); five leaves room for the lists
# whose rules set a longer one, while an end beyond it (9999-12-31) is a
# typing error that would keep the enterprise listed, and its grade capped,
# for good. A longer term, should a law set one, is listed again when this
# one has run.
MAX_LISTING_YEARS = 5


def credit_resource_code() -> str:
    """Return the catalog code of the resource the list is published as."""
    return str(getattr(settings, "ESERVICES_CREDIT_RESOURCE", "104000000/000002"))


def _required(value: str, field: str, code: str, message: str, limit: int) -> str:
    text = visible_text(value)
    if not text:
        raise InvalidInput(message, code=code, detail={"fields": {field: "required"}})
    if len(text) > limit:
        raise InvalidInput(
            _("内容过长，最多 %(limit)d 个字。") % {"limit": limit},
            code="too_long",
            detail={"fields": {field: "too_long"}},
        )
    refuse_control_characters(text, field)
    return text


def _enqueue_publication() -> None:
    # Imported here: the tasks module imports this one.
    from zhengtong.regulation.tasks import publish_dishonesty_list

    publish_dishonesty_list.enqueue()


def _publish_after_commit() -> None:
    # robust: a failed enqueue must not undo a listing that committed; the
    # hourly schedule publishes what is still owed.
    transaction.on_commit(_enqueue_publication, robust=True)


def do_list_serious_dishonesty(
    enterprise: Enterprise,
    reason: str,
    legal_basis: str,
    authority: str,
    listed_on: dt.date,
    expires_on: dt.date,
    *,
    actor: Actor,
) -> DishonestyListing:
    """Put an enterprise on the serious-dishonesty list, with its credit record, and regrade it."""
    reason = _required(reason, "reason", "reason_required", _("请填写列入事由。"), MAX_REASON)
    legal_basis = _required(
        legal_basis, "legal_basis", "legal_basis_required", _("请填写认定依据。"), MAX_LEGAL_BASIS
    )
    authority = _required(
        authority, "authority", "authority_required", _("请填写认定部门。"), MAX_AUTHORITY
    )
    today = timezone.localdate()
    if listed_on > today:
        raise InvalidInput(
            _("列入日期不能晚于今天。"),
            code="listed_in_future",
            detail={"fields": {"listed_on": "invalid"}},
        )
    check_fact_date(listed_on, enterprise, field="listed_on")
    if expires_on <= listed_on:
        raise InvalidInput(
            _("有效期须晚于列入日期。"),
            code="expiry_not_after_listing",
            detail={"fields": {"expires_on": "invalid"}},
        )
    latest = add_months(listed_on, 12 * MAX_LISTING_YEARS)
    if expires_on > latest:
        raise InvalidInput(
            _("有效期至多为列入日期起%(years)d年（不晚于%(latest)s）。")
            % {"years": MAX_LISTING_YEARS, "latest": latest.isoformat()},
            code="expiry_too_far",
            detail={"fields": {"expires_on": "invalid"}, "latest": latest.isoformat()},
        )
    if expires_on < today:
        raise InvalidInput(
            _("有效期已经届满，不能再列入。"),
            code="already_expired",
            detail={"fields": {"expires_on": "invalid"}},
        )
    already = Conflict(_("该企业已在严重失信主体名单中。"), code="already_listed")
    with transaction.atomic(durable=True):
        # The enterprise's row lock makes two regulators listing it at once take turns.
        Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        if DishonestyListing.objects.filter(enterprise=enterprise, removed_at=None).exists():
            raise already
        record = add_credit_record(
            enterprise,
            CreditKind.SERIOUS_DISHONESTY,
            listed_on,
            reason,
            recorded_by=actor.label,
            authority=authority,
        )
        # Without a source reference the record is always written.
        assert record is not None
        try:
            with transaction.atomic():
                listing = DishonestyListing.objects.create(
                    enterprise=enterprise,
                    record=record,
                    reason=reason,
                    legal_basis=legal_basis,
                    authority=authority,
                    listed_on=listed_on,
                    expires_on=expires_on,
                    listed_by=actor.label[:64],
                )
        except IntegrityError:
            raise already from None
        # The record names the listing it stands for, as other records name their source.
        record.source_ref = f"listing:{listing.pk}"
        record.save(update_fields=["source_ref"])
        record_entry(
            actor=actor,
            action="regulation.list_serious_dishonesty",
            subject_type=SUBJECT,
            subject_id=listing.pk,
            data={
                "enterprise": enterprise.credit_code,
                "record": record.pk,
                "reason": reason,
                "legal_basis": legal_basis,
                "authority": authority,
                "listed_on": listed_on.isoformat(),
                "expires_on": expires_on.isoformat(),
            },
        )
        _publish_after_commit()
    return listing


def _remove(listing: DishonestyListing, reason: str, now: dt.datetime) -> None:
    """Take a locked, current listing off the list and repair its record; inside a transaction."""
    listing.removed_at = now
    listing.removal_reason = reason
    # The exchange's copy still shows the enterprise: a withdrawal is owed.
    listing.published_at = None
    listing.save(update_fields=["removed_at", "removal_reason", "published_at"])
    CreditRecord.objects.filter(pk=listing.record_id, repaired_at=None).update(repaired_at=now)
    regrade(listing.enterprise)


def do_remove_listing(
    listing: DishonestyListing, reason: str, *, actor: Actor
) -> DishonestyListing:
    """Take an enterprise off the serious-dishonesty list and regrade it."""
    reason = _required(
        reason,
        "reason",
        "removal_reason_required",
        _("请填写移出原因。"),
        MAX_REMOVAL_REASON,
    )
    with transaction.atomic(durable=True):
        locked = (
            DishonestyListing.objects.select_for_update()
            .select_related("enterprise")
            .get(pk=listing.pk)
        )
        if locked.removed_at is not None:
            raise Conflict(_("该企业已移出严重失信主体名单。"), code="not_listed")
        _remove(locked, reason, timezone.now())
        record_entry(
            actor=actor,
            action="regulation.remove_listing",
            subject_type=SUBJECT,
            subject_id=locked.pk,
            data={"enterprise": locked.enterprise.credit_code, "reason": reason},
        )
        _publish_after_commit()
    return locked


def do_expire_listings(*, actor: Actor, today: dt.date | None = None) -> list[DishonestyListing]:
    """Remove every listing whose term has ended (the day after ``expires_on``).

    One ledger entry names them all; a run that finds none writes nothing, so
    the hourly schedule does not fill the ledger with empty runs.
    """
    today = today or timezone.localdate()
    reason = stored_text(EXPIRY_REASON)
    with transaction.atomic(durable=True):
        expired = list(
            DishonestyListing.objects.select_for_update()
            .select_related("enterprise")
            .filter(removed_at=None, expires_on__lt=today)
            .order_by("pk")
        )
        if not expired:
            return []
        now = timezone.now()
        for listing in expired:
            _remove(listing, reason, now)
        record_entry(
            actor=actor,
            action="regulation.expire_listings",
            subject_type=SUBJECT,
            subject_id=today.isoformat(),
            data={
                "listings": [listing.pk for listing in expired],
                "enterprises": [listing.enterprise.credit_code for listing in expired],
            },
        )
        _publish_after_commit()
    return expired


# --- publication through the exchange ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What a publication run did; ``problem`` is a code when it could not finish."""

    published: int = 0
    withdrawn: int = 0
    owed: int = 0
    problem: str = ""
    message: str = ""


def _listing_row(listing: DishonestyListing) -> dict[str, str]:
    return {
        "uscc": listing.enterprise.credit_code,
        "name": listing.enterprise.name,
        "reason": listing.reason,
        "authority": listing.authority,
        "listed_on": listing.listed_on.isoformat(),
        "expires_on": listing.expires_on.isoformat(),
    }


def _resource() -> Resource | None:
    """The published resource the list goes to, if the catalog has it."""
    return hostable_resources(Department.objects.all()).filter(code=credit_resource_code()).first()


def _dataset(resource: Resource, actor: Actor) -> HostedDataset:
    dataset = hosted_dataset_of(resource)
    if dataset is not None:
        return dataset
    return do_register_hosted_dataset(resource, KEY_ITEM, actor=actor)


def _shown(dataset: HostedDataset, listing: DishonestyListing) -> bool:
    """Whether the exchange's row for the key is this listing's (and not another authority's)."""
    record = lookup_record(dataset, listing.enterprise.credit_code)
    if record is None:
        return False
    row = _listing_row(listing)
    return all(
        record.values.get(item) == row[item] for item in ("reason", "authority", "listed_on")
    )


def _owed(problem: str, message: str) -> PublishResult:
    owed = DishonestyListing.objects.filter(published_at=None).count()
    logger.warning(
        "Serious-dishonesty list not published (%s): %s; %d listings owed", problem, message, owed
    )
    return PublishResult(owed=owed, problem=problem, message=message)


def do_publish_listings(*, actor: Actor) -> PublishResult:
    """Bring the exchange's copy of the list up to date with every listing still owed.

    Current listings are loaded (upserted by 统一社会信用代码), removed ones
    withdrawn. A key is withdrawn only while the exchange's row is still the
    one this module put there, so rows other authorities put in the same
    dataset stay. Runs the exchange's own actions, each with its durable
    transaction and ledger entry, so it must not be called inside a
    transaction. If the resource is missing or not published the listings
    stay owed and the result says why.
    """
    owed = list(
        DishonestyListing.objects.select_related("enterprise")
        .filter(published_at=None)
        .order_by("pk")
    )
    if not owed:
        return PublishResult()
    resource = _resource()
    if resource is None:
        return _owed(
            "resource_unavailable",
            _("目录资源 %(code)s 不存在或未发布。") % {"code": credit_resource_code()},
        )
    try:
        dataset = _dataset(resource, actor)
    except ZhengtongError as error:
        return _owed(error.code, str(error.message))
    if dataset.key_item_code != KEY_ITEM:
        return _owed(
            "wrong_key_item",
            _("托管数据集的主键须为 %(key)s。") % {"key": KEY_ITEM},
        )

    current = [listing for listing in owed if listing.removed_at is None]
    removed = [listing for listing in owed if listing.removed_at is not None]
    # A key listed again after a removal stays: the newer listing is what the exchange shows.
    listed_keys = set(
        DishonestyListing.objects.filter(removed_at=None).values_list(
            "enterprise__credit_code", flat=True
        )
    )
    loaded: list[int] = []
    if current:
        report = do_load_dataset_rows(
            dataset,
            [_listing_row(listing) for listing in current],
            actor=actor,
            source_name=SOURCE_NAME,
        )
        rejected = {problem.row for problem in report.problems}
        for number, listing in enumerate(current, start=FIRST_ROW):
            if number in rejected:
                # A row the resource refuses will not pass on a retry either; it stays
                # owed and in the log until the listing or the resource is corrected.
                logger.error(
                    "Listing %d refused by the exchange: %s",
                    listing.pk,
                    "; ".join(p.reason for p in report.problems if p.row == number),
                )
            else:
                loaded.append(listing.pk)
    withdraw = sorted(
        {
            listing.enterprise.credit_code
            for listing in removed
            if listing.enterprise.credit_code not in listed_keys and _shown(dataset, listing)
        }
    )
    if withdraw:
        try:
            do_delete_dataset_records(dataset, withdraw, actor=actor, source_name=SOURCE_NAME)
        except InvalidInput as refused:
            # Every key was withdrawn meanwhile (another run of this task):
            # what was owed is done, and the exchange made no empty version.
            if refused.code != "nothing_to_delete":
                raise
    now = timezone.now()
    # Stamps only what is still as it was published: a listing removed while it
    # was being loaded keeps its withdrawal owed. (Bookkeeping: the exchange's
    # own ledger entries record the loads and withdrawals.)
    published = DishonestyListing.objects.filter(
        pk__in=loaded, published_at=None, removed_at=None
    ).update(published_at=now)
    withdrawn = DishonestyListing.objects.filter(
        pk__in=[listing.pk for listing in removed],
        published_at=None,
        removed_at__isnull=False,
    ).update(published_at=now)
    return PublishResult(
        published=published,
        withdrawn=withdrawn,
        owed=DishonestyListing.objects.filter(published_at=None).count(),
    )


def refresh_dishonesty_list(*, actor: Actor) -> PublishResult:
    """Remove the listings whose term has ended, then publish everything still owed."""
    do_expire_listings(actor=actor)
    return do_publish_listings(actor=actor)
