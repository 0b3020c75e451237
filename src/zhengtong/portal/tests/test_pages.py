"""Entry pages: who may open which, where visitors are sent, what the pages say."""

from typing import TYPE_CHECKING

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from zhengtong.core.masking import mask_id_number, mask_phone
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_create_staff
from zhengtong.portal.tests.cast import PASSWORD, Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

ENTRY_PAGES = ["portal:citizen", "portal:enterprise", "portal:workbench"]


def page_text(response: "TestResponse") -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_the_home_page_presents_every_audience_to_a_visitor(client: Client) -> None:
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    text = page_text(response)
    assert '<html lang="zh-hans">' in text
    for label in ("我要办事", "企业服务", "工作台", "开放接口", "审计"):
        assert label in text
    assert reverse("ledger:entries") in text


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", [*ENTRY_PAGES, "portal:profile"])
def test_a_visitor_is_sent_to_log_in_first(client: Client, url_name: str) -> None:
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


@pytest.mark.parametrize(
    ("who", "url_name"),
    [
        ("citizen", "portal:citizen"),
        ("owner", "portal:enterprise"),
        ("clerk", "portal:workbench"),
        ("admin", "portal:workbench"),
    ],
)
def test_each_audience_opens_its_own_entry_page(
    client: Client, cast: Cast, who: str, url_name: str
) -> None:
    client.force_login(getattr(cast, who))
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert 'aria-current="page"' in page_text(response)


@pytest.mark.parametrize(
    ("who", "url_name", "reason"),
    [
        ("citizen", "portal:workbench", "工作台仅供具有工作台权限的工作人员使用。"),
        ("citizen", "portal:enterprise", "“企业服务”面向企业的法定代表人和授权经办人。"),
        ("owner", "portal:citizen", "“我要办事”面向以个人身份登录的公众。"),
        ("clerk", "portal:citizen", "“我要办事”面向以个人身份登录的公众。"),
        ("clerk", "portal:enterprise", "“企业服务”面向企业的法定代表人和授权经办人。"),
    ],
)
def test_a_user_of_another_audience_gets_the_403_page_saying_why(
    client: Client, cast: Cast, who: str, url_name: str, reason: str
) -> None:
    client.force_login(getattr(cast, who))
    response = client.get(reverse(url_name))
    assert response.status_code == 403
    text = page_text(response)
    assert "无权访问此页面" in text
    assert reason in text
    # The friendly page is a whole portal page, with the way back.
    assert 'class="site-header"' in text
    assert reverse("portal:home") in text


def test_the_header_shows_a_user_only_their_own_entries(client: Client, cast: Cast) -> None:
    client.force_login(cast.citizen)
    text = page_text(client.get(reverse("portal:citizen")))
    nav = text[text.index('class="primary-nav"') : text.index("</nav>")]
    assert reverse("portal:citizen") in nav
    assert reverse("portal:developer") in nav
    assert reverse("portal:workbench") not in nav
    assert reverse("portal:enterprise") not in nav
    assert reverse("ledger:entries") not in nav


def test_the_header_offers_the_audit_entry_to_an_auditor_only(client: Client, cast: Cast) -> None:
    client.force_login(cast.auditor)
    auditor_page = page_text(client.get(reverse("portal:developer")))
    client.force_login(cast.clerk)
    clerk_page = page_text(client.get(reverse("portal:developer")))
    assert f'href="{reverse("ledger:entries")}"' in auditor_page
    assert f'href="{reverse("ledger:entries")}"' not in clerk_page


def test_the_citizen_page_marks_what_is_not_yet_open(client: Client, cast: Cast) -> None:
    client.force_login(cast.citizen)
    text = page_text(client.get(reverse("portal:citizen")))
    for offering in ("办事指南", "在线申请", "12345 我要反映", "我的数据使用记录"):
        assert offering in text
    # What exists is a link, not a "coming soon".
    assert f'href="{reverse("portal:profile")}"' in text
    assert f'href="{reverse("hotline:submit")}"' in text
    # The enterprise's credit page is open now; 舆情预警 on the workbench is not yet.
    client.force_login(cast.owner)
    enterprise_page = page_text(client.get(reverse("portal:enterprise")))
    assert f'href="{reverse("regulation:my_credit")}"' in enterprise_page
    # The card names what the page holds besides the grade: repair, alarms, inspections.
    for part in ("信用修复", "在线监测", "报警", "监督检查"):
        assert part in enterprise_page
    client.force_login(cast.clerk)
    workbench = page_text(client.get(reverse("portal:workbench")))
    assert "舆情预警" in workbench and "即将开通" in workbench


def test_the_enterprise_page_lists_the_enterprises_the_user_acts_for(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    text = page_text(client.get(reverse("portal:enterprise")))
    assert cast.shop.name in text
    assert cast.shop.credit_code in text
    assert "法定代表人" in text


def test_the_workbench_shows_the_posts_and_their_data_scope(client: Client, cast: Cast) -> None:
    client.force_login(cast.clerk)
    text = page_text(client.get(reverse("portal:workbench")))
    assert "长沙市市场监督管理局" in text
    assert "窗口受理人员" in text
    assert "本部门" in text
    # A clerk neither audits nor manages G2G credentials.
    assert reverse("ledger:entries") not in text
    assert "接入系统与接口凭证" not in text
    # Nor does a clerk compile the catalog or answer data-sharing applications.
    assert reverse("exchange:requests") not in text
    assert reverse("catalog:workbench") not in text


def test_the_workbench_offers_the_tools_a_post_allows(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)
    text = page_text(client.get(reverse("portal:workbench")))
    assert "接入系统与接口凭证" in text
    assert reverse("exchange:requests") in text
    assert reverse("exchange:datasets") in text
    # Data quality across departments is the data bureau's.
    assert reverse("exchange:quality_overview") not in text


def test_the_workbench_offers_the_online_services_worklist_only_to_those_who_work_it(
    client: Client, cast: Cast
) -> None:
    worklist = reverse("eservices:worklist")
    client.force_login(cast.auditor)
    assert worklist not in page_text(client.get(reverse("portal:workbench")))
    client.force_login(
        do_create_staff("hejing", PASSWORD, "何静", cast.bureau, ["acceptor"], actor=TEST_ACTOR)
    )
    assert worklist in page_text(client.get(reverse("portal:workbench")))


def test_the_profile_shows_real_name_data_masked(client: Client, cast: Cast) -> None:
    client.force_login(cast.citizen)
    response = client.get(reverse("portal:profile"))
    assert response.status_code == 200
    text = page_text(response)
    person = cast.zhangsan_person
    assert person.id_number not in text
    assert mask_id_number(person.id_number) in text
    assert "13812345678" not in text
    assert mask_phone("13812345678") in text
    assert "五一大道100号" not in text
    assert "张*" in text
    assert "公众" in text


def test_the_profile_of_staff_lists_their_posts(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)
    text = page_text(client.get(reverse("portal:profile")))
    assert "系统管理员" in text
    assert "该账号未关联实名信息。" in text


def test_the_built_in_roles_of_every_app_are_named_in_the_readers_language(
    client: Client, cast: Cast
) -> None:
    # Roles seeded by the apps' migrations, not only identity's own.
    roles = (
        "acceptor",
        "decider",
        "hotline_dispatcher",
        "hotline_handler",
        "regulator",
        "data_reviewer",
    )
    staff = do_create_staff("roles", PASSWORD, "多岗人员", cast.bureau, roles, actor=TEST_ACTOR)
    client.force_login(staff)
    chinese = page_text(client.get(reverse("portal:profile")))
    for name in (
        "受理人员",
        "决定人员",
        "12345派单员",
        "12345承办人员",
        "监管执法人员",
        "数据资源审核人员",
    ):
        assert name in chinese
    client.cookies["django_language"] = "en"
    english = page_text(client.get(reverse("portal:profile"), HTTP_ACCEPT_LANGUAGE="en"))
    for name in (
        "Acceptance clerk",
        "Decision maker",
        "12345 dispatcher",
        "12345 case handler",
        "Regulatory enforcement officer",
        "Data resource reviewer",
    ):
        assert name in english
    assert "受理人员" not in english and "监管执法人员" not in english


@pytest.mark.django_db
def test_an_unknown_address_gets_the_portal_404_page(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = page_text(response)
    assert "页面不存在" in text
    assert 'class="site-header"' in text


def test_the_500_page_renders_without_a_request() -> None:
    # Django renders it with no context at all: no user, no navigation.
    with translation.override("zh-hans"):
        html = render_to_string("500.html")
    assert "服务暂时不可用" in html
    assert '<html lang="zh-hans">' in html


@pytest.mark.django_db
def test_switching_to_english_translates_the_pages(client: Client) -> None:
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("portal:home")}, follow=True
    )
    text = page_text(response)
    assert '<html lang="en">' in text
    assert "Citizen services" in text
    assert "Business services" in text
    assert "我要办事" not in text
    # And back: the switch offers the other language.
    assert 'value="zh-hans"' in text
    response = client.post(
        reverse("set_language"),
        {"language": "zh-hans", "next": reverse("portal:home")},
        follow=True,
    )
    assert "我要办事" in page_text(response)


def test_the_403_page_speaks_the_chosen_language(client: Client, cast: Cast) -> None:
    client.force_login(cast.citizen)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("portal:workbench"))
    assert response.status_code == 403
    text = page_text(response)
    assert "You may not open this page" in text
    assert "The workbench is for staff" in text
