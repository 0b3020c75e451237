import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

from zhengtong.core.errors import NotAuthenticated, Throttled
from zhengtong.core.testing import TEST_ACTOR, make_person
from zhengtong.identity.actions import client_ip, do_create_citizen, do_log_in, do_log_out
from zhengtong.identity.models import LoginFailure, User
from zhengtong.identity.tests.cast import PASSWORD, Cast
from zhengtong.identity.tests.ledger_spy import spy_on_ledger
from zhengtong.settings import base

LIMIT = 3


def request_from(ip: str = "203.0.113.7", forwarded_for: str = "") -> HttpRequest:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    request = RequestFactory().post("/login/", REMOTE_ADDR=ip, headers=headers)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = AnonymousUser()
    return request


def fail(username: str, ip: str = "203.0.113.7") -> None:
    with pytest.raises(NotAuthenticated):
        do_log_in(request_from(ip), username, "wrong-password-123")


@pytest.fixture(autouse=True)
def small_limit(settings: object) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = LIMIT  # type: ignore[attr-defined]
    settings.LOGIN_THROTTLE_WINDOW_S = 600  # type: ignore[attr-defined]


def test_it_logs_a_user_in_and_records_it(cast: Cast) -> None:
    request = request_from()
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        user = do_log_in(request, "zhangsan", PASSWORD)
    assert user == cast.zhangsan
    assert request.session["_auth_user_id"] == str(cast.zhangsan.pk)
    assert spy.actions() == ["identity.log_in"]
    entry = spy.new_entries()[0]
    assert entry.actor_ref == f"user:{cast.zhangsan.pk}"
    assert PASSWORD not in str(spy.calls[0]["data"])


def test_a_wrong_password_is_refused_and_the_failure_is_kept(cast: Cast) -> None:
    with (
        pytest.MonkeyPatch.context() as mp,
        spy_on_ledger(mp) as spy,
        pytest.raises(NotAuthenticated) as refused,
    ):
        do_log_in(request_from("198.51.100.9"), "zhangsan", "wrong-password-123")
    assert refused.value.code == "bad_credentials"
    # Committed before the refusal was raised, so the failure survives it.
    assert list(LoginFailure.objects.values_list("username", "ip_address")) == [
        ("zhangsan", "198.51.100.9")
    ]
    assert spy.actions() == ["identity.refuse_log_in"]
    assert spy.new_entries()[0].actor_ref == "system:anonymous"
    assert "wrong-password-123" not in str(spy.calls[0]["data"])


def test_an_unknown_user_is_refused_like_a_wrong_password(cast: Cast) -> None:
    with pytest.raises(NotAuthenticated) as refused:
        do_log_in(request_from(), "nobody", PASSWORD)
    assert refused.value.code == "bad_credentials"
    assert LoginFailure.objects.filter(username="nobody").count() == 1


def test_a_deactivated_user_cannot_log_in(cast: Cast) -> None:
    User.objects.filter(pk=cast.zhangsan.pk).update(is_active=False)
    with pytest.raises(NotAuthenticated):
        do_log_in(request_from(), "zhangsan", PASSWORD)


def test_it_throttles_an_account_after_too_many_failures_from_anywhere(cast: Cast) -> None:
    for n in range(LIMIT):
        fail("zhangsan", ip=f"198.51.100.{n + 1}")
    with (
        pytest.MonkeyPatch.context() as mp,
        spy_on_ledger(mp) as spy,
        pytest.raises(Throttled) as refused,
    ):
        # Even the right password from a fresh address is not checked.
        do_log_in(request_from("192.0.2.200"), "zhangsan", PASSWORD)
    assert refused.value.code == "too_many_attempts"
    assert refused.value.status == 429
    assert 0 < refused.value.detail["retry_after"] <= 601
    assert spy.actions() == []
    # Other accounts are not affected.
    assert do_log_in(request_from("192.0.2.200"), "lisi", PASSWORD) == cast.lisi


def test_it_throttles_an_address_that_tries_many_accounts(cast: Cast) -> None:
    for username in ("zhangsan", "lisi", "wangwu"):
        fail(username, ip="198.51.100.66")
    with pytest.raises(Throttled) as refused:
        do_log_in(request_from("198.51.100.66"), "zhaoliu", PASSWORD)
    assert refused.value.code == "too_many_attempts"
    # The same account from another address is fine.
    assert do_log_in(request_from("198.51.100.67"), "zhaoliu", PASSWORD) == cast.leader


def test_a_throttled_attempt_is_not_counted_again(cast: Cast) -> None:
    for _attempt in range(LIMIT):
        fail("zhangsan")
    with pytest.raises(Throttled):
        do_log_in(request_from(), "zhangsan", "wrong-password-123")
    assert LoginFailure.objects.count() == LIMIT


def test_failures_outside_the_window_do_not_count(cast: Cast) -> None:
    for _attempt in range(LIMIT):
        fail("zhangsan")
    LoginFailure.objects.update(at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert do_log_in(request_from(), "zhangsan", PASSWORD) == cast.zhangsan


def test_a_success_clears_the_account_failures(cast: Cast) -> None:
    for _attempt in range(LIMIT - 1):
        fail("zhangsan")
    do_log_in(request_from("192.0.2.1"), "zhangsan", PASSWORD)
    assert not LoginFailure.objects.filter(username="zhangsan").exists()
    # A full allowance again: LIMIT - 1 new failures do not throttle.
    for _attempt in range(LIMIT - 1):
        fail("zhangsan", ip="192.0.2.2")
    assert do_log_in(request_from("192.0.2.3"), "zhangsan", PASSWORD) == cast.zhangsan


def test_it_logs_out_and_records_it(cast: Cast) -> None:
    request = request_from()
    do_log_in(request, "zhangsan", PASSWORD)
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        do_log_out(request)
    assert "_auth_user_id" not in request.session
    assert isinstance(request.user, AnonymousUser)
    assert spy.actions() == ["identity.log_out"]


def test_logging_out_nobody_records_nothing(db: None) -> None:
    with pytest.MonkeyPatch.context() as mp, spy_on_ledger(mp) as spy:
        do_log_out(request_from())
    assert spy.actions() == []


def test_the_client_address_comes_from_the_trusted_proxy_header_when_configured(
    settings: object,
) -> None:
    request = request_from("127.0.0.1", forwarded_for="10.9.9.9, 198.51.100.23")
    assert client_ip(request) == "127.0.0.1"
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"  # type: ignore[attr-defined]
    # The last entry is the one the proxy appended; earlier ones are the client's say-so.
    assert client_ip(request) == "198.51.100.23"
    assert client_ip(request_from("127.0.0.1", forwarded_for="junk")) == "0.0.0.0"  # noqa: S104


def test_production_hashes_passwords_with_argon2(db: None) -> None:
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        user = do_create_citizen("argon", PASSWORD, make_person("韩梅梅"), actor=TEST_ACTOR)
        assert user.password.startswith("argon2")
        assert do_log_in(request_from(), "argon", PASSWORD) == user


def test_a_username_typed_in_full_width_logs_in_on_the_page(cast: Cast, client: Client) -> None:
    # A Chinese input method left in full-width mode types ｚｈａｎｇｓａｎ.
    response = client.post("/login/", {"username": "ｚｈａｎｇｓａｎ", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.zhangsan.pk)


def test_failures_typed_in_full_width_count_against_the_account(cast: Cast) -> None:
    for _attempt in range(LIMIT):
        fail("ｚｈａｎｇｓａｎ", ip="198.51.100.10")
    with pytest.raises(Throttled):
        do_log_in(request_from("192.0.2.10"), "zhangsan", PASSWORD)
