"""An enterprise's user leaves a 12345 message (12345 留言) through the API as on the page.

The portal offers enterprises the message form; the API, which the same
people's apps call, takes their messages under their account too, and they
follow and rate them there.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR, make_enterprise, make_person
from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post
from zhengtong.hotline.tests.cast import (
    PASSWORD,
    HotlineCast,
    make_hotline_cast,
    train_active_model,
)
from zhengtong.identity.actions import do_create_enterprise_user
from zhengtong.identity.models import User

COMPLAINT = "芙蓉区五一大道旁边的搅拌站夜间噪音污染严重，影响我店正常经营，希望尽快处理。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


@pytest.fixture
def shopkeeper(cast: HotlineCast) -> User:
    owner = make_person("孙店")
    shop = make_enterprise(legal_representative=owner)
    return do_create_enterprise_user(
        "sundian", PASSWORD, owner, shop, "legal_representative", actor=TEST_ACTOR
    )


def test_an_enterprise_user_submits_and_follows_a_message_through_the_api(
    cast: HotlineCast, shopkeeper: User
) -> None:
    http = as_user(shopkeeper)
    created = ok(post(http, "/cases", {"content": COMPLAINT, "contact_phone": "13900002222"}), 201)
    case = Case.objects.get(number=created["number"])
    assert case.citizen_id == shopkeeper.pk
    assert case.channel == "web"
    assert [c["number"] for c in ok(http.get(f"{URL}/mine"))] == [created["number"]]
    assert ok(http.get(f"{URL}/cases/{created['number']}"))["number"] == created["number"]


def test_an_enterprise_user_cannot_set_the_urgency_or_the_time(
    cast: HotlineCast, shopkeeper: User
) -> None:
    created = ok(
        post(
            as_user(shopkeeper),
            "/cases",
            {
                "content": COMPLAINT,
                "contact_phone": "13900002222",
                "urgency": "critical",
                "received_at": "2026-01-05T09:00:00+08:00",
            },
        ),
        201,
    )
    case = Case.objects.get(number=created["number"])
    assert case.urgency == "normal"
    assert case.received_at > timezone.now() - dt.timedelta(minutes=5)
    assert case.entered_by == ""
