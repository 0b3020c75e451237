"""The serious-dishonesty list end to end: listing, publication through the exchange, 联合惩戒.

The one-stop services' cast (eservices/tests/test_applications_cast.py) is
used as it is: the development commission's catalog resource 严重失信主体名单
is hosted on the exchange with one row another authority put there (the
court listed 失信餐饮), the platform's exchange client checks applicants
against it, and 赵六 applies for a food business licence for 好味道餐饮. When
the regulator lists 好味道餐饮 and the list is published, 赵六's application
reaches the reviewer flagged with the listing's reason; after removal it is
clean again, and the court's row is never touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.demo import DEMO as CATALOG_DEMO
from zhengtong.catalog.models import Resource
from zhengtong.core.models import Department, Enterprise
from zhengtong.core.testing import (
    TEST_ACTOR,
    make_department,
    make_enterprise,
    make_person,
    make_region_tree,
)
from zhengtong.eservices.models import ApplicantKind, ServiceItem
from zhengtong.eservices.prefill import Subject, check_credit, ensure_platform_client
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    DISHONEST,
    ApplicationsCast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_cast import make_cast as make_services_cast
from zhengtong.eservices.tests.test_applications_flow import submitted
from zhengtong.exchange.selectors import dataset_versions
from zhengtong.ledger.models import LedgerEntry
from zhengtong.operations.schedule import periodic_tasks
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG
from zhengtong.regulation.credit_selectors import standing_of
from zhengtong.regulation.listing_actions import (
    SOURCE_NAME,
    do_expire_listings,
    do_list_serious_dishonesty,
    do_publish_listings,
    do_remove_listing,
)
from zhengtong.regulation.models import DishonestyListing
from zhengtong.regulation.tasks import publish_dishonesty_list

REASON = "拖欠农民工工资，情节严重"
AUTHORITY = "长沙市人力资源和社会保障局"
COURT_REASON = "拒不履行法院生效判决"  # the services' cast puts this row in the dataset
FOOD = ServiceItem(name="食品经营许可证核发")


@pytest.fixture
def services(db: None) -> ApplicationsCast:
    return make_services_cast()


def today() -> dt.date:
    return timezone.localdate()


def list_it(enterprise: Enterprise, reason: str = REASON) -> DishonestyListing:
    return do_list_serious_dishonesty(
        enterprise,
        reason,
        "《保障农民工工资支付条例》第四十八条",
        AUTHORITY,
        today(),
        today() + dt.timedelta(days=3 * 365),
        actor=TEST_ACTOR,
    )


def credit_of(enterprise: Enterprise) -> dict[str, Any]:
    subject = Subject(ApplicantKind.ENTERPRISE, enterprise.credit_code, enterprise.name)
    return check_credit(FOOD, subject)


def test_a_listed_enterprise_s_application_is_flagged_with_the_listing(
    services: ApplicationsCast,
) -> None:
    assert credit_of(services.enterprise)["status"] == "clean"
    listing = list_it(services.enterprise)
    # Committed but not yet published: the exchange does not know it yet.
    assert credit_of(services.enterprise)["status"] == "clean"
    result = do_publish_listings(actor=TEST_ACTOR)
    assert (result.published, result.withdrawn, result.owed, result.problem) == (1, 0, 0, "")
    listing.refresh_from_db()
    assert listing.published_at is not None
    check = credit_of(services.enterprise)
    assert check["status"] == "flagged" and check["flag"] is True
    (row,) = check["records"]
    assert row["reason"] == REASON and row["authority"] == AUTHORITY
    assert row["listed_on"] == today().isoformat()
    # Through one-stop services: the small-shop data would be approved at once
    # (秒批); for a listed enterprise it waits for staff, flagged with the record.
    body = submitted(logged_in(services.applicant), services, AUTOMATIC_FORM)
    assert body["state"] == "submitted"
    assert body["credit_check"]["flag"] is True
    assert body["credit_check"]["records"][0]["reason"] == REASON
    # The load is a version of the exchange's dataset, named for this module.
    (ours,) = [
        version
        for version in dataset_versions(Resource.objects.get(code=DISHONEST).hosted_dataset)
        if version.source_name == SOURCE_NAME
    ]
    assert (ours.accepted, ours.created) == (1, 1)


def test_a_removed_listing_is_withdrawn_and_other_rows_stay(services: ApplicationsCast) -> None:
    listing = list_it(services.enterprise)
    do_publish_listings(actor=TEST_ACTOR)
    do_remove_listing(listing, "信用修复申请已核准", actor=TEST_ACTOR)
    listing.refresh_from_db()
    assert listing.published_at is None  # the withdrawal is owed
    result = do_publish_listings(actor=TEST_ACTOR)
    assert (result.published, result.withdrawn, result.owed) == (0, 1, 0)
    assert credit_of(services.enterprise)["status"] == "clean"
    body = submitted(logged_in(services.applicant), services, AUTOMATIC_FORM)
    assert body["credit_check"]["status"] == "clean"
    # The court's listing of another enterprise is not this module's to withdraw.
    court = credit_of(services.flagged)
    assert court["status"] == "flagged" and court["records"][0]["reason"] == COURT_REASON
    assert LedgerEntry.objects.filter(action="exchange.delete_records").count() == 1


def test_a_listing_removed_before_publication_leaves_another_authority_s_row(
    services: ApplicationsCast,
) -> None:
    # The court had already listed 失信餐饮; this regulator lists and removes it
    # before anything was published, so the exchange's row is still the court's.
    listing = list_it(services.flagged, reason="虚假承诺")
    do_remove_listing(listing, "认定有误", actor=TEST_ACTOR)
    result = do_publish_listings(actor=TEST_ACTOR)
    assert (result.published, result.withdrawn, result.owed) == (0, 1, 0)
    court = credit_of(services.flagged)
    assert court["status"] == "flagged" and court["records"][0]["reason"] == COURT_REASON


def test_a_later_listing_of_the_same_enterprise_is_not_withdrawn(
    services: ApplicationsCast,
) -> None:
    first = list_it(services.enterprise, reason="第一次")
    do_remove_listing(first, "认定被撤销", actor=TEST_ACTOR)
    list_it(services.enterprise, reason="第二次")
    result = do_publish_listings(actor=TEST_ACTOR)
    assert (result.published, result.owed) == (1, 0)
    assert credit_of(services.enterprise)["records"][0]["reason"] == "第二次"


def test_listing_publishes_itself_once_committed(
    services: ApplicationsCast, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    # Tests run tasks at once (the immediate backend): the task enqueued on
    # commit publishes the listing without anyone calling for it.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        listing = list_it(services.enterprise)
    assert len(callbacks) >= 1
    listing.refresh_from_db()
    assert listing.published_at is not None
    assert credit_of(services.enterprise)["status"] == "flagged"


# --- crash safety: publication owed until the exchange can take it ----------------------------


def _publish_resource(code: str, department: Department) -> None:
    data = next(d for _, _, d in CATALOG_DEMO if d.code == code)
    resource = catalog.do_create_resource(department, data, actor=TEST_ACTOR)
    resource = catalog.do_submit_resource(resource, actor=TEST_ACTOR)
    resource = catalog.do_review_resource(resource, actor=TEST_ACTOR)
    catalog.do_publish_resource(resource, actor=TEST_ACTOR)


def test_a_listing_committed_while_publication_fails_is_published_later(db: None) -> None:
    city = make_region_tree().city
    development = make_department("长沙市发展和改革委员会", code="cs-development", region=city)
    data = make_department("长沙市数据资源管理局", code="cs-data", region=city)
    ensure_platform_client(data, actor=TEST_ACTOR)
    firm = make_enterprise("长沙市某劳务派遣有限公司", legal_representative=make_person("钱八"))
    listing = list_it(firm)
    # The exchange has no such resource yet: the listing stands, the publication is owed.
    failed = do_publish_listings(actor=TEST_ACTOR)
    assert failed.problem == "resource_unavailable" and failed.owed == 1
    assert DishonestyListing.objects.get(pk=listing.pk).published_at is None
    standing = standing_of(firm)
    assert standing is not None and standing.grade == DEFAULT_CONFIG["serious_dishonesty_grade"]
    # Once the resource is published, the next run hosts it and publishes what was owed.
    _publish_resource(DISHONEST, development)
    result = do_publish_listings(actor=TEST_ACTOR)
    assert (result.published, result.owed, result.problem) == (1, 0, "")
    assert LedgerEntry.objects.filter(action="exchange.register_hosted_dataset").count() == 1
    check = credit_of(firm)
    assert check["status"] == "flagged" and check["records"][0]["reason"] == REASON
    # Nothing owed: another run changes nothing.
    assert do_publish_listings(actor=TEST_ACTOR).published == 0


# --- expiry and the schedule -----------------------------------------------------------------


def test_an_expired_listing_is_removed_and_withdrawn_by_the_hourly_task(
    services: ApplicationsCast,
) -> None:
    listing = do_list_serious_dishonesty(
        services.enterprise,
        REASON,
        "《保障农民工工资支付条例》第四十八条",
        AUTHORITY,
        today() - dt.timedelta(days=3 * 365),
        today() + dt.timedelta(days=1),
        actor=TEST_ACTOR,
    )
    do_publish_listings(actor=TEST_ACTOR)
    assert credit_of(services.enterprise)["status"] == "flagged"
    # Nothing has expired yet on its last day.
    assert do_expire_listings(actor=TEST_ACTOR, today=listing.expires_on) == []
    # Two days later the term has ended (time passes: the end moves back instead).
    DishonestyListing.objects.filter(pk=listing.pk).update(
        expires_on=today() - dt.timedelta(days=1)
    )
    owed = publish_dishonesty_list.enqueue()
    assert owed.return_value == 0
    listing.refresh_from_db()
    assert listing.removed_at is not None and listing.removal_reason == "有效期届满"
    assert listing.record.repaired_at is not None
    standing = standing_of(services.enterprise)
    assert standing is not None and not standing.listed
    assert credit_of(services.enterprise)["status"] == "clean"
    assert LedgerEntry.objects.filter(action="regulation.expire_listings").count() == 1


def test_the_list_is_published_hourly_and_grades_are_renewed_daily() -> None:
    schedule = {task.task_path: task.interval_s for task in periodic_tasks()}
    assert schedule["zhengtong.regulation.tasks.publish_dishonesty_list"] == 3600
    assert schedule["zhengtong.regulation.tasks.regrade_enterprises"] == 24 * 3600
