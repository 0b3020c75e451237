"""Logging in and out through the portal's own pages."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.test import Client
from django.urls import reverse

from zhengtong.portal.tests.cast import PASSWORD, Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


def log_in(client: Client, username: str, password: str, **extra: str) -> "TestResponse":
    return client.post(
        reverse("portal:login"), {"username": username, "password": password, **extra}
    )


def test_the_login_page_has_labelled_fields(client: Client, cast: Cast) -> None:
    response = client.get(reverse("portal:login"))
    assert response.status_code == 200
    text = response.content.decode()
    assert '<label for="id_username">用户名</label>' in text
    assert '<label for="id_password">密码</label>' in text
    assert 'autocomplete="current-password"' in text


def test_logging_in_sends_each_audience_to_its_entry_page(client: Client, cast: Cast) -> None:
    for username, url_name in [
        ("zhangsan", "portal:citizen"),
        ("zhaoliu", "portal:enterprise"),
        ("lisi", "portal:workbench"),
    ]:
        response = log_in(client, username, PASSWORD)
        assert response.status_code == 302, username
        assert response["Location"] == reverse(url_name)
        client.post(reverse("portal:logout"))


def test_logging_in_returns_to_the_page_asked_for(client: Client, cast: Cast) -> None:
    response = log_in(client, "zhangsan", PASSWORD, next=reverse("portal:profile"))
    assert response["Location"] == reverse("portal:profile")


def test_logging_in_ignores_a_next_address_on_another_site(client: Client, cast: Cast) -> None:
    response = log_in(client, "zhangsan", PASSWORD, next="https://elsewhere.example/")
    assert response["Location"] == reverse("portal:citizen")


def test_logging_in_ignores_a_next_address_that_is_not_a_path_of_ours(
    client: Client, cast: Cast
) -> None:
    for next_address in ("profile", "//elsewhere.example/", "/portal/\r\nX-A: 1"):
        response = log_in(client, "zhangsan", PASSWORD, next=next_address)
        assert response.status_code == 302, next_address
        assert response["Location"] == reverse("portal:citizen"), next_address
        client.post(reverse("portal:logout"))


def test_a_wrong_password_shows_a_translated_error(client: Client, cast: Cast) -> None:
    response = log_in(client, "zhangsan", "not-the-password")
    assert response.status_code == 200
    assert "用户名或密码不正确。" in response.content.decode()
    assert "_auth_user_id" not in client.session

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = log_in(client, "zhangsan", "not-the-password")
    assert "The username or password is incorrect." in response.content.decode()


def test_too_many_failures_show_the_throttling_message(client: Client, cast: Cast) -> None:
    for _attempt in range(settings.LOGIN_THROTTLE_ATTEMPTS):
        log_in(client, "lisi", "not-the-password")
    # Even the right password is refused while the account is throttled.
    response = log_in(client, "lisi", PASSWORD)
    assert response.status_code == 429
    text = response.content.decode()
    assert "登录失败次数过多，请 15 分钟后再试。" in text
    assert "_auth_user_id" not in client.session


def test_a_logged_in_user_opening_the_login_page_goes_to_their_entry(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    response = client.get(reverse("portal:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:enterprise")


def test_logging_out_takes_a_post_only(client: Client, cast: Cast) -> None:
    client.force_login(cast.citizen)
    assert client.get(reverse("portal:logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("portal:logout"), follow=True)
    assert response.redirect_chain == [(reverse("portal:home"), 302)]
    assert "您已安全退出。" in response.content.decode()
    assert "_auth_user_id" not in client.session
