"""Reads of 无条件共享 items without a grant are held to a rate, as every other read is.

The county bureau's system holds no grant on the market bureau's resources;
it may still read their unconditional items, at most
``EXCHANGE_OPEN_RATE_PER_MINUTE`` calls a minute per resource. A system
reading under a grant is held to the grant's rate instead.
"""

from typing import Any

import pytest
from django.test import Client, override_settings

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessLog
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    ENTERPRISES,
    POPULATION,
    Sharing,
    apply_for_phone,
    make_sharing,
)
from zhengtong.identity.actors import actor_of

ENTERPRISE_SLUG = ENTERPRISES.replace("/", "-")
POPULATION_SLUG = POPULATION.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _post(http: Client, slug: str, path: str, body: dict[str, Any]) -> Any:
    return http.post(f"/api/exchange/shared/{slug}/{path}", body, "application/json")


@pytest.mark.usefixtures("one_minute")
@pytest.mark.parametrize("group_commit", [True, False])
def test_reads_of_unconditional_items_without_a_grant_are_held_to_a_rate(
    sharing: Sharing, group_commit: bool
) -> None:
    http = sharing.api(sharing.reader_token)
    found = {"key": sharing.uscc, "purpose": "核对企业名称", "fields": ["name"]}
    # A key with no record counts as well: over the rate, missing and existing
    # keys must answer alike.
    missing = {**found, "key": make_credit_code(seq=4343)}
    person = {"key": sharing.person.id_number, "purpose": "核对姓名", "fields": ["name"]}
    with override_settings(EXCHANGE_OPEN_RATE_PER_MINUTE=2, EXCHANGE_GROUP_COMMIT=group_commit):
        answers = [
            _post(http, ENTERPRISE_SLUG, "look-up", found),
            _post(http, ENTERPRISE_SLUG, "look-up", missing),
            _post(http, ENTERPRISE_SLUG, "look-up", found),
            _post(
                http,
                ENTERPRISE_SLUG,
                "batch-look-up",
                {"keys": [sharing.uscc], "purpose": found["purpose"], "fields": found["fields"]},
            ),
        ]
        # Another resource is counted apart.
        other = _post(http, POPULATION_SLUG, "look-up", person)
    assert answers[0].status_code == 200, answers[0].json()
    assert answers[1].status_code == 404 and answers[1].json()["code"] == "unknown_key"
    for refused in answers[2:]:
        assert refused.status_code == 429, refused.json()
        body = refused.json()
        assert body["code"] == "rate_limited"
        assert body["detail"]["rate_per_minute"] == 2
        assert 1 <= body["detail"]["retry_after"] <= 60
        assert refused["Retry-After"] == str(body["detail"]["retry_after"])
    assert other.status_code == 200, other.json()
    logs = AccessLog.objects.order_by("ledger_seq")
    assert [log.result for log in logs] == [
        "ok",
        "unknown_key",
        "rate_limited",
        "rate_limited",
        "ok",
    ]
    assert all(log.grant_id is None for log in logs)


@pytest.mark.usefixtures("one_minute")
def test_reads_under_a_grant_are_held_to_the_grants_rate_not_the_open_one(
    sharing: Sharing,
) -> None:
    actions.do_grant_application(
        apply_for_phone(sharing), actor=actor_of(sharing.officer), rate_per_minute=3
    )
    http = sharing.api(sharing.reader_token)
    body = {"key": sharing.uscc, "purpose": "核对企业名称", "fields": ["name"]}
    with override_settings(EXCHANGE_OPEN_RATE_PER_MINUTE=1):
        answers = [_post(http, ENTERPRISE_SLUG, "look-up", body) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["detail"]["rate_per_minute"] == 3
