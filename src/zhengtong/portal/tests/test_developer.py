"""The 开放接口 page and the G2G credentials a department's administrator manages there."""

import re
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from zhengtong.identity.models import SystemClient
from zhengtong.portal.tests.cast import Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

TOKEN = re.compile(r'data-testid="client-token">([0-9a-f]+)\.([A-Za-z0-9_-]+)<')


def issue(client: Client, cast: Cast, name: str = "登记注册系统", **headers: str) -> "TestResponse":
    return client.post(
        reverse("portal:issue_client"),
        {"department": cast.bureau.pk, "name": name, "scopes": ["core.read_registers"]},
        headers=headers,
    )


@pytest.mark.django_db
def test_a_visitor_reads_how_to_authenticate(client: Client) -> None:
    response = client.get(reverse("portal:developer"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Authorization: Bearer &lt;key_id&gt;.&lt;secret&gt;" in text
    assert f'href="{reverse("api:openapi-view")}"' in text
    assert "签发新的接口凭证" not in text


def test_staff_without_the_permission_see_no_credentials(client: Client, cast: Cast) -> None:
    client.force_login(cast.clerk)
    text = client.get(reverse("portal:developer")).content.decode()
    assert "签发新的接口凭证" not in text
    assert "请联系本部门的系统管理员" in text


def test_an_administrator_issues_a_credential_shown_once(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)
    response = issue(client, cast)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = TOKEN.search(response.content.decode())
    assert match is not None
    made = SystemClient.objects.get(key_id=match.group(1))
    assert made.department == cast.bureau
    assert made.scopes == ["core.read_registers"]
    # The next look at the page lists the client but never shows the secret again.
    text = client.get(reverse("portal:developer")).content.decode()
    assert made.key_id in text
    assert match.group(2) not in text


def test_an_htmx_request_gets_only_the_client_section(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)
    response = issue(client, cast, HX_Request="true")
    text = response.content.decode()
    assert text.lstrip().startswith('<section class="panel" id="client-management"')
    assert "<html" not in text
    assert TOKEN.search(text) is not None


def test_issuing_without_a_name_says_what_is_missing(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)
    response = issue(client, cast, name="")
    assert response.status_code == 400
    assert "这个字段是必填项。" in response.content.decode()
    assert not SystemClient.objects.exists()


def test_an_administrator_cannot_issue_for_another_department(client: Client, cast: Cast) -> None:
    client.force_login(cast.other_admin)
    response = issue(client, cast)
    assert response.status_code == 400
    assert not SystemClient.objects.exists()


def test_rotating_shows_a_new_secret_and_revoking_ends_the_credential(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.admin)
    first = TOKEN.search(issue(client, cast).content.decode())
    assert first is not None
    made = SystemClient.objects.get(key_id=first.group(1))

    response = client.post(reverse("portal:rotate_client", args=[made.pk]))
    assert response.status_code == 200
    second = TOKEN.search(response.content.decode())
    assert second is not None
    assert second.group(1) == first.group(1)
    assert second.group(2) != first.group(2)
    assert "原凭证已失效" in response.content.decode()

    response = client.post(reverse("portal:revoke_client", args=[made.pk]))
    assert response.status_code == 200
    assert "已吊销" in response.content.decode()
    made.refresh_from_db()
    assert made.revoked_at is not None

    # A revoked credential cannot be brought back by rotating it.
    response = client.post(reverse("portal:rotate_client", args=[made.pk]))
    assert response.status_code == 409
    assert "该接入系统已被吊销。" in response.content.decode()


def test_a_second_rotation_from_the_same_page_is_refused_and_the_first_secret_works(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.admin)
    first = TOKEN.search(issue(client, cast).content.decode())
    assert first is not None
    made = SystemClient.objects.get(key_id=first.group(1))
    page = client.get(reverse("portal:developer")).content.decode()
    seen = re.search(r'name="seen_rotation" value="([^"]*)"', page)
    assert seen is not None and seen.group(1) == "never"

    # Two officers (or two tabs) press 轮换 on the page they both loaded.
    url = reverse("portal:rotate_client", args=[made.pk])
    rotated = TOKEN.search(client.post(url, {"seen_rotation": seen.group(1)}).content.decode())
    assert rotated is not None
    refused = client.post(url, {"seen_rotation": seen.group(1)})
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "凭证刚刚已被轮换，本次未轮换" in text
    assert TOKEN.search(text) is None
    made.refresh_from_db()
    assert made.rotated_at is not None
    # The page now carries the new time: rotating from it goes through.
    fresh = re.search(r'name="seen_rotation" value="([^"]*)"', text)
    assert fresh is not None and fresh.group(1) == made.rotated_at.isoformat()
    assert client.post(url, {"seen_rotation": fresh.group(1)}).status_code == 200


def test_another_departments_client_looks_missing(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)
    first = TOKEN.search(issue(client, cast).content.decode())
    assert first is not None
    made = SystemClient.objects.get(key_id=first.group(1))

    client.force_login(cast.other_admin)
    for url_name in ("portal:rotate_client", "portal:revoke_client"):
        assert client.post(reverse(url_name, args=[made.pk])).status_code == 404
    made.refresh_from_db()
    assert made.revoked_at is None


@pytest.mark.parametrize("url_name", ["portal:rotate_client", "portal:revoke_client"])
def test_staff_without_the_permission_are_refused(
    client: Client, cast: Cast, url_name: str
) -> None:
    client.force_login(cast.clerk)
    assert client.post(reverse(url_name, args=[1])).status_code == 403
    assert client.post(reverse("portal:issue_client"), {}).status_code == 403


def test_the_credential_pages_take_posts_only(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)
    before = SystemClient.objects.count()
    # A reload or the language switch after a form asks its URL with GET: it
    # goes back to the developer page and issues, rotates or revokes nothing.
    for url in (
        reverse("portal:issue_client"),
        reverse("portal:rotate_client", args=[1]),
        reverse("portal:revoke_client", args=[1]),
    ):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, reverse("portal:developer"))
    assert SystemClient.objects.count() == before
    assert client.put(reverse("portal:issue_client")).status_code == 405


@pytest.mark.django_db
def test_an_htmx_request_after_the_session_ended_loads_the_login_page(client: Client) -> None:
    response = client.post(
        reverse("portal:issue_client"),
        {},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/developer/"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{reverse('portal:login')}?next=/developer/"


@pytest.mark.django_db
def test_a_form_post_after_the_session_ended_is_sent_to_log_in(client: Client) -> None:
    response = client.post(reverse("portal:issue_client"), {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
