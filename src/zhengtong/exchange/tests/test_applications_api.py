"""Applications, grants and pushed records through the API."""

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.calendar import add_working_days
from zhengtong.core.testing import TEST_ACTOR, make_credit_code, make_holiday, make_id_number
from zhengtong.exchange.actions import do_grant_application, do_recount_answer_deadlines
from zhengtong.exchange.models import AccessApplication, AccessLog, DatasetVersion
from zhengtong.exchange.tasks import recount_answer_deadlines
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
)
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

SLUG = ENTERPRISES.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _application(sharing: Sharing, **changes: Any) -> dict[str, Any]:
    body = {
        "resource_code": ENTERPRISES,
        "client_key_id": sharing.reader.key_id,
        "purpose": PURPOSE,
        "legal_basis": BASIS,
        "fields": ["name", "phone"],
        "duration_days": 365,
        "expected_per_day": 100,
    }
    return body | changes


def _post(http: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return http.post(f"/api/exchange{path}", body or {}, "application/json")


def _look_up_phone(sharing: Sharing) -> Any:
    return sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": sharing.uscc, "purpose": "联系企业", "fields": ["phone"]},
        "application/json",
    )


def test_an_officer_applies_and_the_provider_grants_so_the_system_reads_the_item(
    sharing: Sharing,
) -> None:
    applicant, provider = logged_in(sharing.county_officer), logged_in(sharing.officer)
    before = LedgerEntry.objects.count()
    made = _post(applicant, "/applications", _application(sharing))
    assert made.status_code == 201, made.json()
    application = made.json()
    assert application["state"] == "pending" and application["overdue"] is False
    due = dt.datetime.fromisoformat(application["due_at"])
    submitted = dt.datetime.fromisoformat(application["submitted_at"])
    assert due.date() == add_working_days(submitted, 10).astimezone(due.tzinfo).date()
    assert LedgerEntry.objects.count() == before + 1
    assert _look_up_phone(sharing).json()["code"] == "not_granted"

    incoming = provider.get("/api/exchange/applications?box=incoming").json()
    assert [a["id"] for a in incoming] == [application["id"]]
    assert provider.get("/api/exchange/applications?box=outgoing").json() == []
    # The applicant cannot answer its own application.
    refused = _post(applicant, f"/applications/{application['id']}/grant")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"

    granted = _post(
        provider,
        f"/applications/{application['id']}/grant",
        {"fields": ["phone"], "rate_per_minute": 60},
    )
    assert granted.status_code == 200, granted.json()
    grant = granted.json()
    assert grant["fields"] == ["phone"] and grant["active"] is True
    assert grant["rate_per_minute"] == 60 and grant["client_key_id"] == sharing.reader.key_id
    answer = _look_up_phone(sharing)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["values"]["phone"] == "138****5678"

    held = applicant.get("/api/exchange/grants?box=held").json()
    assert [g["id"] for g in held] == [grant["id"]]
    assert applicant.get("/api/exchange/grants?box=given").json() == []
    shown = applicant.get(f"/api/exchange/applications/{application['id']}").json()
    assert shown["state"] == "granted" and shown["grant_id"] == grant["id"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"duration_days": 0}, "invalid_duration"),
        ({"duration_days": 1099}, "invalid_duration"),
        ({"expected_per_day": 0}, "invalid_volume"),
        # Beyond any department's need and beyond the column on PostgreSQL.
        ({"expected_per_day": 10**10}, "invalid_volume"),
    ],
)
def test_an_application_outside_the_documented_bounds_is_refused_with_its_code(
    sharing: Sharing, changes: dict[str, int], code: str
) -> None:
    applicant = logged_in(sharing.county_officer)
    refused = _post(applicant, "/applications", _application(sharing, **changes))
    assert refused.status_code == 400 and refused.json()["code"] == code
    assert not AccessApplication.objects.exists()
    # The bounds the operation checks are the ones its schema documents.
    schema = applicant.get("/api/openapi.json").json()["components"]["schemas"]["ApplicationIn"]
    field, value = next(iter(changes.items()))
    bounds = schema["properties"][field]
    assert not bounds["minimum"] <= value <= bounds["maximum"]
    accepted = _post(
        applicant, "/applications", _application(sharing, **{field: bounds["maximum"]})
    )
    assert accepted.status_code == 201, accepted.json()


def test_a_grant_rate_outside_the_documented_bounds_is_refused_with_its_code(
    sharing: Sharing,
) -> None:
    applicant, provider = logged_in(sharing.county_officer), logged_in(sharing.officer)
    application = _post(applicant, "/applications", _application(sharing)).json()
    schema = provider.get("/api/openapi.json").json()["components"]["schemas"]["GrantIn"]
    bounds = schema["properties"]["rate_per_minute"]
    grant = f"/applications/{application['id']}/grant"
    for rate in (bounds["minimum"] - 1, bounds["maximum"] + 1):
        refused = _post(provider, grant, {"rate_per_minute": rate})
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_rate"
        assert refused.json()["detail"] == {"max": bounds["maximum"]}
    granted = _post(provider, grant, {"rate_per_minute": bounds["maximum"]})
    assert granted.status_code == 200 and granted.json()["rate_per_minute"] == bounds["maximum"]


def test_the_provider_revokes_a_grant_and_the_next_call_is_refused(sharing: Sharing) -> None:
    provider = logged_in(sharing.officer)
    application = apply_for_phone(sharing)
    grant = _post(provider, f"/applications/{application.pk}/grant").json()
    assert _look_up_phone(sharing).status_code == 200
    holder = logged_in(sharing.county_officer)
    not_theirs = _post(holder, f"/grants/{grant['id']}/revoke", {"reason": "不再需要"})
    assert not_theirs.status_code == 403
    no_reason = _post(provider, f"/grants/{grant['id']}/revoke", {"reason": " "})
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    revoked = _post(provider, f"/grants/{grant['id']}/revoke", {"reason": "审批事项已办结"})
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False and revoked.json()["revoke_reason"] == "审批事项已办结"
    assert _look_up_phone(sharing).json()["code"] == "grant_revoked"
    again = _post(provider, f"/grants/{grant['id']}/revoke", {"reason": "重复"})
    assert again.status_code == 409 and again.json()["code"] == "grant_revoked"


def test_refusal_needs_a_reason_and_a_withdrawn_application_cannot_be_granted(
    sharing: Sharing,
) -> None:
    provider, applicant = logged_in(sharing.officer), logged_in(sharing.county_officer)
    first = apply_for_phone(sharing)
    blank = _post(provider, f"/applications/{first.pk}/refuse", {"reason": ""})
    assert blank.status_code == 400 and blank.json()["code"] == "reason_required"
    refused = _post(provider, f"/applications/{first.pk}/refuse", {"reason": "用途与事项无关"})
    assert refused.json()["state"] == "refused"
    assert refused.json()["answer_reason"] == "用途与事项无关"

    second = apply_for_phone(sharing)
    # Only the applying department withdraws.
    assert _post(provider, f"/applications/{second.pk}/withdraw").status_code == 403
    withdrawn = _post(applicant, f"/applications/{second.pk}/withdraw")
    assert withdrawn.json()["state"] == "withdrawn"
    late = _post(provider, f"/applications/{second.pk}/grant")
    assert late.status_code == 409 and late.json()["code"] == "application_closed"


def test_never_shared_items_and_other_departments_systems_cannot_be_applied_for(
    sharing: Sharing,
) -> None:
    applicant = logged_in(sharing.county_officer)
    never = _post(applicant, "/applications", _application(sharing, fields=["legal_rep_id"]))
    assert never.status_code == 409 and never.json()["code"] == "negative_list"
    foreign = _post(
        applicant, "/applications", _application(sharing, client_key_id=sharing.pusher.key_id)
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    own = _post(
        logged_in(sharing.officer),
        "/applications",
        _application(sharing, client_key_id=sharing.pusher.key_id),
    )
    assert own.status_code == 409 and own.json()["code"] == "own_resource"
    assert AccessApplication.objects.count() == 0


def test_another_department_sees_neither_applications_nor_grants(sharing: Sharing) -> None:
    application = apply_for_phone(sharing)
    outsider = logged_in(sharing.outsider)
    for path in (f"/applications/{application.pk}", "/applications/999999"):
        answer = outsider.get(f"/api/exchange{path}")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert _post(outsider, f"/applications/{application.pk}/grant").status_code == 404
    assert outsider.get("/api/exchange/applications?box=incoming").json() == []
    assert Client().get("/api/exchange/applications").status_code == 401


def test_overdue_answers_surface_to_the_data_bureau(sharing: Sharing) -> None:
    late = apply_for_phone(sharing)
    AccessApplication.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - dt.timedelta(days=1)
    )
    # Not yet due: stays off the overview.
    on_time = AccessApplication.objects.create(
        resource=sharing.population,
        client=sharing.reader,
        purpose=PURPOSE,
        legal_basis=BASIS,
        fields=["name"],
        duration_days=30,
        expected_per_day=10,
        applicant_ref="test",
        applicant_label="test",
        submitted_at=timezone.now(),
        due_at=timezone.now() + dt.timedelta(days=10),
    )
    overview = logged_in(sharing.bureau).get("/api/exchange/applications?box=overdue")
    assert overview.status_code == 200
    assert [(a["id"], a["overdue"]) for a in overview.json()] == [(late.pk, True)]
    assert on_time.pk not in [a["id"] for a in overview.json()]
    provider_view = logged_in(sharing.officer).get("/api/exchange/applications?box=overdue")
    assert provider_view.status_code == 403
    assert logged_in(sharing.officer).get("/api/exchange/applications?box=all").status_code == 403
    bad_box = logged_in(sharing.officer).get("/api/exchange/applications?box=everything")
    assert bad_box.status_code == 400 and bad_box.json()["code"] == "invalid_box"


def test_a_holiday_notice_recorded_later_moves_pending_answer_deadlines(sharing: Sharing) -> None:
    answered = apply_for_phone(sharing)
    do_grant_application(answered, actor=actor_of(sharing.officer))
    pending = apply_for_phone(sharing)
    last_day = timezone.localtime(pending.due_at).date()
    make_holiday(last_day)
    expected = add_working_days(pending.submitted_at, 10)
    assert expected.date() > last_day

    recount_answer_deadlines.enqueue()

    assert AccessApplication.objects.get(pk=pending.pk).due_at == expected
    assert AccessApplication.objects.get(pk=answered.pk).due_at == answered.due_at
    assert LedgerEntry.objects.filter(action="exchange.recount_answer_deadlines").count() == 1
    assert do_recount_answer_deadlines(actor=TEST_ACTOR) == []


def test_the_data_bureau_lists_its_own_applications_apart_from_the_citys(
    sharing: Sharing,
) -> None:
    """As on the requests page: the boxes hold the bureau's own department, ``all`` the city's."""
    county = apply_for_phone(sharing)
    do_grant_application(county, actor=actor_of(sharing.officer))
    bureau = logged_in(sharing.bureau)
    for box in ("incoming", "outgoing"):
        listed = bureau.get(f"/api/exchange/applications?box={box}").json()
        assert county.pk not in [a["id"] for a in listed], box
    for box in ("given", "held"):
        assert bureau.get(f"/api/exchange/grants?box={box}").json() == [], box
    listed = bureau.get("/api/exchange/applications?box=all").json()
    assert county.pk in [a["id"] for a in listed]
    applicant = logged_in(sharing.county_officer)
    outgoing = applicant.get("/api/exchange/applications?box=outgoing").json()
    assert county.pk in [a["id"] for a in outgoing]
    assert applicant.get("/api/exchange/applications?box=all").status_code == 403


def test_a_provider_system_pushes_and_deletes_records(sharing: Sharing) -> None:
    http = sharing.api(sharing.pusher_token)
    new_uscc = make_credit_code(seq=777)
    pushed = http.post(
        f"/api/exchange/shared/{SLUG}/records",
        {
            "rows": [
                {"uscc": new_uscc, "name": "长沙新开餐饮有限公司"},
                {"uscc": "91430100BADBADBAD1", "name": "坏行"},
                {"uscc": sharing.uscc, "name": "长沙某某餐饮有限公司", "phone": 13812345678},
            ],
            "source_name": "nightly sync",
        },
        "application/json",
    )
    assert pushed.status_code == 200, pushed.json()
    report = pushed.json()
    assert report["version"]["accepted"] == 2 and report["version"]["rejected"] == 1
    assert report["version"]["created"] == 1 and report["unchanged"] == 1
    assert [(p["row"], p["item"]) for p in report["problems"]] == [(2, "uscc")]
    assert report["version"]["source_name"] == "nightly sync"
    versions = DatasetVersion.objects.count()
    # Every row sent is kept or reported: a blank one and an unknown item too.
    odd = http.post(
        f"/api/exchange/shared/{SLUG}/records",
        {"rows": [{}, {"uscc": new_uscc, "zzz": "1"}, {"uscc": new_uscc, "name": "长沙新开"}]},
        "application/json",
    ).json()
    assert odd["version"]["accepted"] == 1 and odd["version"]["rejected"] == 2
    assert [(p["row"], p["item"]) for p in odd["problems"]] == [(1, ""), (2, "zzz")]
    # Nothing to load is refused without a version.
    empty = http.post(f"/api/exchange/shared/{SLUG}/records", {"rows": []}, "application/json")
    assert empty.status_code == 400 and empty.json()["code"] == "no_rows"
    assert DatasetVersion.objects.count() == versions + 1

    deleted = http.post(
        f"/api/exchange/shared/{SLUG}/records:delete",
        {"keys": [new_uscc, make_credit_code(seq=778)]},
        "application/json",
    )
    assert deleted.status_code == 200, deleted.json()
    assert deleted.json()["deleted"] == 1
    gone = sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": new_uscc, "purpose": "核对"},
        "application/json",
    )
    assert gone.json()["code"] == "unknown_key"


def test_only_the_providers_pushing_systems_may_push(sharing: Sharing) -> None:
    rows = {"rows": [{"uscc": make_credit_code(seq=779), "name": "某公司"}]}
    reader = sharing.api(sharing.reader_token)
    no_scope = reader.post(f"/api/exchange/shared/{SLUG}/records", rows, "application/json")
    assert no_scope.status_code == 403 and no_scope.json()["code"] == "scope_missing"
    county, secret = do_issue_client(
        sharing.cast.catalog.county, "芙蓉区推送系统", ["exchange.push_records"], actor=TEST_ACTOR
    )
    foreign = sharing.api(f"{county.key_id}.{secret}").post(
        f"/api/exchange/shared/{SLUG}/records", rows, "application/json"
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    anonymous = Client().post(f"/api/exchange/shared/{SLUG}/records", rows, "application/json")
    assert anonymous.status_code == 401


def test_a_key_to_withdraw_is_read_as_a_load_reads_it(sharing: Sharing) -> None:
    # A 身份证号 ending in X is stored upper case; the provider's system may
    # well send it as typed, with a lower-case x and surrounding spaces.
    id_number = next(
        number for seq in range(1, 500) if (number := make_id_number(seq=seq)).endswith("X")
    )
    population = POPULATION.replace("/", "-")
    http = sharing.api(sharing.pusher_token)
    pushed = http.post(
        f"/api/exchange/shared/{population}/records",
        {"rows": [{"id_number": id_number.lower(), "name": "李四"}]},
        "application/json",
    )
    assert pushed.json()["version"]["created"] == 1, pushed.json()
    deleted = http.post(
        f"/api/exchange/shared/{population}/records:delete",
        {"keys": [f" {id_number.lower()} "]},
        "application/json",
    )
    assert deleted.status_code == 200, deleted.json()
    assert deleted.json()["deleted"] == 1
    feed = logged_in(sharing.officer).get(f"/api/exchange/datasets/{population}/changes")
    assert [(c["key"], c["kind"]) for c in feed.json()["changes"]][-1] == (id_number, "deleted")
    gone = sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{population}/look-up",
        {"key": id_number, "purpose": "核对身份"},
        "application/json",
    )
    assert gone.json()["code"] == "unknown_key"


def test_an_earlier_grant_still_in_force_answers_for_its_items(sharing: Sharing) -> None:
    # The county system holds a grant for the address, then is granted the
    # name in clear for another task: both grants are in force.
    def grant(fields: list[str], clear: list[str]) -> AccessApplication:
        made = _post(
            logged_in(sharing.county_officer),
            "/applications",
            _application(sharing, resource_code=POPULATION, fields=fields, clear_fields=clear),
        )
        assert made.status_code == 201, made.json()
        answered = _post(logged_in(sharing.officer), f"/applications/{made.json()['id']}/grant")
        assert answered.status_code == 200, answered.json()
        return AccessApplication.objects.get(pk=made.json()["id"])

    address = grant(["address"], [])
    name = grant(["name"], ["name"])
    http = sharing.api(sharing.reader_token)
    population = POPULATION.replace("/", "-")
    key = sharing.person.id_number
    answer = http.post(
        f"/api/exchange/shared/{population}/look-up",
        {"key": key, "purpose": "核对住址", "fields": ["address"]},
        "application/json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["values"]["address"].endswith("***")
    clear = http.post(
        f"/api/exchange/shared/{population}/look-up",
        {"key": key, "purpose": "核对姓名", "fields": ["name"]},
        "application/json",
    )
    assert clear.json()["values"]["name"] == "张三"
    logs = AccessLog.objects.filter(operation="look_up").order_by("ledger_seq")
    assert [log.grant_id for log in logs] == [address.grant.pk, name.grant.pk]


def test_a_system_that_may_not_read_shared_data_cannot_apply(sharing: Sharing) -> None:
    pusher, _secret = do_issue_client(
        sharing.cast.catalog.county, "芙蓉区推送系统", ["exchange.push_records"], actor=TEST_ACTOR
    )
    applicant = logged_in(sharing.county_officer)
    before = LedgerEntry.objects.count()
    refused = _post(applicant, "/applications", _application(sharing, client_key_id=pusher.key_id))
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "scope_missing"
    assert refused.json()["detail"] == {"scope": "exchange.read_shared"}
    assert not AccessApplication.objects.exists()
    assert LedgerEntry.objects.count() == before
    # Nor is it offered on the page.
    form = applicant.get(f"/exchange/resource/{SLUG}/apply/").content.decode()
    assert sharing.reader.name in form and "芙蓉区推送系统" not in form


@pytest.mark.parametrize("text", ["用途\x07不明", "用途\x1b[0m不明", "用途\x7f不明"])
def test_control_characters_in_an_applications_texts_are_refused_as_the_pages_refuse_them(
    sharing: Sharing, text: str
) -> None:
    # NUL and lone surrogates are refused before any view (core.middleware, the schema).
    applicant, provider = logged_in(sharing.county_officer), logged_in(sharing.officer)
    before = LedgerEntry.objects.count()
    for field in ("purpose", "legal_basis"):
        refused = _post(applicant, "/applications", _application(sharing, **{field: text}))
        assert refused.status_code == 400, refused.content
        assert refused.json()["code"] == "control_character"
        assert refused.json()["detail"]["field"] == field
    assert not AccessApplication.objects.exists()
    application = apply_for_phone(sharing)
    grant = f"/applications/{application.pk}/grant"
    for path in (grant, f"/applications/{application.pk}/refuse"):
        refused = _post(provider, path, {"reason": text})
        assert refused.status_code == 400, refused.content
        assert refused.json()["detail"]["field"] == "reason"
    granted = _post(provider, grant).json()
    refused = _post(provider, f"/grants/{granted['id']}/revoke", {"reason": text})
    assert refused.status_code == 400 and refused.json()["detail"]["field"] == "reason"
    # The application, its grant: nothing else was written.
    assert LedgerEntry.objects.count() == before + 2


def test_an_application_granted_in_part_says_so(sharing: Sharing) -> None:
    partial = apply_for_phone(sharing)
    do_grant_application(partial, actor=actor_of(sharing.officer), fields=["phone"])
    whole = apply_for_phone(sharing)
    do_grant_application(whole, actor=actor_of(sharing.officer))
    http = logged_in(sharing.county_officer)
    answers = {
        a["id"]: (a["state"], a["partial"])
        for a in http.get("/api/exchange/applications?box=outgoing").json()
    }
    assert answers == {partial.pk: ("granted", True), whole.pk: ("granted", False)}
    one = http.get(f"/api/exchange/applications/{partial.pk}").json()
    assert (one["state"], one["partial"]) == ("granted", True)
