from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_revoke_client, do_rotate_client_secret
from zhengtong.identity.models import SystemClient, User
from zhengtong.identity.tests.cast import Cast
from zhengtong.ledger.models import LedgerEntry

ME = "/api/identity/me"
CLIENTS = "/api/identity/clients"


def logged_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: Any) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    return response.status_code, body["code"]


def test_me_tells_a_citizen_who_they_are_with_personal_data_masked(cast: Cast) -> None:
    body = logged_in(cast.zhangsan).get(ME).json()
    assert body["kind"] == "user"
    assert body["id"] == str(cast.zhangsan.pk)
    assert body["audience"] == "citizen"
    assert body["roles"] == [{"code": "citizen", "name": "公众"}]
    person = body["person"]
    assert person["name"] == "张*"
    assert person["phone"] == "138****5678"
    assert person["id_number"][:6] == "430102" and "*" in person["id_number"]
    assert cast.zhangsan_person.id_number not in str(body)
    assert body["scopes"] == []


def test_me_tells_a_leader_about_the_region_post(cast: Cast) -> None:
    body = logged_in(cast.leader).get(ME).json()
    assert body["audience"] == "staff"
    assert body["department"]["code"] == "changsha-office"
    assert body["posts"] == [
        {
            "department": body["department"],
            "role": {"code": "leader", "name": "领导"},
            "scope": "region",
            "scope_region_code": "430100",
        }
    ]


def test_me_lists_the_enterprises_an_agent_acts_for(cast: Cast) -> None:
    body = logged_in(cast.agent).get(ME).json()
    assert body["roles"] == [{"code": "enterprise_agent", "name": "企业经办人"}]
    assert [(e["credit_code"], e["relation"]) for e in body["enterprises"]] == [
        (cast.shop.credit_code, "agent")
    ]


def test_me_answers_in_english_when_asked(cast: Cast) -> None:
    body = logged_in(cast.lisi).get(ME, headers={"Accept-Language": "en"}).json()
    assert body["roles"] == [{"code": "clerk", "name": "Service window clerk"}]


def test_me_works_with_a_client_token(cast: Cast) -> None:
    response = Client().get(ME, headers=bearer(cast.client_token))
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "client"
    assert body["id"] == cast.client.key_id
    assert body["label"] == "食品经营许可系统（芙蓉区市场监管局）"
    assert body["department"]["code"] == "furong-amr"
    assert body["scopes"] == ["core.read_registers"]
    assert body["audience"] is None
    assert SystemClient.objects.get(pk=cast.client.pk).last_used_at is not None


def test_me_refuses_an_anonymous_caller(db: None) -> None:
    assert error_of(Client().get(ME)) == (401, "not_authenticated")


@pytest.mark.parametrize(
    "token",
    ["no-dot-at-all", "unknownkey.secret", ".secret", "key."],
)
def test_a_malformed_or_unknown_token_is_refused(cast: Cast, token: str) -> None:
    assert error_of(Client().get(ME, headers=bearer(token))) == (401, "bad_credentials")


def test_a_token_with_a_wrong_secret_is_refused(cast: Cast) -> None:
    token = f"{cast.client.key_id}.{cast.client_secret[:-1]}x"
    assert error_of(Client().get(ME, headers=bearer(token))) == (401, "bad_credentials")


def test_a_rotated_secret_stops_working_at_once(cast: Cast) -> None:
    new_secret = do_rotate_client_secret(cast.client, actor=TEST_ACTOR)
    assert error_of(Client().get(ME, headers=bearer(cast.client_token))) == (401, "bad_credentials")
    fresh = Client().get(ME, headers=bearer(f"{cast.client.key_id}.{new_secret}"))
    assert fresh.status_code == 200


def test_a_revoked_client_is_refused(cast: Cast) -> None:
    do_revoke_client(cast.client, actor=TEST_ACTOR)
    assert error_of(Client().get(ME, headers=bearer(cast.client_token))) == (401, "bad_credentials")


def test_a_presented_bad_token_is_not_excused_by_a_session(cast: Cast) -> None:
    browser = logged_in(cast.lisi)
    assert error_of(browser.get(ME, headers=bearer("unknownkey.secret"))) == (
        401,
        "bad_credentials",
    )


def test_a_secret_still_works_while_the_server_key_is_rotated(cast: Cast, settings: Any) -> None:
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-server-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert Client().get(ME, headers=bearer(cast.client_token)).status_code == 200
    # Re-keyed on that use: the old key can now be dropped.
    settings.SECRET_KEY_FALLBACKS = []
    assert Client().get(ME, headers=bearer(cast.client_token)).status_code == 200


def test_an_administrator_issues_a_client_and_the_token_works(cast: Cast) -> None:
    before = LedgerEntry.objects.count()
    response = logged_in(cast.admin).post(
        CLIENTS,
        {"department_code": "furong-amr", "name": "市场监管执法系统", "scopes": []},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"] == f"{body['client']['key_id']}.{body['secret']}"
    assert body["client"]["department"]["code"] == "furong-amr"
    assert LedgerEntry.objects.count() == before + 1
    me = Client().get(ME, headers=bearer(body["token"])).json()
    assert me["id"] == body["client"]["key_id"]
    # The secret is never shown again.
    listed = logged_in(cast.admin).get(CLIENTS).json()
    assert body["secret"] not in str(listed)


def test_issuing_for_a_department_outside_the_scope_is_refused(cast: Cast) -> None:
    browser = logged_in(cast.admin)
    payload = {"department_code": "tianxin-amr", "name": "系统", "scopes": []}
    response = browser.post(CLIENTS, payload, content_type="application/json")
    assert error_of(response) == (403, "permission_denied")
    payload["department_code"] = "no-such-department"
    response = browser.post(CLIENTS, payload, content_type="application/json")
    assert error_of(response) == (400, "unknown_department")


def test_issuing_with_an_unknown_scope_is_refused(cast: Cast) -> None:
    response = logged_in(cast.admin).post(
        CLIENTS,
        {"department_code": "furong-amr", "name": "系统", "scopes": ["all"]},
        content_type="application/json",
    )
    assert error_of(response) == (400, "unknown_scope")
    assert response.json()["detail"]["unknown"] == ["all"]


def test_a_clerk_may_not_issue_clients(cast: Cast) -> None:
    response = logged_in(cast.lisi).post(
        CLIENTS,
        {"department_code": "furong-amr", "name": "系统", "scopes": []},
        content_type="application/json",
    )
    assert error_of(response) == (403, "permission_denied")


def test_a_client_cannot_manage_clients(cast: Cast) -> None:
    response = Client().get(CLIENTS, headers=bearer(cast.client_token))
    assert error_of(response) == (401, "not_authenticated")


def test_the_list_shows_the_clients_in_scope_only(cast: Cast) -> None:
    assert [c["key_id"] for c in logged_in(cast.admin).get(CLIENTS).json()] == [cast.client.key_id]
    assert logged_in(cast.lisi).get(CLIENTS).json() == []
    assert logged_in(cast.wangwu).get(CLIENTS).json() == []


def test_an_administrator_rotates_a_secret_through_the_api(cast: Cast) -> None:
    response = logged_in(cast.admin).post(f"{CLIENTS}/{cast.client.pk}/rotate")
    assert response.status_code == 200
    body = response.json()
    assert body["client"]["rotated_at"] is not None
    assert error_of(Client().get(ME, headers=bearer(cast.client_token))) == (401, "bad_credentials")
    assert Client().get(ME, headers=bearer(body["token"])).status_code == 200


def test_of_two_rotations_from_the_same_reading_only_the_first_hands_out_a_secret(
    cast: Cast,
) -> None:
    browser = logged_in(cast.admin)
    (listed,) = browser.get(CLIENTS).json()
    seen = listed["rotated_at"] or "never"
    assert seen == "never"
    url = f"{CLIENTS}/{cast.client.pk}/rotate?seen_rotation={seen}"
    first = browser.post(url)
    assert first.status_code == 200
    second = browser.post(url)
    assert error_of(second) == (409, "rotated_meanwhile")
    assert second.json()["detail"]["rotated_at"] is not None
    # The secret handed out is the one that works.
    assert Client().get(ME, headers=bearer(first.json()["token"])).status_code == 200
    # Read again (the API's own spelling of the time), the next rotation goes through.
    again_seen = first.json()["client"]["rotated_at"]
    third = browser.post(
        f"{CLIENTS}/{cast.client.pk}/rotate", query_params={"seen_rotation": again_seen}
    )
    assert third.status_code == 200
    assert error_of(Client().get(ME, headers=bearer(first.json()["token"]))) == (
        401,
        "bad_credentials",
    )
    for bad in ("yesterday", "2026-12-07T09:00:00"):
        refused = browser.post(
            f"{CLIENTS}/{cast.client.pk}/rotate", query_params={"seen_rotation": bad}
        )
        assert error_of(refused) == (400, "invalid_seen_rotation")


def test_the_reading_of_the_last_rotation_may_be_sent_in_the_json_body(cast: Cast) -> None:
    browser = logged_in(cast.admin)
    url = f"{CLIENTS}/{cast.client.pk}/rotate"
    first = browser.post(url, {"seen_rotation": "never"}, "application/json")
    assert first.status_code == 200
    # The same stale reading, in the body, is refused as it is in the query string.
    second = browser.post(url, {"seen_rotation": "never"}, "application/json")
    assert error_of(second) == (409, "rotated_meanwhile")
    assert Client().get(ME, headers=bearer(first.json()["token"])).status_code == 200
    bad = browser.post(url, {"seen_rotation": "yesterday"}, "application/json")
    assert error_of(bad) == (400, "invalid_seen_rotation")
    assert error_of(browser.post(url, "{not json", "application/json")) == (400, "invalid_input")
    assert error_of(browser.post(url, {"seen_rotation": 7}, "application/json"))[1] == (
        "invalid_input"
    )
    seen = first.json()["client"]["rotated_at"]
    third = browser.post(url, {"seen_rotation": seen}, "application/json")
    assert third.status_code == 200
    rotations = LedgerEntry.objects.filter(action="identity.rotate_client_secret")
    assert rotations.count() == 2


def test_a_rotation_without_a_reading_still_rotates_with_or_without_a_body(cast: Cast) -> None:
    browser = logged_in(cast.admin)
    url = f"{CLIENTS}/{cast.client.pk}/rotate"
    assert browser.post(url).status_code == 200
    assert browser.post(url, {}, "application/json").status_code == 200


def test_two_different_readings_in_the_query_and_the_body_are_refused(cast: Cast) -> None:
    browser = logged_in(cast.admin)
    url = f"{CLIENTS}/{cast.client.pk}/rotate"
    first = browser.post(url)
    seen = first.json()["client"]["rotated_at"]
    refused = browser.post(
        url, {"seen_rotation": "never"}, "application/json", query_params={"seen_rotation": seen}
    )
    assert error_of(refused) == (400, "conflicting_seen_rotation")
    assert refused.json()["detail"] == {"field": "seen_rotation"}
    # Nothing rotated: the secret handed out first still works.
    assert Client().get(ME, headers=bearer(first.json()["token"])).status_code == 200
    # The same reading in both places is one reading.
    same = browser.post(
        url, {"seen_rotation": seen}, "application/json", query_params={"seen_rotation": seen}
    )
    assert same.status_code == 200


def test_the_rotation_documents_the_reading_in_the_body_and_its_refusal() -> None:
    from zhengtong.api import api

    operation = api.get_openapi_schema()["paths"]["/api/identity/clients/{client_id}/rotate"][
        "post"
    ]
    assert "conflicting_seen_rotation" in operation["description"]
    assert "JSON body" in operation["description"]
    body = operation["requestBody"]
    assert body.get("required", False) is False
    schema = body["content"]["application/json"]["schema"]
    assert "RotateClientIn" in str(schema)


def test_an_administrator_revokes_a_client_through_the_api(cast: Cast) -> None:
    browser = logged_in(cast.admin)
    response = browser.post(f"{CLIENTS}/{cast.client.pk}/revoke")
    assert response.status_code == 200
    assert response.json()["is_revoked"] is True
    assert error_of(Client().get(ME, headers=bearer(cast.client_token))) == (401, "bad_credentials")
    again = browser.post(f"{CLIENTS}/{cast.client.pk}/revoke")
    assert error_of(again) == (409, "client_revoked")
    assert error_of(browser.post(f"{CLIENTS}/{cast.client.pk}/rotate")) == (
        409,
        "client_revoked",
    )


@pytest.mark.parametrize("operation", ["rotate", "revoke"])
def test_a_client_of_another_department_looks_missing(cast: Cast, operation: str) -> None:
    outsider = logged_in(cast.wangwu)
    forbidden = outsider.post(f"{CLIENTS}/{cast.client.pk}/{operation}")
    missing = outsider.post(f"{CLIENTS}/999999/{operation}")
    assert error_of(forbidden) == error_of(missing) == (404, "not_found")
    assert forbidden.json()["message"] == missing.json()["message"]
    assert SystemClient.objects.get(pk=cast.client.pk).revoked_at is None


def test_session_writes_need_the_csrf_token(cast: Cast) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.admin)
    response = browser.post(f"{CLIENTS}/{cast.client.pk}/revoke")
    assert response.status_code == 403
    assert SystemClient.objects.get(pk=cast.client.pk).revoked_at is None
