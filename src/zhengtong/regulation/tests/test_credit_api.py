"""Credit through its API: files, records, the scorecard and the serious-dishonesty list.

The cast is the credit pages' (test_credit_pages.py): 周检 keeps the whole
city's files, 陈芙 only 芙蓉区's, 王五 none, 管理员 publishes scorecards.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from zhengtong.core.models import Enterprise
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG, Scorecard, add_months
from zhengtong.regulation.models import CreditRecord, DishonestyListing
from zhengtong.regulation.tests.bureau import logged_in
from zhengtong.regulation.tests.test_credit_pages import (
    BASE,
    FULL_WIDTH,
    KINDS,
    CreditCast,
    commendation,
    grade_of,
    listed,
    major_penalty,
    make_cast,
    today,
)

URL = "/api/regulation/credit"


@pytest.fixture
def cast(db: None) -> CreditCast:
    return make_cast()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _post(http: Client, path: str, data: dict[str, Any]) -> Any:
    return http.post(f"{URL}{path}", data, content_type="application/json")


def _listing(credit_code: str, **change: Any) -> dict[str, Any]:
    return {
        "credit_code": credit_code,
        "reason": "拖欠农民工工资，情节严重",
        "legal_basis": "《保障农民工工资支付条例》第四十八条",
        "authority": "长沙市人力资源和社会保障局",
        "listed_on": today().isoformat(),
        "expires_on": (today() + dt.timedelta(days=1095)).isoformat(),
        **change,
    }


# --- enterprises ------------------------------------------------------------------------


def test_the_files_need_a_login_and_the_credit_permission(cast: CreditCast) -> None:
    _refused(Client().get(f"{URL}/enterprises"), 401, "not_authenticated")
    _refused(logged_in(cast.reviewer).get(f"{URL}/enterprises"), 403, "permission_denied")
    _refused(logged_in(cast.owner).get(f"{URL}/enterprises"), 403, "permission_denied")
    code = cast.materials.credit_code
    record = {"kind": "commendation", "occurred_on": today().isoformat(), "description": "表彰"}
    _refused(
        _post(logged_in(cast.reviewer), f"/enterprises/{code}/records", record),
        403,
        "permission_denied",
    )
    assert not CreditRecord.objects.exists()


def test_the_list_filters_by_grade_and_search_within_the_region(cast: CreditCast) -> None:
    major_penalty(cast.materials)
    commendation(cast.media)
    http = logged_in(cast.regulator)
    rows = {row["credit_code"]: row for row in _ok(http.get(f"{URL}/enterprises"))}
    major = BASE + KINDS["penalty"]["points"]["major"]
    assert rows[cast.materials.credit_code]["score"] == major
    assert rows[cast.materials.credit_code]["grade"] == grade_of(major)
    assert rows[cast.media.credit_code]["region_code"] == cast.regions.tianxin.code
    graded = _ok(http.get(f"{URL}/enterprises", {"grade": grade_of(major).lower()}))
    assert [row["credit_code"] for row in graded] == [cast.materials.credit_code]
    searched = _ok(http.get(f"{URL}/enterprises", {"q": "传媒"}))
    assert [row["credit_code"] for row in searched] == [cast.media.credit_code]
    _refused(http.get(f"{URL}/enterprises", {"grade": "E"}), 400, "invalid_grade")
    district = _ok(logged_in(cast.district_regulator).get(f"{URL}/enterprises"))
    assert [row["credit_code"] for row in district] == [cast.materials.credit_code]


def test_the_file_explains_each_line_by_its_records(cast: CreditCast) -> None:
    record = major_penalty(cast.materials)
    body = _ok(logged_in(cast.regulator).get(f"{URL}/enterprises/{cast.materials.credit_code}"))
    explanation = body["explanation"]
    each = KINDS["penalty"]["points"]["major"]
    assert explanation["base_score"] == BASE and explanation["score"] == BASE + each
    assert explanation["scorecard_version"] == 1
    (line,) = explanation["lines"]
    assert (line["kind"], line["severity"], line["points"], line["status"]) == (
        "penalty",
        "major",
        each,
        "counted",
    )
    assert line["record_ids"] == [record.pk]
    (out,) = body["records"]
    assert out["id"] == record.pk and out["severity_label"] == "较重行政处罚"
    assert out["source_ref"] == "长环罚〔2026〕7号"
    assert body["listing"] is None and body["listed"] is False


def test_another_district_s_file_is_not_found(cast: CreditCast) -> None:
    http = logged_in(cast.district_regulator)
    _refused(http.get(f"{URL}/enterprises/{cast.media.credit_code}"), 404, "enterprise_not_found")
    _refused(http.get(f"{URL}/enterprises/911111111111111111"), 404, "enterprise_not_found")
    record = {"kind": "commendation", "occurred_on": today().isoformat(), "description": "x"}
    _refused(
        _post(http, f"/enterprises/{cast.media.credit_code}/records", record),
        404,
        "enterprise_not_found",
    )


def test_a_record_posted_regrades_and_is_in_the_ledger(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    body = _ok(
        _post(
            http,
            f"/enterprises/{cast.materials.credit_code}/records",
            {
                "kind": "inspection",
                "severity": "发现问题",
                "occurred_on": (today() - dt.timedelta(days=2)).isoformat(),
                "description": "双随机抽查发现台账不全",
                "authority": "长沙市生态环境局",
                "source_ref": "inspection-demo-1",
            },
        ),
        201,
    )
    assert body["severity"] == "problems" and body["kind_label"] == "监督检查"
    detail = _ok(http.get(f"{URL}/enterprises/{cast.materials.credit_code}"))
    assert detail["score"] == BASE + KINDS["inspection"]["points"]["problems"]
    assert LedgerEntry.objects.filter(action="regulation.record_credit").count() == 1


@pytest.mark.parametrize(
    ("record", "status", "code"),
    [
        ({"kind": "bribery"}, 400, "invalid_credit_kind"),
        ({"kind": "serious_dishonesty"}, 400, "use_dishonesty_list"),
        ({"kind": "penalty", "severity": "huge"}, 400, "invalid_credit_record"),
        ({"kind": "commendation", "description": "   "}, 400, "description_required"),
        ({"kind": "commendation", "occurred_on": "TOMORROW"}, 400, "occurred_in_future"),
        ({"kind": "commendation", "occurred_on": "9999-12-31"}, 400, "occurred_in_future"),
        ({"kind": "commendation", "occurred_on": "0001-01-01"}, 400, "occurred_too_early"),
        (
            {"kind": "penalty", "severity": "major", "occurred_on": "1949-09-30"},
            400,
            "occurred_too_early",
        ),
        ({"kind": "commendation", "count": 0}, 422, "invalid_input"),
    ],
)
def test_a_bad_record_is_refused_with_its_code(
    cast: CreditCast, record: dict[str, Any], status: int, code: str
) -> None:
    body = {"occurred_on": today().isoformat(), "description": "事实", **record}
    if body["occurred_on"] == "TOMORROW":
        body["occurred_on"] = (today() + dt.timedelta(days=1)).isoformat()
    _refused(
        _post(
            logged_in(cast.regulator), f"/enterprises/{cast.materials.credit_code}/records", body
        ),
        status,
        code,
    )
    assert not CreditRecord.objects.exists()


def test_a_fact_dated_before_the_enterprise_was_established_is_refused(
    cast: CreditCast,
) -> None:
    established = today() - dt.timedelta(days=30)
    Enterprise.objects.filter(pk=cast.materials.pk).update(established_on=established)
    http = logged_in(cast.regulator)
    path = f"/enterprises/{cast.materials.credit_code}/records"
    before = (established - dt.timedelta(days=1)).isoformat()
    record = {"kind": "commendation", "occurred_on": before, "description": "表彰"}
    body = _refused(_post(http, path, record), 400, "occurred_before_establishment")
    assert body["detail"]["fields"] == {"occurred_on": "invalid"}
    assert body["detail"]["earliest"] == established.isoformat()
    # A retry-safe request is checked the same way.
    again = http.post(
        f"{URL}{path}", record, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    _refused(again, 400, "occurred_before_establishment")
    listing = _listing(cast.materials.credit_code, listed_on=before)
    body = _refused(_post(http, "/dishonesty-list", listing), 400, "listed_before_establishment")
    assert body["detail"]["fields"] == {"listed_on": "invalid"}
    assert not CreditRecord.objects.exists() and not DishonestyListing.objects.exists()
    # From the day of establishment on, the fact is the enterprise's.
    _ok(_post(http, path, {**record, "occurred_on": established.isoformat()}), 201)


def test_dates_at_the_edges_of_what_a_file_allows_are_recorded(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    earliest = {"kind": "commendation", "occurred_on": "1949-10-01", "description": "表彰"}
    _ok(_post(http, f"/enterprises/{cast.materials.credit_code}/records", earliest), 201)
    longest = _listing(cast.media.credit_code, expires_on=add_months(today(), 60).isoformat())
    _ok(_post(http, "/dishonesty-list", longest), 201)


def test_the_same_source_is_recorded_once(cast: CreditCast) -> None:
    major_penalty(cast.materials, ref="长环罚〔2026〕3号")
    _refused(
        _post(
            logged_in(cast.regulator),
            f"/enterprises/{cast.materials.credit_code}/records",
            {
                "kind": "penalty",
                "severity": "major",
                "occurred_on": today().isoformat(),
                "description": "同一决定书",
                "source_ref": "长环罚〔2026〕3号",
            },
        ),
        409,
        "credit_record_exists",
    )


# --- the scorecard ------------------------------------------------------------------------


def test_the_scorecard_is_public(db: None) -> None:
    body = _ok(Client().get(f"{URL}/scorecard"))
    assert body["number"] == 1
    assert Scorecard.from_dict(body["config"]) == Scorecard.from_dict(DEFAULT_CONFIG)


def test_only_administrators_publish_a_scorecard_and_bad_ones_are_named(cast: CreditCast) -> None:
    config = json.loads(json.dumps(DEFAULT_CONFIG))
    _refused(
        _post(logged_in(cast.regulator), "/scorecard", {"config": config, "note": "x"}),
        403,
        "permission_denied",
    )
    admin = logged_in(cast.admin)
    config["thresholds"]["A"] = 50
    bad = _refused(
        _post(admin, "/scorecard", {"config": config, "note": "x"}), 400, "invalid_scorecard"
    )
    assert any("thresholds" in problem for problem in bad["detail"]["problems"])
    config["thresholds"]["A"] = 95
    _refused(_post(admin, "/scorecard", {"config": config, "note": " "}), 400, "note_required")
    body = _ok(_post(admin, "/scorecard", {"config": config, "note": "提高 A 级门槛"}), 201)
    assert body["number"] == 2 and body["config"]["thresholds"]["A"] == 95
    assert _ok(Client().get(f"{URL}/scorecard"))["number"] == 2


def test_a_scorecard_beyond_the_calendar_or_the_draw_is_named_not_published(
    cast: CreditCast,
) -> None:
    major_penalty(cast.materials)
    admin = logged_in(cast.admin)
    # "Counts for ever" typed as a window of 99,999 months, which ends in
    # the year 10360; and weights no draw rule could be written with.
    config = json.loads(json.dumps(DEFAULT_CONFIG))
    config["kinds"]["penalty"]["validity_months"] = 99999
    config["draw_weights"] = {"A": "1e-9999", "B": "1", "C": "2", "D": "4"}
    bad = _refused(
        _post(admin, "/scorecard", {"config": config, "note": "永久有效"}), 400, "invalid_scorecard"
    )
    paths = {problem.partition("：")[0] for problem in bad["detail"]["problems"]}
    assert paths == {"kinds.penalty.validity_months", "draw_weights.A"}
    assert _ok(Client().get(f"{URL}/scorecard"))["number"] == 1
    # A century still is a window, and a weight of a million a weight.
    config["kinds"]["penalty"]["validity_months"] = 1200
    config["draw_weights"] = {"A": "1/1000000", "B": "1", "C": "2", "D": "1000000"}
    assert _ok(_post(admin, "/scorecard", {"config": config, "note": "长期"}), 201)["number"] == 2
    assert _ok(logged_in(cast.regulator).get(f"{URL}/enterprises/{cast.materials.credit_code}"))


# --- the serious-dishonesty list ------------------------------------------------------------


def test_listing_and_removal_through_the_api(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    body = _ok(_post(http, "/dishonesty-list", _listing(cast.media.credit_code)), 201)
    assert body["credit_code"] == cast.media.credit_code and body["removed_at"] is None
    public = _ok(Client().get(f"{URL}/dishonesty-list"))
    assert [row["id"] for row in public] == [body["id"]]
    assert public[0]["legal_basis"] == "《保障农民工工资支付条例》第四十八条"
    detail = _ok(http.get(f"{URL}/enterprises/{cast.media.credit_code}"))
    assert detail["listed"] and detail["grade"] == DEFAULT_CONFIG["serious_dishonesty_grade"]
    assert detail["listing"]["id"] == body["id"]
    assert any(line["status"] == "listed" for line in detail["explanation"]["lines"])
    _refused(
        _post(http, "/dishonesty-list", _listing(cast.media.credit_code)), 409, "already_listed"
    )
    removed = _ok(_post(http, f"/dishonesty-list/{body['id']}/remove", {"reason": "信用修复"}))
    assert removed["removed_at"] is not None and removed["removal_reason"] == "信用修复"
    assert _ok(Client().get(f"{URL}/dishonesty-list")) == []
    _refused(
        _post(http, f"/dishonesty-list/{body['id']}/remove", {"reason": "再来"}), 409, "not_listed"
    )
    actions = list(
        LedgerEntry.objects.filter(action__startswith="regulation.").values_list(
            "action", flat=True
        )
    )
    assert actions.count("regulation.list_serious_dishonesty") == 1
    assert actions.count("regulation.remove_listing") == 1


def test_a_code_typed_in_full_width_or_pasted_with_a_line_break_is_the_code(
    cast: CreditCast,
) -> None:
    major_penalty(cast.materials)
    http = logged_in(cast.regulator)
    typed = cast.materials.credit_code.translate(FULL_WIDTH)
    assert _ok(http.get(f"{URL}/enterprises/{typed}"))["credit_code"] == cast.materials.credit_code
    searched = _ok(http.get(f"{URL}/enterprises", {"q": typed}))
    assert [row["credit_code"] for row in searched] == [cast.materials.credit_code]
    pasted = f" {cast.media.credit_code.lower()}\n"
    body = _ok(_post(http, "/dishonesty-list", _listing(pasted)), 201)
    assert body["credit_code"] == cast.media.credit_code


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"reason": "  "}, 400, "reason_required"),
        ({"legal_basis": ""}, 400, "legal_basis_required"),
        ({"authority": ""}, 400, "authority_required"),
        ({"expires_on": "LISTED"}, 400, "expiry_not_after_listing"),
        ({"listed_on": "TOMORROW", "expires_on": "LATER"}, 400, "listed_in_future"),
        ({"listed_on": "LONG_AGO", "expires_on": "YESTERDAY"}, 400, "already_expired"),
        ({"listed_on": "0001-01-01"}, 400, "listed_too_early"),
        ({"expires_on": "9999-12-31"}, 400, "expiry_too_far"),
        ({"expires_on": "IN_FIVE_YEARS_AND_A_DAY"}, 400, "expiry_too_far"),
        ({"expires_on": "someday"}, 422, "invalid_input"),
    ],
)
def test_a_bad_listing_is_refused_with_its_code(
    cast: CreditCast, change: dict[str, str], status: int, code: str
) -> None:
    days = {
        "LISTED": today(),
        "TOMORROW": today() + dt.timedelta(days=1),
        "LATER": today() + dt.timedelta(days=400),
        "LONG_AGO": today() - dt.timedelta(days=800),
        "YESTERDAY": today() - dt.timedelta(days=1),
        "IN_FIVE_YEARS_AND_A_DAY": add_months(today(), 60) + dt.timedelta(days=1),
    }
    data = _listing(
        cast.materials.credit_code,
        **{k: days[v].isoformat() if v in days else v for k, v in change.items()},
    )
    _refused(_post(logged_in(cast.regulator), "/dishonesty-list", data), status, code)
    assert not DishonestyListing.objects.exists()


def test_listing_out_of_scope_is_not_found(cast: CreditCast) -> None:
    district = logged_in(cast.district_regulator)
    _refused(
        _post(district, "/dishonesty-list", _listing(cast.media.credit_code)),
        404,
        "enterprise_not_found",
    )
    listing = listed(cast.media)
    _refused(
        _post(district, f"/dishonesty-list/{listing.pk}/remove", {"reason": "越权"}),
        404,
        "listing_not_found",
    )
    _refused(
        _post(logged_in(cast.reviewer), "/dishonesty-list", _listing(cast.media.credit_code)),
        403,
        "permission_denied",
    )
