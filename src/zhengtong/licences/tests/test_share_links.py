"""Share links are stored: the holder lists and withdraws them, on the page and in the API."""

import datetime as dt
import re
from typing import Any
from unittest import mock

from django.core import signing
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR, make_person
from zhengtong.identity.actions import do_create_enterprise_user
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import EnterpriseRelation, User
from zhengtong.ledger.encoding import canonical_json
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.selectors import tree_state
from zhengtong.licences.actions import do_revoke_licence
from zhengtong.licences.models import Licence, LicenceShare
from zhengtong.licences.sharing import SALT
from zhengtong.licences.tests.cast import (
    PASSWORD,
    LicenceCast,
    issue_food_licence,
    issue_pension_certificate,
)

WITHDRAWN = "分享链接已被持证人撤回"
GONE = "分享链接已失效"


def _text(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    return response.content.decode()


def _logged_in(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def _share(client: Client, licence: Licence, days: int = 7) -> str:
    """Make a link on the licence's page; return its path."""
    response = client.post(reverse("licences:detail", args=[licence.number]), {"days": str(days)})
    match = re.search(
        r'class="licence-share-link" href="http://testserver(/licences/shared/[^"]+)"',
        _text(response),
    )
    assert match, _text(response)
    return match.group(1)


def _withdraw_urls(page: str) -> list[str]:
    return re.findall(r'action="(/licences/mine/[^"]+/shares/\d+/withdraw/)"', page)


def _agent(cast: LicenceCast, **kwargs: Any) -> User:
    return do_create_enterprise_user(
        "zhaojingban",
        PASSWORD,
        make_person("赵经办"),
        cast.shop,
        EnterpriseRelation.AGENT,
        actor=TEST_ACTOR,
        **kwargs,
    )


def test_the_holder_withdraws_a_link_and_its_page_then_shows_nothing_of_the_licence(
    cast: LicenceCast,
) -> None:
    licence = issue_food_licence(cast)
    owner = _logged_in(cast.owner_user)
    page_url = reverse("licences:detail", args=[licence.number])
    link = _share(owner, licence)
    stranger = Client()
    assert stranger.get(link).status_code == 200

    page = _text(owner.get(page_url))
    assert "仍有效的分享链接" in page
    (withdraw,) = _withdraw_urls(page)
    before = LedgerEntry.objects.count()
    response = owner.post(withdraw, follow=True)
    assert response.redirect_chain == [(page_url, 302)]
    text = _text(response)
    assert "已撤回有效期至" in text
    assert "持有该链接的人不能再查看这张证照" in text
    assert _withdraw_urls(text) == [] and "仍有效的分享链接" not in text
    entry = LedgerEntry.objects.order_by("seq")[before:].get()
    assert entry.action == "licences.withdraw_licence_share"

    gone = stranger.get(link)
    shown = _text(gone)
    assert gone.status_code == 410
    assert WITHDRAWN in shown and GONE not in shown
    # Nothing of the licence: not its number, its holder or its content.
    for secret in (licence.number, "湘味小厨", "热食类食品制售", "刘晓梅", "<svg"):
        assert secret not in shown, secret


def test_an_expired_or_forged_link_is_not_said_to_be_withdrawn(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    link = _share(_logged_in(cast.owner_user), licence, days=1)
    stranger = Client()
    forged = _text(stranger.get(link.rstrip("/") + "x/"))
    assert GONE in forged and WITHDRAWN not in forged
    later = timezone.now() + dt.timedelta(days=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        expired = stranger.get(link)
    assert expired.status_code == 410
    assert GONE in _text(expired) and WITHDRAWN not in _text(expired)
    assert licence.number not in _text(expired)


def test_the_ledger_records_the_links_id_and_never_its_token(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    owner = _logged_in(cast.owner_user)
    _share(owner, licence)
    (withdraw,) = _withdraw_urls(
        _text(owner.get(reverse("licences:detail", args=[licence.number])))
    )
    owner.post(withdraw)
    share = LicenceShare.objects.get()
    assert withdraw.endswith(f"/shares/{share.pk}/withdraw/")
    made, withdrawn = LedgerEntry.objects.filter(
        action__in=["licences.share_licence", "licences.withdraw_licence_share"]
    ).order_by("seq")
    # The entries cover exactly these facts: the link's id, not its token.
    recorded = {
        "number": licence.number,
        "share": share.pk,
        "expires_at": share.expires_at.isoformat(),
    }
    digest = tree_state().hasher.digest
    assert bytes(made.data_hash) == digest(canonical_json(recorded))
    assert made.subject_id == withdrawn.subject_id == str(licence.pk)
    assert bytes(withdrawn.data_hash) == digest(
        canonical_json({"number": licence.number, "share": share.pk})
    )


def test_a_link_made_before_links_were_stored_keeps_working_until_it_expires(
    cast: LicenceCast,
) -> None:
    licence = issue_food_licence(cast)
    # A token as the links of before were made: the number and the expiry, signed.
    expires = timezone.now() + dt.timedelta(days=30)
    token = signing.dumps({"n": licence.number, "e": int(expires.timestamp())}, salt=SALT)
    link = reverse("licences:share", args=[token])
    stranger = Client()
    shown = stranger.get(link)
    assert shown.status_code == 200 and "热食类食品制售" in _text(shown)
    later = timezone.now() + dt.timedelta(days=29)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert stranger.get(link).status_code == 200
    after = timezone.now() + dt.timedelta(days=31)
    with mock.patch("django.utils.timezone.now", return_value=after):
        expired = stranger.get(link)
    assert expired.status_code == 410 and GONE in _text(expired)


def test_the_page_lists_only_the_links_that_still_work_with_their_expiry(
    cast: LicenceCast,
) -> None:
    licence = issue_food_licence(cast)
    owner = _logged_in(cast.owner_user)
    _share(owner, licence, days=1)
    _share(owner, licence, days=30)
    page_url = reverse("licences:detail", args=[licence.number])
    page = _text(owner.get(page_url))
    assert len(_withdraw_urls(page)) == 2
    in_30_days = timezone.localtime() + dt.timedelta(days=30)
    assert in_30_days.strftime("%Y-%m-%d") in page
    assert actor_of(cast.owner_user).label in page  # who made them
    later = timezone.now() + dt.timedelta(days=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        owner = _logged_in(cast.owner_user)
        assert len(_withdraw_urls(_text(owner.get(page_url)))) == 1


def test_withdrawing_a_link_twice_says_it_was_already_withdrawn(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    owner = _logged_in(cast.owner_user)
    _share(owner, licence)
    (withdraw,) = _withdraw_urls(
        _text(owner.get(reverse("licences:detail", args=[licence.number])))
    )
    owner.post(withdraw)
    # The same button pressed again, in a tab still showing the link.
    text = _text(owner.post(withdraw, follow=True))
    assert "该分享链接已撤回。" in text
    assert LedgerEntry.objects.filter(action="licences.withdraw_licence_share").count() == 1


def test_only_whoever_may_share_the_licence_may_withdraw_its_links(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    agent = _agent(cast)
    link = _share(_logged_in(agent), licence)
    page_url = reverse("licences:detail", args=[licence.number])
    (withdraw,) = _withdraw_urls(_text(_logged_in(agent).get(page_url)))

    # Another citizen, staff and nobody at all: refused, and the link still works.
    assert _logged_in(cast.other_citizen).post(withdraw).status_code == 404
    assert _logged_in(cast.clerk).post(withdraw).status_code == 403
    anonymous = Client().post(withdraw)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert Client().get(link).status_code == 200
    # A GET withdraws nothing.
    assert _logged_in(agent).get(withdraw).status_code == 405

    # The legal representative withdraws a link the agent made.
    owner = _logged_in(cast.owner_user)
    assert actor_of(agent).label in _text(owner.get(page_url))
    assert owner.post(withdraw).status_code == 302
    assert WITHDRAWN in _text(Client().get(link))


def test_someone_who_no_longer_acts_for_the_enterprise_cannot_withdraw(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    agent = _agent(cast, valid_until=timezone.localdate() + dt.timedelta(days=1))
    link = _share(_logged_in(agent), licence)
    (withdraw,) = _withdraw_urls(
        _text(_logged_in(agent).get(reverse("licences:detail", args=[licence.number])))
    )
    later = timezone.now() + dt.timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert _logged_in(agent).post(withdraw).status_code == 404
        assert Client().get(link).status_code == 200


def test_a_link_of_another_licence_is_not_found_through_this_one(cast: LicenceCast) -> None:
    mine = issue_pension_certificate(cast)
    shop = issue_food_licence(cast)
    owner = _logged_in(cast.owner_user)
    link = _share(owner, shop)
    (withdraw,) = _withdraw_urls(_text(owner.get(reverse("licences:detail", args=[shop.number]))))
    # 张三's own licence in the path, the shop's link's id after it.
    citizen = _logged_in(cast.citizen)
    assert citizen.post(withdraw.replace(shop.number, mine.number)).status_code == 404
    assert Client().get(link).status_code == 200


def test_the_withdraw_button_needs_the_csrf_token(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    _share(_logged_in(cast.owner_user), licence)
    page = _text(_logged_in(cast.owner_user).get(reverse("licences:detail", args=[licence.number])))
    (withdraw,) = _withdraw_urls(page)
    assert 'name="csrfmiddlewaretoken"' in page
    strict = _logged_in(cast.owner_user, enforce_csrf_checks=True)
    assert strict.post(withdraw).status_code == 403
    assert not LedgerEntry.objects.filter(action="licences.withdraw_licence_share").exists()


# --- The API ----------------------------------------------------------------------------


def _api(client: Client, method: str, path: str) -> tuple[int, Any]:
    response = client.generic(method, f"/api/licences{path}")
    return response.status_code, response.json()


def test_the_api_lists_and_withdraws_a_licences_links(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    owner = _logged_in(cast.owner_user)
    link = _share(owner, licence)
    _share(owner, licence, days=30)

    status, shares = _api(owner, "GET", f"/mine/{licence.number}/shares")
    assert status == 200 and len(shares) == 2
    newest, older = shares
    assert newest["created_by"] == actor_of(cast.owner_user).label
    assert newest["withdrawn_at"] is None
    assert newest["expires_at"] > older["expires_at"]
    assert not any("token" in share or "url" in share for share in shares)

    status, withdrawn = _api(owner, "POST", f"/mine/{licence.number}/shares/{older['id']}/withdraw")
    assert status == 200 and withdrawn["withdrawn_at"] is not None
    assert WITHDRAWN in _text(Client().get(link))
    status, shares = _api(owner, "GET", f"/mine/{licence.number}/shares")
    assert [share["id"] for share in shares] == [newest["id"]]

    status, again = _api(owner, "POST", f"/mine/{licence.number}/shares/{older['id']}/withdraw")
    assert status == 409 and again["code"] == "already_withdrawn"


def test_the_api_refuses_to_withdraw_what_is_not_yours_or_no_longer_works(
    cast: LicenceCast,
) -> None:
    shop = issue_food_licence(cast)
    mine = issue_pension_certificate(cast)
    owner = _logged_in(cast.owner_user)
    _share(owner, shop, days=1)
    (share,) = _api(owner, "GET", f"/mine/{shop.number}/shares")[1]
    path = f"/mine/{shop.number}/shares/{share['id']}/withdraw"

    assert _api(Client(), "POST", path)[0] == 401
    citizen = _logged_in(cast.citizen)
    status, body = _api(citizen, "POST", path)
    assert status == 404 and body["code"] == "not_found"
    status, body = _api(citizen, "POST", f"/mine/{mine.number}/shares/{share['id']}/withdraw")
    assert status == 404 and body["code"] == "not_found"
    status, body = _api(citizen, "GET", f"/mine/{shop.number}/shares")
    assert status == 404 and body["code"] == "not_found"
    status, body = _api(owner, "POST", f"/mine/{shop.number}/shares/987654/withdraw")
    assert status == 404 and body["code"] == "not_found"

    later = timezone.now() + dt.timedelta(days=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        owner = _logged_in(cast.owner_user)
        status, body = _api(owner, "POST", path)
        assert _api(owner, "GET", f"/mine/{shop.number}/shares") == (200, [])
    assert status == 409 and body["code"] == "share_expired"
    assert not LedgerEntry.objects.filter(action="licences.withdraw_licence_share").exists()


def _share_by_api(client: Client, number: str, days: Any) -> tuple[int, Any]:
    response = client.post(
        f"/api/licences/mine/{number}/shares", {"days": days}, content_type="application/json"
    )
    return response.status_code, response.json()


def test_the_api_makes_a_link_as_the_page_does(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    owner = _logged_in(cast.owner_user)

    status, made = _share_by_api(owner, licence.number, 30)

    assert status == 201, made
    assert made["url"].startswith("http://testserver/licences/shared/")
    assert licence.number in _text(Client().get(made["url"]))
    status, shares = _api(owner, "GET", f"/mine/{licence.number}/shares")
    assert [share["id"] for share in shares] == [made["id"]]
    assert shares[0]["expires_at"] == made["expires_at"]
    assert LedgerEntry.objects.filter(action="licences.share_licence").count() == 1
    # Refused as the page refuses: another lifetime, a licence not yours, a revoked one.
    status, body = _share_by_api(owner, licence.number, 3)
    assert status == 400 and body["code"] == "invalid_share_days"
    status, body = _share_by_api(_logged_in(cast.citizen), licence.number, 7)
    assert status == 404 and body["code"] == "not_found"
    assert _share_by_api(Client(), licence.number, 7)[0] == 401
    do_revoke_licence(licence, "许可条件已不具备", actor=TEST_ACTOR)
    status, body = _share_by_api(owner, licence.number, 7)
    assert status == 409 and body["code"] == "licence_not_valid"
    assert LedgerEntry.objects.filter(action="licences.share_licence").count() == 1
