"""A revocation the page refuses is shown again as the provider typed it, not thrown away."""

import html

import pytest

from zhengtong.exchange import actions
from zhengtong.exchange.models import Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import Sharing, apply_for_phone, logged_in, make_sharing
from zhengtong.identity.actors import actor_of

# A long reason with a vertical tab pasted in from a document.
REASON = "经复核，该系统调用量与申请用途不符，\x0b暂停授权，待重新申请。" * 10


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _grant(sharing: Sharing) -> Grant:
    return actions.do_grant_application(apply_for_phone(sharing), actor=actor_of(sharing.officer))


def test_a_revocation_refused_on_the_application_page_keeps_the_reason_typed(
    sharing: Sharing,
) -> None:
    grant = _grant(sharing)
    page_url = f"/exchange/applications/{grant.application_id}/"
    refused = logged_in(sharing.officer).post(
        f"/exchange/grants/{grant.pk}/revoke/", {"reason": REASON, "next": page_url}
    )
    assert refused.status_code == 200
    page = html.unescape(refused.content.decode())
    assert "U+000B" in page
    # The reason is back in its field, to be corrected rather than typed again.
    assert REASON[:40] in page and 'name="reason"' in page
    assert f'action="/exchange/grants/{grant.pk}/revoke/"' in page
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_a_revocation_refused_on_the_requests_page_keeps_the_reason_beside_its_grant(
    sharing: Sharing,
) -> None:
    grant = _grant(sharing)
    provider = logged_in(sharing.officer)
    refused = provider.post(f"/exchange/grants/{grant.pk}/revoke/", {"reason": REASON})
    assert refused.status_code == 200
    page = html.unescape(refused.content.decode())
    assert "U+000B" in page
    assert f'id="revoke-reason-{grant.pk}"' in page and REASON[:40] in page
    # Corrected, the same form revokes.
    done = provider.post(
        f"/exchange/grants/{grant.pk}/revoke/", {"reason": REASON.replace("\x0b", "")}
    )
    assert done.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_a_revocation_of_a_grant_ended_meanwhile_shows_the_list_afresh(sharing: Sharing) -> None:
    grant = _grant(sharing)
    provider = logged_in(sharing.officer)
    first = provider.post(f"/exchange/grants/{grant.pk}/revoke/", {"reason": "审批已办结"})
    assert first.status_code == 302
    again = provider.post(f"/exchange/grants/{grant.pk}/revoke/", {"reason": "再次撤销"})
    assert again.status_code == 302 and again["Location"] == "/exchange/requests/"
