"""The credit pages through the test client: the regulator's files, the public scorecard and list.

The cast: 周检 regulates for the city's environment bureau with a post that
covers the whole city; 陈芙 regulates for the 芙蓉区 branch (芙蓉区's
enterprises only); 王五 reviews applications and keeps no credit files;
管理员 publishes scorecards. A building-materials maker in 芙蓉区 and a media
company in 天心区 are on file; 赵六 is the materials maker's legal
representative with an enterprise login. Expected scores are worked out
from the shipped scorecard (``DEFAULT_CONFIG``), not read from a run.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.models import Department, Enterprise
from zhengtong.core.testing import (
    TEST_ACTOR,
    RegionTree,
    make_enterprise,
    make_person,
)
from zhengtong.identity.actions import do_create_enterprise_user
from zhengtong.identity.models import User
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.credit_actions import do_record_credit
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG
from zhengtong.regulation.credit_selectors import active_scorecard, standing_of
from zhengtong.regulation.listing_actions import do_list_serious_dishonesty, do_remove_listing
from zhengtong.regulation.models import CreditRecord, DishonestyListing
from zhengtong.regulation.tests.bureau import PASSWORD, logged_in, make_bureau, text_of

BASE = DEFAULT_CONFIG["base_score"]
KINDS = DEFAULT_CONFIG["kinds"]
THRESHOLDS = DEFAULT_CONFIG["thresholds"]


@dataclass(frozen=True)
class CreditCast:
    regions: RegionTree
    city_environment: Department
    materials: Enterprise
    media: Enterprise
    regulator: User
    district_regulator: User
    reviewer: User
    admin: User
    owner: User


def make_cast() -> CreditCast:
    bureau = make_bureau()
    regions = bureau.regions

    zhao = make_person("赵六")
    materials = make_enterprise("长沙市某建材有限公司", legal_representative=zhao)
    media = make_enterprise(
        "长沙市某文化传媒有限公司",
        region=regions.tianxin,
        legal_representative=make_person("孙七"),
    )
    return CreditCast(
        regions=regions,
        city_environment=bureau.city_environment,
        materials=materials,
        media=media,
        regulator=bureau.regulator,
        district_regulator=bureau.district_regulator,
        reviewer=bureau.reviewer,
        admin=bureau.admin,
        owner=do_create_enterprise_user(
            "zhaoliu", PASSWORD, zhao, materials, "legal_representative", actor=TEST_ACTOR
        ),
    )


@pytest.fixture
def cast(db: None) -> CreditCast:
    return make_cast()


def today() -> dt.date:
    return timezone.localdate()


def major_penalty(enterprise: Enterprise, ref: str = "长环罚〔2026〕7号") -> CreditRecord:
    return do_record_credit(
        enterprise,
        "penalty",
        today() - dt.timedelta(days=30),
        "超标排放大气污染物",
        actor=TEST_ACTOR,
        severity="较重",
        authority="长沙市生态环境局",
        source_ref=ref,
    )


def commendation(enterprise: Enterprise) -> CreditRecord:
    return do_record_credit(
        enterprise,
        "commendation",
        today() - dt.timedelta(days=10),
        "环保诚信企业",
        actor=TEST_ACTOR,
        authority="长沙市生态环境局",
    )


def listed(enterprise: Enterprise) -> DishonestyListing:
    return do_list_serious_dishonesty(
        enterprise,
        "拖欠农民工工资，情节严重",
        "《保障农民工工资支付条例》第四十八条",
        "长沙市人力资源和社会保障局",
        today(),
        today() + dt.timedelta(days=3 * 365),
        actor=TEST_ACTOR,
    )


def grade_of(score: int) -> str:
    for letter in ("A", "B", "C"):
        if score >= THRESHOLDS[letter]:
            return letter
    return "D"


DETAIL = "/regulation/credit/{}/"


# --- who may see the files ------------------------------------------------------------------


def test_the_credit_files_are_for_credit_regulators_only(cast: CreditCast) -> None:
    anonymous = Client().get("/regulation/credit/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert logged_in(cast.owner).get("/regulation/credit/").status_code == 403
    assert logged_in(cast.reviewer).get("/regulation/credit/").status_code == 403
    code = cast.materials.credit_code
    assert logged_in(cast.reviewer).get(DETAIL.format(code)).status_code == 403
    refused = logged_in(cast.reviewer).post(
        f"/regulation/credit/{code}/records/", {"kind": "commendation"}
    )
    assert refused.status_code == 403
    assert not CreditRecord.objects.exists()


def test_a_district_regulator_sees_only_the_district_s_enterprises(cast: CreditCast) -> None:
    major_penalty(cast.materials)
    major_penalty(cast.media)
    district = logged_in(cast.district_regulator)
    page = text_of(district.get("/regulation/credit/"))
    assert cast.materials.name in page and cast.media.name not in page
    assert district.get(DETAIL.format(cast.media.credit_code)).status_code == 404
    assert district.get(DETAIL.format(cast.materials.credit_code)).status_code == 200
    city = text_of(logged_in(cast.regulator).get("/regulation/credit/"))
    assert cast.materials.name in city and cast.media.name in city


def test_the_list_counts_grades_and_filters_by_grade_and_search(cast: CreditCast) -> None:
    major_penalty(cast.materials)
    commendation(cast.media)
    major = BASE + KINDS["penalty"]["points"]["major"]
    rewarded = min(BASE + KINDS["commendation"]["points"], DEFAULT_CONFIG["max_score"])
    materials_grade, media_grade = grade_of(major), grade_of(rewarded)
    assert materials_grade != media_grade
    http = logged_in(cast.regulator)
    page = text_of(http.get("/regulation/credit/"))
    assert 'id="count-all">2<' in page
    assert f'id="count-{materials_grade.lower()}">1<' in page
    only = text_of(http.get("/regulation/credit/", {"grade": materials_grade}))
    assert cast.materials.name in only and cast.media.name not in only
    found = text_of(http.get("/regulation/credit/", {"q": "文化传媒"}))
    assert cast.media.name in found and cast.materials.name not in found
    by_code = text_of(http.get("/regulation/credit/", {"q": cast.materials.credit_code}))
    assert cast.materials.name in by_code and 'id="exact-match"' in by_code


def test_an_enterprise_without_records_is_found_by_its_full_code(cast: CreditCast) -> None:
    page = text_of(
        logged_in(cast.regulator).get("/regulation/credit/", {"q": cast.media.credit_code})
    )
    assert 'id="exact-match"' in page and DETAIL.format(cast.media.credit_code) in page


# --- one enterprise's file ----------------------------------------------------------------


def test_the_file_explains_the_grade_line_by_line(cast: CreditCast) -> None:
    record = major_penalty(cast.materials)
    each = KINDS["penalty"]["points"]["major"]
    page = text_of(logged_in(cast.regulator).get(DETAIL.format(cast.materials.credit_code)))
    score = BASE + each
    assert f'<strong class="credit-score">{score}</strong>' in page
    assert f"{grade_of(score)} 级" in page
    assert f"每次扣 {abs(each)} 分" in page and f">{each}<" in page
    assert 'href="/regulation/credit/scorecard/"' in page
    # The record itself, with its severity's label and source.
    assert f'id="record-{record.pk}"' in page
    assert "较重行政处罚" in page and "长环罚〔2026〕7号" in page
    assert "未列入" in page


def test_a_fact_recorded_on_the_page_regrades_the_enterprise(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    url = f"/regulation/credit/{cast.materials.credit_code}/records/"
    response = http.post(
        url,
        {
            "kind": "penalty",
            "severity": "severe",
            "occurred_on": (today() - dt.timedelta(days=3)).isoformat(),
            "count": "1",
            "description": "未批先建",
            "authority": "长沙市生态环境局",
            "source_ref": "长环罚〔2026〕9号",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == DETAIL.format(cast.materials.credit_code)
    standing = standing_of(cast.materials)
    assert standing is not None
    assert standing.score == BASE + KINDS["penalty"]["points"]["severe"]
    entry = LedgerEntry.objects.get(action="regulation.record_credit")
    assert entry.subject_id == cast.materials.credit_code
    page = text_of(http.get(response["Location"]))
    assert "信用记录已登记" in page and "未批先建" in page


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "penalty", "severity": "severe", "count": "1"}, "请填写信用记录的内容。"),
        (
            {"kind": "penalty", "severity": "", "count": "1", "description": "罚款"},
            "信用记录的情节或次数无效。",
        ),
        (
            {"kind": "commendation", "severity": "", "count": "1", "description": "表彰"},
            "发生日期不能晚于今天。",
        ),
        ({"kind": "serious_dishonesty", "count": "1", "description": "x"}, "选择一个有效的选项"),
        ({"kind": "penalty", "severity": "minor", "count": "0", "description": "x"}, "大于或等于1"),
    ],
)
def test_a_bad_record_is_shown_again_with_the_reason_in_chinese(
    cast: CreditCast, form: dict[str, str], message: str
) -> None:
    day = today() + dt.timedelta(days=1) if form["kind"] == "commendation" else today()
    response = logged_in(cast.regulator).post(
        f"/regulation/credit/{cast.materials.credit_code}/records/",
        {"occurred_on": day.isoformat(), **form},
    )
    assert response.status_code == 400
    page = text_of(response)
    assert 'class="errorlist"' in page and message in page
    assert not CreditRecord.objects.exists()


@pytest.mark.parametrize(
    ("established", "day", "message"),
    [
        (None, dt.date(1, 1, 1), "发生日期不能早于1949年10月1日。"),
        (None, dt.date(1949, 9, 30), "发生日期不能早于1949年10月1日。"),
        (dt.date(2015, 7, 1), dt.date(2015, 6, 30), "发生日期不能早于企业成立日期（2015-07-01）。"),
    ],
)
def test_a_fact_dated_before_it_could_be_is_refused_beside_its_date(
    cast: CreditCast, established: dt.date | None, day: dt.date, message: str
) -> None:
    Enterprise.objects.filter(pk=cast.materials.pk).update(established_on=established)
    response = logged_in(cast.regulator).post(
        f"/regulation/credit/{cast.materials.credit_code}/records/",
        {
            "kind": "commendation",
            "severity": "",
            "count": "1",
            "description": "表彰",
            "occurred_on": day.isoformat(),
        },
    )
    assert response.status_code == 400
    assert message in text_of(response)
    assert response.context["record_form"].errors == {"occurred_on": [message]}
    assert not CreditRecord.objects.exists()


def test_the_same_source_twice_is_refused_on_the_page(cast: CreditCast) -> None:
    major_penalty(cast.materials, ref="长环罚〔2026〕1号")
    response = logged_in(cast.regulator).post(
        f"/regulation/credit/{cast.materials.credit_code}/records/",
        {
            "kind": "penalty",
            "severity": "major",
            "occurred_on": today().isoformat(),
            "count": "1",
            "description": "重复登记",
            "source_ref": "长环罚〔2026〕1号",
        },
    )
    assert response.status_code == 400
    assert "该来源的信用记录已经登记。" in text_of(response)
    assert CreditRecord.objects.count() == 1


def test_listing_on_the_page_puts_the_enterprise_on_the_list(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    code = cast.materials.credit_code
    form = http.get(DETAIL.format(code))
    # The regulator's bureau is offered as the deciding authority.
    assert 'value="长沙市生态环境局"' in text_of(form)
    response = http.post(
        f"/regulation/credit/{code}/list/",
        {
            "reason": "伪造监测数据，情节严重",
            "legal_basis": "《环境保护法》第六十三条",
            "authority": "长沙市生态环境局",
            "listed_on": today().isoformat(),
            "expires_on": (today() + dt.timedelta(days=1095)).isoformat(),
        },
    )
    assert response.status_code == 302
    listing = DishonestyListing.objects.get(enterprise=cast.materials)
    assert listing.record.kind == "serious_dishonesty"
    standing = standing_of(cast.materials)
    assert standing is not None and standing.listed
    assert standing.grade == DEFAULT_CONFIG["serious_dishonesty_grade"]
    page = text_of(http.get(DETAIL.format(code)))
    assert 'id="current-listing"' in page and 'id="removal-form"' in page
    assert "伪造监测数据，情节严重" in page
    # The record's source reads as what it is, not as the platform's key for it.
    # Its listing's date, not the listing's database id, which is not public.
    assert f"严重失信主体名单认定（{today().isoformat()} 列入）" in page
    assert f"名单认定 {listing.pk}" not in page and f"listing:{listing.pk}" not in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reason": ""}, "这个字段是必填项。"),
        ({"legal_basis": "  "}, "这个字段是必填项。"),
        ({"expires_on": "LISTED"}, "有效期须晚于列入日期。"),
        ({"listed_on": "TOMORROW", "expires_on": "LATER"}, "列入日期不能晚于今天。"),
        ({"expires_on": "2020-13-01"}, "输入一个有效的日期。"),
        ({"listed_on": "0001-01-01"}, "列入日期不能早于1949年10月1日。"),
        ({"expires_on": "9999-12-31"}, "有效期至多为列入日期起5年"),
    ],
)
def test_a_bad_listing_is_refused_with_the_reason(
    cast: CreditCast, change: dict[str, str], message: str
) -> None:
    days = {
        "LISTED": today(),
        "TOMORROW": today() + dt.timedelta(days=1),
        "LATER": today() + dt.timedelta(days=400),
    }
    form = {
        "reason": "拖欠农民工工资",
        "legal_basis": "《保障农民工工资支付条例》第四十八条",
        "authority": "长沙市人力资源和社会保障局",
        "listed_on": today().isoformat(),
        "expires_on": (today() + dt.timedelta(days=365)).isoformat(),
    }
    for key, value in change.items():
        form[key] = days[value].isoformat() if value in days else value
    response = logged_in(cast.regulator).post(
        f"/regulation/credit/{cast.materials.credit_code}/list/", form
    )
    assert response.status_code == 400
    assert message in text_of(response)
    assert not DishonestyListing.objects.exists()


def test_a_second_listing_is_refused(cast: CreditCast) -> None:
    listed(cast.materials)
    response = logged_in(cast.regulator).post(
        f"/regulation/credit/{cast.materials.credit_code}/list/",
        {
            "reason": "再次列入",
            "legal_basis": "某条例",
            "authority": "长沙市生态环境局",
            "listed_on": today().isoformat(),
            "expires_on": (today() + dt.timedelta(days=365)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "该企业已在严重失信主体名单中。" in text_of(response)
    assert DishonestyListing.objects.count() == 1


def test_removal_needs_a_reason_and_then_repairs_the_record(cast: CreditCast) -> None:
    listing = listed(cast.materials)
    http = logged_in(cast.regulator)
    url = f"/regulation/credit/listings/{listing.pk}/remove/"
    empty = http.post(url, {"reason": ""})
    assert empty.status_code == 400 and "这个字段是必填项。" in text_of(empty)
    done = http.post(url, {"reason": "信用修复申请已核准"})
    assert done.status_code == 302
    listing.refresh_from_db()
    assert listing.removed_at is not None and listing.removal_reason == "信用修复申请已核准"
    assert listing.record.repaired_at is not None
    standing = standing_of(cast.materials)
    assert standing is not None and not standing.listed
    assert standing.grade == grade_of(BASE)
    page = text_of(http.get(DETAIL.format(cast.materials.credit_code)))
    assert 'id="listing-form"' in page and 'id="past-listings"' in page
    again = http.post(url, {"reason": "再移一次"})
    assert again.status_code == 400 and "该企业已移出严重失信主体名单。" in text_of(again)


def test_a_district_regulator_cannot_touch_another_district_s_listing(cast: CreditCast) -> None:
    listing = listed(cast.media)
    response = logged_in(cast.district_regulator).post(
        f"/regulation/credit/listings/{listing.pk}/remove/", {"reason": "越权"}
    )
    assert response.status_code == 404
    listing.refresh_from_db()
    assert listing.removed_at is None


# --- the public scorecard ---------------------------------------------------------------------


def test_the_scorecard_page_is_public_and_shows_every_rule(db: None) -> None:
    version, _card = active_scorecard()
    page = text_of(Client().get("/regulation/credit/scorecard/"))
    assert f"现行第 {version.number} 版" in page
    assert f"基础分 {BASE} 分" in page
    severe = KINDS["penalty"]["points"]["severe"]
    assert 'id="rule-penalty-3"' in page and f">{severe}<" in page
    complaint_cap = abs(KINDS["complaint_upheld"]["cap"])
    assert f"最多扣 {complaint_cap} 分" in page
    assert f"{KINDS['penalty']['validity_months']} 个月" in page
    for letter, threshold in THRESHOLDS.items():
        assert f"{threshold} 分及以上" in page, letter
    for letter, weight in DEFAULT_CONFIG["draw_weights"].items():
        assert (
            f'id="grade-{letter.lower()}"' in page
            and f'<span class="count">{weight}</span>' in page
        )
    assert "不论得分，信用等级评为 D 级" in page
    assert 'id="scorecard-form"' not in page


def test_only_administrators_get_the_publishing_form(cast: CreditCast) -> None:
    regulator = text_of(logged_in(cast.regulator).get("/regulation/credit/scorecard/"))
    assert 'id="scorecard-form"' not in regulator
    admin = text_of(logged_in(cast.admin).get("/regulation/credit/scorecard/"))
    assert 'id="scorecard-form"' in admin and "&quot;base_score&quot;" in admin
    assert (
        logged_in(cast.regulator)
        .post("/regulation/credit/scorecard/", {"config": "{}", "note": "x"})
        .status_code
        == 403
    )
    anonymous = Client().post("/regulation/credit/scorecard/", {"config": "{}", "note": "x"})
    assert anonymous.status_code == 302


def test_a_bad_scorecard_is_refused_with_its_problems(cast: CreditCast) -> None:
    http = logged_in(cast.admin)
    broken = http.post("/regulation/credit/scorecard/", {"config": "{not json", "note": "试"})
    assert broken.status_code == 400
    assert "评分标准不是有效的 JSON" in text_of(broken)
    config = json.loads(json.dumps(DEFAULT_CONFIG))
    config["thresholds"] = {"A": 50, "B": 75, "C": 60}
    wrong = http.post("/regulation/credit/scorecard/", {"config": json.dumps(config), "note": "试"})
    assert wrong.status_code == 400
    page = text_of(wrong)
    assert 'id="scorecard-problems"' in page and "thresholds" in page
    assert active_scorecard()[0].number == 1


def test_a_new_scorecard_is_published_from_the_page(cast: CreditCast) -> None:
    major_penalty(cast.materials)
    config = json.loads(json.dumps(DEFAULT_CONFIG))
    config["kinds"]["penalty"]["points"]["major"] = -25
    response = logged_in(cast.admin).post(
        "/regulation/credit/scorecard/",
        {"config": json.dumps(config), "note": "加重较重处罚的扣分"},
    )
    assert response.status_code == 302
    version, _card = active_scorecard()
    assert version.number == 2 and version.note == "加重较重处罚的扣分"
    standing = standing_of(cast.materials)
    assert standing is not None and standing.score == BASE - 25
    page = text_of(Client().get("/regulation/credit/scorecard/"))
    assert "现行第 2 版" in page and ">-25<" in page


# --- the public list ------------------------------------------------------------------------


def test_the_dishonesty_list_is_public_and_shows_only_current_listings(cast: CreditCast) -> None:
    listing = listed(cast.media)
    gone = listed(cast.materials)
    do_remove_listing(gone, "认定决定被撤销", actor=TEST_ACTOR)
    page = text_of(Client().get("/regulation/credit/dishonesty-list/"))
    assert f'id="listing-{listing.pk}"' in page
    assert cast.media.name in page and cast.media.credit_code in page
    assert "《保障农民工工资支付条例》第四十八条" in page
    assert "长沙市人力资源和社会保障局" in page
    assert cast.materials.name not in page
    searched = text_of(Client().get("/regulation/credit/dishonesty-list/", {"q": "建材"}))
    assert "名单中没有符合条件的主体。" in searched


# --- codes as a Chinese input method and a spreadsheet write them ---------------------------

# A Chinese input method in full-width mode types ９１４３… for 9143….
FULL_WIDTH = str.maketrans(
    "0123456789ABCDEFGHJKLMNPQRTUWXY",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ",
)


def test_a_code_typed_in_full_width_finds_the_file_and_the_listing(cast: CreditCast) -> None:
    major_penalty(cast.materials)
    listing = listed(cast.media)
    http = logged_in(cast.regulator)
    typed = cast.materials.credit_code.translate(FULL_WIDTH)
    found = text_of(http.get("/regulation/credit/", {"q": typed}))
    assert cast.materials.name in found and 'id="exact-match"' in found
    assert 'id="exact-match"' in text_of(
        http.get("/regulation/credit/", {"q": f"\u00a0{cast.materials.credit_code.lower()}\n"})
    )
    assert http.get(DETAIL.format(typed)).status_code == 200
    public = text_of(
        Client().get(
            "/regulation/credit/dishonesty-list/",
            {"q": cast.media.credit_code.translate(FULL_WIDTH)},
        )
    )
    assert f'id="listing-{listing.pk}"' in public
