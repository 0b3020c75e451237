"""The exchange's pages: applying, answering, revoking, uploading and 我的数据使用记录."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from zhengtong.catalog.tests.cast import PASSWORD
from zhengtong.core.testing import TEST_ACTOR, make_credit_code, make_person
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessApplication, ApplicationState, Grant
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
from zhengtong.identity.actions import do_create_citizen, do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.selectors import tree_state

ENTERPRISE_SLUG = ENTERPRISES.replace("/", "-")
POPULATION_SLUG = POPULATION.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def test_the_catalog_page_offers_staff_the_application(sharing: Sharing) -> None:
    page = logged_in(sharing.county_officer).get(f"/catalog/resource/{ENTERPRISE_SLUG}/")
    assert f"/exchange/resource/{ENTERPRISE_SLUG}/apply/" in page.content.decode()
    public = Client().get(f"/catalog/resource/{ENTERPRISE_SLUG}/")
    assert "/apply/" not in public.content.decode()


def test_an_officer_applies_on_the_page_and_never_shared_items_are_disabled(
    sharing: Sharing,
) -> None:
    http = logged_in(sharing.county_officer)
    form = http.get(f"/exchange/resource/{ENTERPRISE_SLUG}/apply/")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'value="legal_rep_id" disabled' in html
    assert "《中华人民共和国个人信息保护法》第二十八条" in html
    assert sharing.reader.name in html and sharing.pusher.name not in html
    sent = http.post(
        f"/exchange/resource/{ENTERPRISE_SLUG}/apply/",
        {
            "client": sharing.reader.key_id,
            "item_codes": ["name", "phone"],
            "clear_codes": ["phone"],
            "purpose": PURPOSE,
            "legal_basis": BASIS,
            "duration_days": 180,
            "expected_per_day": 50,
        },
    )
    application = AccessApplication.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == f"/exchange/applications/{application.pk}/"
    assert application.fields == ["name", "phone"] and application.clear_fields == ["phone"]
    assert application.client == sharing.reader and application.duration_days == 180
    # A never-shared item sent anyway is refused by the form, not stored.
    again = http.post(
        f"/exchange/resource/{ENTERPRISE_SLUG}/apply/",
        {
            "client": sharing.reader.key_id,
            "item_codes": ["legal_rep_id"],
            "purpose": PURPOSE,
            "legal_basis": BASIS,
            "duration_days": 30,
            "expected_per_day": 5,
        },
    )
    assert again.status_code == 200 and AccessApplication.objects.count() == 1


def test_the_provider_opening_apply_on_its_own_entry_is_told_no_application_is_needed(
    sharing: Sharing,
) -> None:
    # The market bureau has a system (the pusher): it was told to issue one.
    page = logged_in(sharing.officer).get(f"/exchange/resource/{ENTERPRISE_SLUG}/apply/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "这是本部门的数据，无需申请" in html
    assert "签发凭证" not in html and 'name="purpose"' not in html
    # Another department's officer is still offered the form.
    other = logged_in(sharing.county_officer).get(f"/exchange/resource/{ENTERPRISE_SLUG}/apply/")
    assert "无需申请" not in other.content.decode()
    assert 'name="purpose"' in other.content.decode()


def test_a_citizen_or_stranger_cannot_apply_or_see_requests(sharing: Sharing) -> None:
    citizen = logged_in(sharing.citizen)
    assert citizen.get(f"/exchange/resource/{ENTERPRISE_SLUG}/apply/").status_code == 403
    assert citizen.get("/exchange/requests/").status_code == 403
    anonymous = Client().get("/exchange/requests/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    application = apply_for_phone(sharing)
    outsider = logged_in(sharing.outsider)
    assert outsider.get(f"/exchange/applications/{application.pk}/").status_code == 404
    refused = outsider.post(f"/exchange/applications/{application.pk}/refuse/", {"reason": "x"})
    assert refused.status_code == 404
    assert AccessApplication.objects.get().state == ApplicationState.PENDING


def test_the_provider_grants_on_the_page_and_revokes_from_the_list(sharing: Sharing) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    listing = provider.get("/exchange/requests/").content.decode()
    assert f"/exchange/applications/{application.pk}/" in listing
    assert "剩余" in listing and "个工作日" in listing
    detail = provider.get(f"/exchange/applications/{application.pk}/").content.decode()
    assert PURPOSE in detail and "/grant/" in detail and "/withdraw/" not in detail
    # The applicant sees the withdraw button, not the answer.
    mine = logged_in(sharing.county_officer).get(f"/exchange/applications/{application.pk}/")
    assert "/withdraw/" in mine.content.decode() and "/grant/" not in mine.content.decode()

    granted = provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["phone"], "rate_per_minute": 30, "reason": "同意"},
        follow=True,
    )
    # Asked for 名称 and 电话, agreed to 电话 alone: said as a partial consent.
    assert "已部分同意该申请（同意1项，申请2项）" in granted.content.decode()
    grant = Grant.objects.get()
    assert grant.fields == ["phone"] and grant.rate_per_minute == 30
    revoked = provider.post(
        f"/exchange/grants/{grant.pk}/revoke/", {"reason": "审批已办结"}, follow=True
    )
    assert "授权已撤销" in revoked.content.decode()
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoke_reason == "审批已办结"
    # In English a grant is revoked, not "cancelled" as an inspection task is.
    english = provider.get(
        f"/exchange/applications/{application.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "<dt>Revocation</dt>" in english and ">Revoked</span>" in english


def test_refusing_and_withdrawing_on_the_page(sharing: Sharing) -> None:
    first = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    blank = provider.post(f"/exchange/applications/{first.pk}/refuse/", {"reason": ""}, follow=True)
    assert "拒绝时请说明理由" in blank.content.decode()
    provider.post(f"/exchange/applications/{first.pk}/refuse/", {"reason": "用途不明确"})
    first.refresh_from_db()
    assert first.state == ApplicationState.REFUSED and first.answer_reason == "用途不明确"
    second = apply_for_phone(sharing)
    # The provider cannot withdraw another department's application.
    assert provider.post(f"/exchange/applications/{second.pk}/withdraw/").status_code == 403
    logged_in(sharing.county_officer).post(f"/exchange/applications/{second.pk}/withdraw/")
    second.refresh_from_db()
    assert second.state == ApplicationState.WITHDRAWN


def test_overdue_applications_show_in_red_to_the_data_bureau(sharing: Sharing) -> None:
    application = apply_for_phone(sharing)
    AccessApplication.objects.filter(pk=application.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    bureau = logged_in(sharing.bureau).get("/exchange/requests/").content.decode()
    overview = bureau.split('id="exchange-overdue"')[1].split("</section>")[0]
    assert f"/exchange/applications/{application.pk}/" in overview
    assert "tag-red" in overview and "已逾期" in overview
    provider = logged_in(sharing.officer).get("/exchange/requests/").content.decode()
    assert 'id="exchange-overdue"' not in provider
    assert "已逾期" in provider  # in its own list, still marked


def _section(html: str, name: str) -> str:
    return html.split(f'id="exchange-{name}"')[1].split("</section>")[0]


def test_an_answer_given_after_the_period_stays_marked_as_late(sharing: Sharing) -> None:
    """Answered, an overdue application left the overdue list with no trace of its lateness."""
    late = apply_for_phone(sharing)
    AccessApplication.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - dt.timedelta(days=3)
    )
    provider = logged_in(sharing.officer)
    provider.post(f"/exchange/applications/{late.pk}/refuse/", {"reason": "用途不明确"})
    on_time = apply_for_phone(sharing)
    provider.post(
        f"/exchange/applications/{on_time.pk}/grant/",
        {"item_codes": ["name", "phone"], "rate_per_minute": "60"},
    )
    bureau = logged_in(sharing.bureau)
    html = bureau.get("/exchange/requests/").content.decode()
    rows = html.split('id="exchange-all"')[1].split("</section>")[0].split("<tr>")
    late_row = next(r for r in rows if f"/exchange/applications/{late.pk}/" in r)
    on_time_row = next(r for r in rows if f"/exchange/applications/{on_time.pk}/" in r)
    assert "逾期答复" in late_row and "逾期答复" not in on_time_row
    assert "逾期答复" in bureau.get(f"/exchange/applications/{late.pk}/").content.decode()
    assert "逾期答复" not in bureau.get(f"/exchange/applications/{on_time.pk}/").content.decode()
    # The applicant sees it too.
    outgoing = logged_in(sharing.county_officer).get("/exchange/requests/").content.decode()
    assert "逾期答复" in outgoing


def test_the_data_bureau_oversees_other_departments_applications_apart_from_its_own(
    sharing: Sharing,
) -> None:
    # 孙八's post covers the whole city, but 本部门 is the data bureau only.
    county = apply_for_phone(sharing)
    grant = actions.do_grant_application(county, actor=actor_of(sharing.officer))
    bureau_system, _secret = do_issue_client(
        sharing.cast.catalog.data_bureau,
        "数据局分析系统",
        ["exchange.read_shared"],
        actor=TEST_ACTOR,
    )
    own = actions.do_apply_for_access(
        sharing.population,
        bureau_system,
        actions.ApplicationInput(
            purpose="人口数据质量分析",
            legal_basis=BASIS,
            fields=["name"],
            duration_days=30,
            expected_per_day=10,
        ),
        actor=actor_of(sharing.bureau),
    )
    html = logged_in(sharing.bureau).get("/exchange/requests/").content.decode()
    county_link, own_link = (f"/exchange/applications/{a.pk}/" for a in (county, own))
    assert own_link in _section(html, "outgoing")
    assert county_link not in _section(html, "outgoing")
    for name in ("incoming", "given", "held"):
        assert county_link not in _section(html, name), name
        assert sharing.reader.name not in _section(html, name), name
    assert f"/exchange/grants/{grant.pk}/revoke/" not in html
    overview = _section(html, "all")
    assert "全部数据共享申请（辖区内）" in overview
    assert county_link in overview and own_link in overview
    # The departments themselves see their own as before, and no city-wide list.
    applicant = logged_in(sharing.county_officer).get("/exchange/requests/").content.decode()
    assert county_link in _section(applicant, "outgoing") and 'id="exchange-all"' not in applicant
    provider = logged_in(sharing.officer).get("/exchange/requests/").content.decode()
    assert county_link in _section(provider, "incoming") and own_link in provider
    assert f"/exchange/grants/{grant.pk}/revoke/" in _section(provider, "given")


def test_the_pending_filter_is_an_htmx_partial(sharing: Sharing) -> None:
    refused = apply_for_phone(sharing)
    logged_in(sharing.officer).post(
        f"/exchange/applications/{refused.pk}/refuse/", {"reason": "不符合"}
    )
    pending = apply_for_phone(sharing)
    partial = logged_in(sharing.officer).get(
        "/exchange/requests/?pending=1", HTTP_HX_REQUEST="true"
    )
    html = partial.content.decode()
    assert "<html" not in html
    assert f"/exchange/applications/{pending.pk}/" in html
    assert f"/exchange/applications/{refused.pk}/" not in html


def test_an_officer_hosts_a_resource_and_uploads_a_file_with_a_bad_row(
    sharing: Sharing, cast: ExchangeCast
) -> None:
    http = logged_in(sharing.officer)
    listing = http.get("/exchange/datasets/").content.decode()
    assert "企业登记信息" in listing and "已托管" in listing and "未托管" in listing
    slug = cast.resource.slug
    form = http.get(f"/exchange/datasets/{slug}/").content.decode()
    assert 'name="key_item_code"' in form and 'value="licence"' not in form
    registered = http.post(f"/exchange/datasets/{slug}/", {"key_item_code": "uscc"})
    assert registered.status_code == 302
    good = make_credit_code(seq=901)
    csv = f"uscc,name,capital\n{good},长沙甲公司,100\nNOT-A-CODE,长沙乙公司,200\n"
    uploaded = http.post(
        f"/exchange/datasets/{slug}/",
        {"file": SimpleUploadedFile("企业.csv", csv.encode(), "text/csv")},
    )
    html = uploaded.content.decode()
    assert uploaded.status_code == 200
    assert "第 1 版已导入" in html and "接受 1 行，退回 1 行" in html
    problems = html.split("未导入的行")[1].split("</table>")[0]
    assert '<td data-label="行">3</td>' in problems and "uscc" in problems
    assert "企业.csv" in html  # the versions list
    wrong = http.post(
        f"/exchange/datasets/{slug}/",
        {"file": SimpleUploadedFile("企业.txt", b"x", "text/plain")},
    )
    assert "只接受CSV或XLSX文件" in wrong.content.decode()
    # Another department's officer does not find the page.
    assert logged_in(sharing.county_officer).get(f"/exchange/datasets/{slug}/").status_code == 404


def _read_person(sharing: Sharing) -> None:
    answer = sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{POPULATION_SLUG}/look-up",
        {"key": sharing.person.id_number, "purpose": "办理居住证核对户籍"},
        "application/json",
    )
    assert answer.status_code == 200, answer.json()


def test_a_citizen_sees_who_read_their_data_and_the_ledger_entry(sharing: Sharing) -> None:
    _read_person(sharing)
    citizen = logged_in(sharing.citizen)
    page = citizen.get("/exchange/my-data/").content.decode()
    assert "芙蓉区市场监督管理局" in page and "芙蓉区审批系统" in page
    assert "人口基本信息" in page and "办理居住证核对户籍" in page
    assert "公民身份号码、姓名" in page and "已读取" in page
    entry = LedgerEntry.objects.filter(action="exchange.look_up").order_by("-seq").first()
    assert entry is not None and f"/exchange/my-data/{entry.seq}/" in page
    detail = citizen.get(f"/exchange/my-data/{entry.seq}/").content.decode()
    assert bytes(entry.data_hash).hex() in detail
    assert tree_state().hasher.name in detail
    # Someone else's use is not found, nor is it listed for the enterprise user.
    enterprise = logged_in(sharing.enterprise_user)
    assert enterprise.get(f"/exchange/my-data/{entry.seq}/").status_code == 404
    assert "办理居住证核对户籍" not in enterprise.get("/exchange/my-data/").content.decode()
    assert logged_in(sharing.officer).get("/exchange/my-data/").status_code == 403


def test_an_enterprise_user_sees_reads_of_the_enterprise(sharing: Sharing) -> None:
    http = sharing.api(sharing.reader_token)
    http.post(
        f"/api/exchange/shared/{ENTERPRISE_SLUG}/look-up",
        {"key": sharing.uscc, "purpose": "核对营业执照信息"},
        "application/json",
    )
    page = logged_in(sharing.enterprise_user).get("/exchange/my-data/").content.decode()
    assert "长沙某某餐饮有限公司" in page
    assert "核对营业执照信息" in page and "已读取" in page
    assert "办理居住证核对户籍" not in page
    citizen = logged_in(sharing.citizen).get("/exchange/my-data/").content.decode()
    assert "核对营业执照信息" not in citizen


def test_a_look_up_that_found_nothing_reads_as_such_not_as_a_refusal(sharing: Sharing) -> None:
    # 王五 is not in the population register: a look-up of his number finds no record.
    wangwu = make_person("王五")
    citizen = do_create_citizen("wangwu", PASSWORD, wangwu, actor=TEST_ACTOR)
    answer = sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{POPULATION_SLUG}/look-up",
        {"key": wangwu.id_number, "purpose": "信用审查"},
        "application/json",
    )
    assert answer.status_code == 404 and answer.json()["code"] == "unknown_key"
    entry = LedgerEntry.objects.filter(action="exchange.look_up").order_by("-seq").first()
    assert entry is not None
    http = logged_in(citizen)
    for url in ("/exchange/my-data/", f"/exchange/my-data/{entry.seq}/"):
        page = http.get(url).content.decode()
        assert "信用审查" in page and "已查询，未查到记录" in page, url
        assert "已拒绝" not in page and "unknown_key" not in page, url
        english = http.get(url, headers={"Accept-Language": "en"}).content.decode()
        assert "Looked up: no record" in english, url
        assert "Refused" not in english and "unknown_key" not in english, url


@pytest.mark.usefixtures("one_minute")
def test_a_refused_use_is_explained_in_words_not_codes(sharing: Sharing) -> None:
    application = actions.do_apply_for_access(
        sharing.population,
        sharing.reader,
        actions.ApplicationInput(
            purpose=PURPOSE,
            legal_basis=BASIS,
            fields=["id_number", "name"],
            duration_days=30,
            expected_per_day=1,
        ),
        actor=actor_of(sharing.county_officer),
    )
    actions.do_grant_application(application, actor=TEST_ACTOR, rate_per_minute=1)
    reader = sharing.api(sharing.reader_token)
    body = {"key": sharing.person.id_number, "purpose": "办理居住证核对户籍"}
    answers = [
        reader.post(f"/api/exchange/shared/{POPULATION_SLUG}/look-up", body, "application/json")
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 429]
    http = logged_in(sharing.citizen)
    page = http.get("/exchange/my-data/").content.decode()
    assert "已拒绝" in page and "超过每分钟调用上限" in page
    assert "rate_limited" not in page
    english = http.get("/exchange/my-data/", headers={"Accept-Language": "en"}).content.decode()
    assert "Refused" in english and "rate_limited" not in english


def test_the_requests_page_counts_whole_working_days_and_names_granted_items(
    sharing: Sharing,
) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    # Filed today with a 10-working-day limit: today is not counted, so 10 days
    # are left whatever the hour, never a fraction of one.
    listing = provider.get("/exchange/requests/").content.decode()
    assert "剩余 10 个工作日" in listing
    assert not re.search(r"剩余 \d+\.\d+ 个工作日", listing)
    # On the day it is due, the page says so.
    end_of_today = timezone.localtime().replace(hour=23, minute=59, second=59)
    AccessApplication.objects.filter(pk=application.pk).update(due_at=end_of_today)
    listing = provider.get("/exchange/requests/").content.decode()
    assert "今日到期" in listing and "剩余 0 个工作日" not in listing
    AccessApplication.objects.filter(pk=application.pk).update(due_at=application.due_at)

    provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name", "phone"], "rate_per_minute": 30, "reason": "同意"},
    )
    grant = Grant.objects.get()
    for page in (
        provider.get("/exchange/requests/").content.decode(),
        provider.get(f"/exchange/applications/{application.pk}/").content.decode(),
    ):
        assert "企业名称、联系电话" in page
        assert "name, phone" not in page
    # A 365-day grant runs from its start to the same time a year later, and says so.
    listing = provider.get("/exchange/requests/").content.decode()
    start = timezone.localtime(grant.starts_at)
    end = timezone.localtime(grant.expires_at)
    assert f"{start:%Y-%m-%d %H:%M} — {end:%Y-%m-%d %H:%M}" in listing
    assert "共 365 天" in listing


def test_a_region_wide_post_gets_no_upload_form_and_cannot_load(sharing: Sharing) -> None:
    slug = sharing.enterprises.slug
    versions = sharing.enterprises.hosted_dataset.versions.count()
    bureau = logged_in(sharing.bureau)
    page = bureau.get(f"/exchange/datasets/{slug}/")
    assert page.status_code == 404 or 'name="file"' not in page.content.decode()
    csv = f"uscc,name\n{sharing.uscc},改名公司\n"
    posted = bureau.post(
        f"/exchange/datasets/{slug}/",
        {"file": SimpleUploadedFile("企业.csv", csv.encode(), "text/csv")},
    )
    assert posted.status_code == 404
    assert sharing.enterprises.hosted_dataset.versions.count() == versions
    # The provider's own officer still loads.
    own = logged_in(sharing.officer).post(
        f"/exchange/datasets/{slug}/",
        {"file": SimpleUploadedFile("企业.csv", csv.encode(), "text/csv")},
    )
    assert own.status_code == 200 and "已导入" in own.content.decode()


def test_an_enterprise_user_also_sees_reads_of_their_own_personal_data(sharing: Sharing) -> None:
    # 赵六 logs in as the enterprise's legal representative, and is a person too.
    owner = sharing.enterprise.legal_representative
    assert owner is not None
    actions.do_load_dataset_rows(
        sharing.population.hosted_dataset,
        [{"id_number": owner.id_number, "name": "赵六"}],
        actor=actor_of(sharing.officer),
        source_name="people.csv",
    )
    answer = sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{POPULATION_SLUG}/look-up",
        {"key": owner.id_number, "purpose": "企业变更登记核验法定代表人身份"},
        "application/json",
    )
    assert answer.status_code == 200, answer.json()
    http = logged_in(sharing.enterprise_user)
    page = http.get("/exchange/my-data/").content.decode()
    mine = page.split("本人")[1].split("</section>")[0]
    assert "企业变更登记核验法定代表人身份" in mine and "已读取" in mine
    assert "长沙某某餐饮有限公司" in page
    entry = LedgerEntry.objects.filter(action="exchange.look_up").order_by("-seq").first()
    assert entry is not None
    assert http.get(f"/exchange/my-data/{entry.seq}/").status_code == 200
    # 张三 sees nothing of 赵六's.
    citizen = logged_in(sharing.citizen).get("/exchange/my-data/").content.decode()
    assert "企业变更登记核验法定代表人身份" not in citizen


def test_older_uses_are_reached_page_by_page(
    sharing: Sharing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("zhengtong.exchange.views.USES_PER_PAGE", 2)
    reader = sharing.api(sharing.reader_token)
    for n in range(5):
        answer = reader.post(
            f"/api/exchange/shared/{POPULATION_SLUG}/look-up",
            {"key": sharing.person.id_number, "purpose": f"第{n}次核对户籍"},
            "application/json",
        )
        assert answer.status_code == 200
    citizen = logged_in(sharing.citizen)
    seen: list[str] = []
    url = "/exchange/my-data/"
    for _page in range(5):
        html = citizen.get(url).content.decode()
        seen += re.findall(r"第(\d)次核对户籍", html)
        older = re.search(r'href="(/exchange/my-data/\?[^"]+)"[^>]*>[^<]*更早', html)
        if older is None:
            break
        url = older.group(1).replace("&amp;", "&")
    assert seen == ["4", "3", "2", "1", "0"]


def test_a_grant_of_fewer_items_than_applied_for_reads_as_partial_consent(
    sharing: Sharing,
) -> None:
    partial = apply_for_phone(sharing)
    actions.do_grant_application(partial, actor=actor_of(sharing.officer), fields=["phone"])
    whole = apply_for_phone(sharing)
    actions.do_grant_application(whole, actor=actor_of(sharing.officer))
    state_cell = re.compile(r'<td data-label="状态"><span class="tag tag-ok">([^<]*)</span>')
    for user in (sharing.officer, sharing.county_officer):
        listing = logged_in(user).get("/exchange/requests/").content.decode()
        # The provider's list is by due date, the applicant's newest first.
        states = sorted(state_cell.findall(listing))
        assert states == sorted(["部分同意", "已同意"]), (user, states)
    page = logged_in(sharing.officer).get(f"/exchange/applications/{partial.pk}/").content.decode()
    assert "数据共享申请 · 部分同意" in page
    page = logged_in(sharing.officer).get(f"/exchange/applications/{whole.pk}/").content.decode()
    assert "数据共享申请 · 已同意" in page and "部分同意" not in page
