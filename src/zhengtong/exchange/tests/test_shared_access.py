"""A department system asks what it may read, and on what terms, and a look-up agrees.

``GET /api/exchange/shared`` lists the published resources the county
bureau's reading system may read now, and ``GET /api/exchange/shared/{slug}``
answers for one resource, readable or not. Each answer is checked against a
look-up made right after it: every item listed is returned (in clear or
masked as listed), every other item is withheld or refused with the code the
answer gave.
"""

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.actions import ResourceInput
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.models import Department
from zhengtong.core.testing import TEST_ACTOR, make_credit_code
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessLog, Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    BASIS,
    ENTERPRISES,
    POPULATION,
    PURPOSE,
    Sharing,
    apply_for_phone,
    logged_in,
    make_sharing,
    publish,
)
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

# The market bureau's resource whose items are all 有条件共享 but the negative-listed one.
CONDITIONAL = "102000000/000003"
# The market bureau's 不予共享 resource.
NOT_SHARED = "102000000/000004"
# The county bureau's own resource, conditional too: its own systems need no grant.
COUNTY = "103000000/000001"
COUNTY_KEY = make_credit_code(seq=777)


def _conditional(code: str) -> ResourceInput:
    return resource_input(
        code,
        share_attribute="conditional",
        share_conditions="依申请",
        legal_basis="《政务数据共享条例》第十三条",
    )


def _slug(code: str) -> str:
    return code.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    sharing = make_sharing(cast)
    officer = actor_of(sharing.officer)
    conditional = publish(cast, _conditional(CONDITIONAL))
    hosted = actions.do_register_hosted_dataset(conditional, "uscc", actor=officer)
    actions.do_load_dataset_rows(
        hosted,
        [{"uscc": sharing.uscc, "name": "长沙某某餐饮有限公司", "phone": "13812345678"}],
        actor=officer,
        source_name="conditional.csv",
    )
    publish(
        cast,
        resource_input(
            NOT_SHARED, share_attribute="none", legal_basis="《政务数据共享条例》第十四条"
        ),
    )
    county = actor_of(sharing.county_officer)
    own = catalog.do_create_resource(
        cast.catalog.county,
        replace(_conditional(COUNTY), name="个体工商户信息"),
        actor=county,
    )
    for step in (
        catalog.do_submit_resource,
        catalog.do_review_resource,
        catalog.do_publish_resource,
    ):
        own = step(own, actor=TEST_ACTOR)
    own_hosted = actions.do_register_hosted_dataset(own, "uscc", actor=county)
    actions.do_load_dataset_rows(
        own_hosted,
        [{"uscc": COUNTY_KEY, "name": "芙蓉区某某小吃店", "phone": "13900001111"}],
        actor=county,
        source_name="county.csv",
    )
    return sharing


def _reader(sharing: Sharing) -> Client:
    return sharing.api(sharing.reader_token)


def _access(http: Client, code: str) -> dict[str, Any]:
    answer = http.get(f"/api/exchange/shared/{_slug(code)}")
    assert answer.status_code == 200, answer.json()
    body: dict[str, Any] = answer.json()
    return body


def _listed(http: Client, **params: Any) -> dict[str, dict[str, Any]]:
    answer = http.get("/api/exchange/shared", params)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["next_cursor"] is None
    return {entry["resource_code"]: entry for entry in answer.json()["resources"]}


def _look_up(http: Client, code: str, key: str, fields: list[str] | None = None) -> Any:
    body: dict[str, Any] = {"key": key, "purpose": PURPOSE}
    if fields is not None:
        body["fields"] = fields
    return http.post(f"/api/exchange/shared/{_slug(code)}/look-up", body, "application/json")


def _check_agrees(http: Client, access: dict[str, Any], key: str) -> None:
    """Make the look-ups the answer speaks of, and check they do as it said."""
    code = access["resource_code"]
    every = _look_up(http, code, key)
    if access["status"] != "readable":
        assert every.status_code == 403
        assert every.json()["code"] == access["status"]
        return
    if not access["served"]:
        assert every.status_code == 409 and every.json()["code"] == "not_hosted"
        return
    assert every.status_code == 200, every.json()
    got = every.json()
    assert list(got["values"]) == access["fields"]
    assert set(got["masked"]) == set(access["fields"]) - set(access["clear_fields"])
    assert got["withheld"] == access["withheld"]
    named = _look_up(http, code, key, access["fields"])
    assert named.status_code == 200 and named.json()["values"] == got["values"]
    for withheld in access["withheld"]:
        refused = _look_up(http, code, key, [withheld["item"]])
        assert refused.status_code == 403
        assert refused.json()["code"] == withheld["code"]


def _grant_on_conditional(sharing: Sharing, **terms: Any) -> Grant:
    application = actions.do_apply_for_access(
        Resource.objects.get(code=CONDITIONAL),
        sharing.reader,
        actions.ApplicationInput(
            purpose=PURPOSE,
            legal_basis=BASIS,
            fields=["name", "phone"],
            clear_fields=["phone"],
            duration_days=365,
            expected_per_day=100,
        ),
        actor=actor_of(sharing.county_officer),
    )
    return actions.do_grant_application(application, actor=actor_of(sharing.officer), **terms)


def _grant_on_population(sharing: Sharing) -> Grant:
    application = actions.do_apply_for_access(
        sharing.population,
        sharing.reader,
        actions.ApplicationInput(
            purpose="户籍核对事项办理",
            legal_basis="《居住证暂行条例》第十条",
            fields=["name", "address"],
            clear_fields=["name"],
            duration_days=30,
            expected_per_day=10,
        ),
        actor=actor_of(sharing.county_officer),
    )
    return actions.do_grant_application(application, actor=actor_of(sharing.officer))


def _expire(grant: Grant) -> None:
    now = timezone.now()
    Grant.objects.filter(pk=grant.pk).update(
        starts_at=now - dt.timedelta(days=400), expires_at=now - dt.timedelta(days=35)
    )


def _same_moment(shown: str, moment: dt.datetime) -> bool:
    # The API writes times to the millisecond.
    return abs(dt.datetime.fromisoformat(shown) - moment) < dt.timedelta(milliseconds=1)


def _reads() -> tuple[int, int]:
    return LedgerEntry.objects.count(), AccessLog.objects.count()


# --- Each kind of access, and the look-up that follows ---------------------------------


def test_an_open_resource_is_readable_without_a_grant_at_the_open_rate(sharing: Sharing) -> None:
    http = _reader(sharing)
    access = _access(http, ENTERPRISES)
    assert access["status"] == "readable" and access["basis"] == "open"
    assert access["share_attribute"] == "unconditional"
    assert access["provider_code"] == sharing.cast.catalog.market.code
    assert access["fields"] == ["uscc", "name", "licence"]
    assert access["clear_fields"] == ["uscc", "name", "licence"]
    assert access["withheld"] == [
        {"item": "legal_rep_id", "code": "negative_list"},
        {"item": "phone", "code": "not_granted"},
    ]
    assert access["rate_per_minute"] == settings.EXCHANGE_OPEN_RATE_PER_MINUTE
    assert access["grant"] is None and access["served"] is True
    _check_agrees(http, access, sharing.uscc)


def test_open_personal_items_are_listed_masked_as_the_look_up_masks_them(
    sharing: Sharing,
) -> None:
    http = _reader(sharing)
    access = _access(http, POPULATION)
    assert access["basis"] == "open"
    assert access["fields"] == ["id_number", "name"] and access["clear_fields"] == []
    _check_agrees(http, access, sharing.person.id_number)


def test_the_systems_own_departments_resource_is_readable_without_a_grant_in_clear(
    sharing: Sharing,
) -> None:
    http = _reader(sharing)
    access = _access(http, COUNTY)
    assert access["status"] == "readable" and access["basis"] == "own_department"
    assert access["share_attribute"] == "conditional"
    assert access["fields"] == ["uscc", "name", "licence", "phone"]
    assert access["clear_fields"] == access["fields"]
    assert access["withheld"] == [{"item": "legal_rep_id", "code": "negative_list"}]
    assert access["rate_per_minute"] == settings.EXCHANGE_OWN_RATE_PER_MINUTE
    assert access["grant"] is None
    _check_agrees(http, access, COUNTY_KEY)


def test_a_grant_in_force_lists_its_items_which_in_clear_and_its_terms(sharing: Sharing) -> None:
    grant = _grant_on_conditional(sharing, rate_per_minute=30)
    http = _reader(sharing)
    access = _access(http, CONDITIONAL)
    assert access["status"] == "readable" and access["basis"] == "grant"
    assert access["fields"] == ["name", "phone"]
    # The enterprise's name is no personal information; the phone is granted in clear.
    assert access["clear_fields"] == ["name", "phone"]
    assert access["rate_per_minute"] == 30
    held = access["grant"]
    assert held["id"] == grant.pk and held["purpose"] == PURPOSE
    assert held["status"] == "active" and held["rate_per_minute"] == 30
    assert held["clear_fields"] == ["phone"]
    assert _same_moment(held["expires_at"], grant.expires_at)
    assert held["latest_terms_change"] is None
    _check_agrees(http, access, sharing.uscc)


def test_a_granted_personal_item_not_granted_in_clear_is_listed_masked(sharing: Sharing) -> None:
    _grant_on_population(sharing)
    http = _reader(sharing)
    access = _access(http, POPULATION)
    assert access["basis"] == "grant"
    assert access["fields"] == ["id_number", "name", "address"]
    assert access["clear_fields"] == ["name"]
    assert access["withheld"] == []
    _check_agrees(http, access, sharing.person.id_number)
    values = _look_up(http, POPULATION, sharing.person.id_number).json()["values"]
    assert values["name"] == "张三" and values["address"] != "长沙市芙蓉区文艺路1号"


def test_a_change_of_terms_is_shown_and_the_look_up_follows_the_new_rate(
    sharing: Sharing, one_minute: None
) -> None:
    grant = _grant_on_conditional(sharing, rate_per_minute=30)
    expires = grant.expires_at - dt.timedelta(days=100)
    actions.do_change_grant_terms(
        grant,
        actor=actor_of(sharing.officer),
        reason="审批量下降，收紧调用上限",
        rate_per_minute=1,
        expires_at=expires,
    )
    http = _reader(sharing)
    access = _access(http, CONDITIONAL)
    assert access["rate_per_minute"] == 1
    held = access["grant"]
    assert held["rate_per_minute"] == 1
    assert _same_moment(held["expires_at"], expires)
    change = held["latest_terms_change"]
    assert change["reason"] == "审批量下降，收紧调用上限"
    assert change["old_rate_per_minute"] == 30 and change["rate_per_minute"] == 1
    assert _same_moment(change["expires_at"], expires)
    assert _listed(http)[CONDITIONAL] == access
    assert _look_up(http, CONDITIONAL, sharing.uscc).status_code == 200
    limited = _look_up(http, CONDITIONAL, sharing.uscc)
    assert limited.status_code == 429
    assert limited.json()["detail"]["rate_per_minute"] == access["rate_per_minute"]


def test_an_expired_grant_is_named_and_the_look_up_is_refused_as_expired(
    sharing: Sharing,
) -> None:
    grant = _grant_on_conditional(sharing)
    _expire(grant)
    http = _reader(sharing)
    access = _access(http, CONDITIONAL)
    assert access["status"] == "grant_expired" and access["basis"] is None
    assert access["fields"] == [] and access["rate_per_minute"] is None
    assert access["grant"]["id"] == grant.pk and access["grant"]["status"] == "expired"
    _check_agrees(http, access, sharing.uscc)
    assert CONDITIONAL not in _listed(http)


def test_an_expired_grant_on_an_open_resource_leaves_the_open_items_readable(
    sharing: Sharing,
) -> None:
    grant = actions.do_grant_application(apply_for_phone(sharing), actor=actor_of(sharing.officer))
    _expire(grant)
    http = _reader(sharing)
    access = _access(http, ENTERPRISES)
    assert access["status"] == "readable" and access["basis"] == "open"
    assert {"item": "phone", "code": "grant_expired"} in access["withheld"]
    _check_agrees(http, access, sharing.uscc)


def test_a_revoked_grant_is_named_and_the_look_up_is_refused_as_revoked(
    sharing: Sharing,
) -> None:
    grant = _grant_on_conditional(sharing)
    http = _reader(sharing)
    assert CONDITIONAL in _listed(http)
    actions.do_revoke_grant(grant, actor=actor_of(sharing.officer), reason="审批事项已办结")
    access = _access(http, CONDITIONAL)
    assert access["status"] == "grant_revoked"
    assert access["grant"]["id"] == grant.pk and access["grant"]["status"] == "revoked"
    assert access["grant"]["revoked_at"] is not None
    _check_agrees(http, access, sharing.uscc)
    assert CONDITIONAL not in _listed(http)


def test_a_resource_not_shared_answers_negative_list(sharing: Sharing) -> None:
    http = _reader(sharing)
    access = _access(http, NOT_SHARED)
    assert access["status"] == "negative_list" and access["share_attribute"] == "none"
    assert access["fields"] == [] and access["grant"] is None
    _check_agrees(http, access, sharing.uscc)
    assert NOT_SHARED not in _listed(http)


def test_another_departments_resource_without_a_grant_answers_not_granted_and_hides_others_grants(
    sharing: Sharing,
) -> None:
    # Another department's system holds a grant on it; the reader learns nothing of it.
    third = Department.objects.get(code="cs-eco")
    other, _secret = do_issue_client(
        third, "环境监管系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    application = actions.do_apply_for_access(
        Resource.objects.get(code=CONDITIONAL),
        other,
        actions.ApplicationInput(
            purpose="环境执法中核查企业联系方式",
            legal_basis=BASIS,
            fields=["name", "phone"],
            duration_days=365,
            expected_per_day=100,
        ),
        actor=TEST_ACTOR,
    )
    actions.do_grant_application(application, actor=actor_of(sharing.officer), rate_per_minute=7)
    http = _reader(sharing)
    answer = http.get(f"/api/exchange/shared/{_slug(CONDITIONAL)}")
    access = answer.json()
    assert access["status"] == "not_granted" and access["grant"] is None
    assert access["rate_per_minute"] is None and access["fields"] == []
    assert "环境执法" not in json.dumps(access, ensure_ascii=False)
    _check_agrees(http, access, sharing.uscc)
    assert CONDITIONAL not in _listed(http)


def test_the_list_holds_exactly_the_resources_a_look_up_answers(sharing: Sharing) -> None:
    _grant_on_conditional(sharing)
    http = _reader(sharing)
    listed = _listed(http)
    # The cast's own enterprise resource is open too, but holds no data yet.
    unhosted = sharing.cast.resource.code
    assert list(listed) == sorted([POPULATION, unhosted, ENTERPRISES, CONDITIONAL, COUNTY])
    assert {code: entry["basis"] for code, entry in listed.items()} == {
        POPULATION: "open",
        unhosted: "open",
        ENTERPRISES: "open",
        CONDITIONAL: "grant",
        COUNTY: "own_department",
    }
    assert [code for code, entry in listed.items() if not entry["served"]] == [unhosted]
    for code, entry in listed.items():
        assert entry == _access(http, code)
    keys = {POPULATION: sharing.person.id_number, COUNTY: COUNTY_KEY}
    for code, entry in listed.items():
        _check_agrees(http, entry, keys.get(code, sharing.uscc))
    assert _look_up(http, NOT_SHARED, sharing.uscc).status_code == 403


# --- Paging ---------------------------------------------------------------------------------


def test_the_list_is_read_a_page_at_a_time_with_the_cursor(sharing: Sharing) -> None:
    _grant_on_conditional(sharing)
    http = _reader(sharing)
    whole = _listed(http)
    paged: list[str] = []
    cursor: int | None = 0
    pages = 0
    while cursor is not None:
        page = http.get("/api/exchange/shared", {"cursor": cursor, "limit": 2}).json()
        paged += [entry["resource_code"] for entry in page["resources"]]
        cursor = page["next_cursor"]
        pages += 1
        assert pages < 10
    assert paged == list(whole)
    assert pages > 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cursor": -1}, "invalid_cursor"),
        ({"cursor": "abc"}, "invalid_cursor"),
        ({"cursor": str(2**64)}, "invalid_cursor"),
        ({"limit": 0}, "invalid_limit"),
        ({"limit": 501}, "invalid_limit"),
        ({"limit": "1.5"}, "invalid_limit"),
    ],
)
def test_a_bad_page_is_refused_with_a_stable_code(
    sharing: Sharing, params: dict[str, Any], code: str
) -> None:
    answer = _reader(sharing).get("/api/exchange/shared", params)
    assert answer.status_code == 400
    assert answer.json()["code"] == code and "message" in answer.json()


# --- Unknown resources, callers and the ledger ---------------------------------------------


def test_an_unknown_or_unpublished_resource_answers_as_the_look_up_does(
    sharing: Sharing,
) -> None:
    draft = catalog.do_create_resource(
        sharing.cast.catalog.market,
        resource_input("102000000/000009"),
        actor=actor_of(sharing.officer),
    )
    http = _reader(sharing)
    for code in ("102000000/999999", draft.code):
        answer = http.get(f"/api/exchange/shared/{_slug(code)}")
        looked = _look_up(http, code, sharing.uscc)
        assert answer.status_code == looked.status_code == 404
        assert answer.json()["code"] == looked.json()["code"] == "resource_not_found"


def test_asking_what_may_be_read_is_not_logged_as_a_data_access(sharing: Sharing) -> None:
    _grant_on_conditional(sharing)
    http = _reader(sharing)
    before = _reads()
    _listed(http)
    for code in (ENTERPRISES, CONDITIONAL, NOT_SHARED, COUNTY):
        _access(http, code)
    assert _reads() == before


def test_without_a_token_or_as_a_session_user_it_is_refused_as_the_look_up_is(
    sharing: Sharing,
) -> None:
    for http in (Client(), logged_in(sharing.county_officer)):
        looked = _look_up(http, ENTERPRISES, sharing.uscc)
        assert looked.status_code == 401
        for path in ("/api/exchange/shared", f"/api/exchange/shared/{_slug(ENTERPRISES)}"):
            answer = http.get(path)
            assert answer.status_code == looked.status_code
            assert answer.json()["code"] == looked.json()["code"]


def test_a_system_without_the_read_scope_is_refused(sharing: Sharing) -> None:
    http = sharing.api(sharing.pusher_token)
    for path in ("/api/exchange/shared", f"/api/exchange/shared/{_slug(ENTERPRISES)}"):
        answer = http.get(path)
        assert answer.status_code == 403 and answer.json()["code"] == "scope_missing"


def test_another_system_of_the_same_department_does_not_read_under_the_readers_grant(
    sharing: Sharing,
) -> None:
    # A second system of the reader's department has no grant of its own: the
    # grant is the system's, not the department's.
    second, secret = do_issue_client(
        sharing.cast.catalog.county, "芙蓉区登记系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    _grant_on_conditional(sharing)
    http = Client(HTTP_AUTHORIZATION=f"Bearer {second.key_id}.{secret}")
    access = _access(http, CONDITIONAL)
    # Its own department's resource is still its own.
    assert access["status"] == "not_granted"
    assert _access(http, COUNTY)["basis"] == "own_department"
    _check_agrees(http, access, sharing.uscc)


def test_a_conditional_resource_with_an_item_shared_unconditionally_is_listed_as_open(
    sharing: Sharing,
) -> None:
    code = "102000000/000005"
    data = _conditional(code)
    items = [
        replace(item, share_attribute="unconditional") if item.code == "name" else item
        for item in data.items
    ]
    resource = publish(sharing.cast, replace(data, items=items))
    officer = actor_of(sharing.officer)
    hosted = actions.do_register_hosted_dataset(resource, "uscc", actor=officer)
    actions.do_load_dataset_rows(
        hosted,
        [{"uscc": sharing.uscc, "name": "长沙某某餐饮有限公司"}],
        actor=officer,
        source_name="open-name.csv",
    )
    http = _reader(sharing)
    listed = _listed(http)
    assert listed[code]["basis"] == "open" and listed[code]["fields"] == ["name"]
    _check_agrees(http, listed[code], sharing.uscc)
