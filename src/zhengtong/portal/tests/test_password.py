"""Changing one's own password from 我的资料: proof of the current one, the rules, the ledger."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from zhengtong.identity.models import LoginFailure, User
from zhengtong.ledger.models import LedgerEntry
from zhengtong.portal.tests.cast import PASSWORD, Cast
from zhengtong.portal.tests.test_login import log_in

NEW = "Another-Passphrase-2026"
URL = "/profile/password/"


def _change(client: Client, current: str, password: str, again: str | None = None) -> str:
    response = client.post(
        URL, {"current": current, "password": password, "again": again or password}
    )
    if response.status_code == 302:
        return response["Location"]
    return response.content.decode()


def test_the_profile_links_to_a_labelled_form(client: Client, cast: Cast) -> None:
    log_in(client, "lisi", PASSWORD)
    assert f'href="{URL}"' in client.get(reverse("portal:profile")).content.decode()
    page = client.get(URL).content.decode()
    assert '<label for="id_current">当前密码</label>' in page
    assert 'autocomplete="new-password"' in page
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Current password" in english and "当前密码" not in english


def test_a_user_changes_their_password_and_stays_logged_in(client: Client, cast: Cast) -> None:
    log_in(client, "lisi", PASSWORD)
    elsewhere = Client()
    log_in(elsewhere, "lisi", PASSWORD)
    assert _change(client, PASSWORD, NEW) == reverse("portal:profile")
    # This browser goes on; the other one is logged out.
    assert client.get(reverse("portal:profile")).status_code == 200
    assert elsewhere.get(reverse("portal:profile")).status_code == 302
    client.post(reverse("portal:logout"))
    assert log_in(client, "lisi", PASSWORD).status_code == 200
    assert log_in(client, "lisi", NEW).status_code == 302
    entry = LedgerEntry.objects.filter(action="identity.change_password").get()
    assert entry.subject_id == str(User.objects.get(username="lisi").pk)


def test_wrong_weak_or_mismatched_passwords_are_refused_in_the_users_words(
    client: Client, cast: Cast
) -> None:
    log_in(client, "lisi", PASSWORD)
    assert "当前密码不正确" in _change(client, "not-it", NEW)
    assert "两次输入的新密码不一致" in _change(client, PASSWORD, NEW, NEW + "x")
    assert "新密码不能与当前密码相同" in _change(client, PASSWORD, PASSWORD)
    weak = _change(client, PASSWORD, "123")
    assert "field-invalid" in weak and 'id="id_password"' in weak
    assert not LedgerEntry.objects.filter(action="identity.change_password").exists()
    assert LedgerEntry.objects.filter(action="identity.refuse_change_password").count() == 1
    english = client.post(
        URL,
        {"current": "not-it", "password": NEW, "again": NEW},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "The current password is incorrect." in english


def test_guessing_the_current_password_locks_the_account_as_log_ins_do(
    client: Client, cast: Cast
) -> None:
    log_in(client, "lisi", PASSWORD)
    for _ in range(settings.LOGIN_THROTTLE_ATTEMPTS):
        _change(client, "guess", NEW)
    assert LoginFailure.objects.filter(username="lisi").count() == (
        settings.LOGIN_THROTTLE_ATTEMPTS
    )
    # Even the right one is refused now, and says why.
    locked = client.post(URL, {"current": PASSWORD, "password": NEW, "again": NEW})
    assert locked.status_code == 429 and "密码错误次数过多" in locked.content.decode()
    assert not User.objects.get(username="lisi").check_password(NEW)


def test_only_a_logged_in_user_has_the_page(client: Client, cast: Cast) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
