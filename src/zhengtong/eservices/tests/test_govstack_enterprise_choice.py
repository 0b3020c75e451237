"""An enterprise's 经办人 acting for several enterprises chooses one in the GovStack apply call.

The specification's one applicant field, ``applicantId``, carries the chosen
enterprise's 统一社会信用代码, as ``credit_code`` does on the native API.
"""

from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import make_credit_code
from zhengtong.eservices.models import Application
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    ApplicationsCast,
    cast,
)
from zhengtong.eservices.tests.test_govstack_registration import (
    NATIVE,
    URL,
    _json,
    _ok,
    _refused,
    applicant_id,
    conforms,
    logged_in,
)
from zhengtong.identity.models import EnterpriseMembership

__all__ = ["cast"]


@pytest.fixture
def agent(cast: ApplicationsCast) -> Client:
    """赵六, who also acts as 经办人 for a second enterprise."""
    EnterpriseMembership.objects.create(
        user=cast.applicant, enterprise=cast.flagged, relation="agent"
    )
    return logged_in(cast.applicant)


def _apply(http: Client, cast: ApplicationsCast, applicant: str) -> Any:
    body = {"applicantId": applicant, "formData": {"data": MANUAL_FORM}}
    return _json(http, "post", f"{URL}/services/{cast.food.code}/applications?draft=true", body)


def test_the_applicant_id_chooses_the_enterprise_applied_for(
    cast: ApplicationsCast, agent: Client
) -> None:
    other = _ok(_apply(agent, cast, cast.flagged.credit_code))
    conforms(other, "applicationFileResponse")
    assert other["applicationData"]["applicationName"] == cast.flagged.name
    own = _ok(_apply(agent, cast, cast.enterprise.credit_code.lower()))
    assert own["applicationData"]["applicationName"] == cast.enterprise.name
    assert {a.applicant_id_number for a in Application.objects.all()} == {
        cast.flagged.credit_code,
        cast.enterprise.credit_code,
    }
    # The application's own credit code names it on PUT too; another's does not.
    url = f"{URL}/applications/{other['fileId']}?draft=true"
    body = {"applicantId": cast.flagged.credit_code, "formData": {"data": MANUAL_FORM}}
    _ok(_json(agent, "put", url, body))
    body["applicantId"] = cast.enterprise.credit_code
    _refused(_json(agent, "put", url, body), 403, "not_own_applicant")


def test_who_acts_for_several_and_does_not_choose_is_asked_to(
    cast: ApplicationsCast, agent: Client
) -> None:
    body = _refused(_apply(agent, cast, applicant_id(cast.applicant)), 400, "enterprise_required")
    assert body["detail"]["field"] == "applicantId"
    assert sorted(body["detail"]["choices"]) == sorted(
        [cast.enterprise.credit_code, cast.flagged.credit_code]
    )
    assert not Application.objects.exists()


def test_an_enterprise_the_user_does_not_act_for_is_refused(
    cast: ApplicationsCast, agent: Client
) -> None:
    stranger = make_credit_code(seq=303)
    body = _refused(_apply(agent, cast, stranger), 403, "enterprise_not_linked")
    assert body["detail"] == {"field": "applicantId"}
    # Nor on the native API, where naming it used to ask to choose again.
    native = _json(
        agent, "post", f"{NATIVE}/", {"item_code": cast.food.code, "credit_code": stranger}
    )
    _refused(native, 403, "enterprise_not_linked")
    # Not a credit code at all: some other account's id.
    _refused(_apply(agent, cast, "42962de0-bdb2-11ed-9397-0242ac120004"), 403, "not_own_applicant")
    assert not Application.objects.exists()


def test_one_enterprise_is_applied_for_by_the_account_or_its_code(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    by_account = _ok(_apply(http, cast, applicant_id(cast.applicant)))
    by_code = _ok(_apply(http, cast, cast.enterprise.credit_code))
    for body in (by_account, by_code):
        assert body["applicationData"]["applicationName"] == cast.enterprise.name
    # A citizen has no enterprise to name.
    citizen = logged_in(cast.citizen)
    _refused(_apply(citizen, cast, cast.enterprise.credit_code), 403, "not_own_applicant")


def _listed(http: Client, applicant: str) -> list[str]:
    return [a["fileId"] for a in _ok(http.get(f"{URL}/applications", {"applicantId": applicant}))]


def test_the_applicant_id_lists_what_was_applied_for_each_enterprise(
    cast: ApplicationsCast, agent: Client
) -> None:
    for_flagged = _ok(_apply(agent, cast, cast.flagged.credit_code))["fileId"]
    for_own = _ok(_apply(agent, cast, cast.enterprise.credit_code))["fileId"]

    assert _listed(agent, cast.flagged.credit_code) == [for_flagged]
    assert _listed(agent, f" {cast.enterprise.credit_code.lower()} ") == [for_own]
    assert sorted(_listed(agent, applicant_id(cast.applicant))) == sorted([for_flagged, for_own])
    assert _listed(agent, make_credit_code(seq=303)) == []
    # The enterprise's own account sees only what it filed, not its agent's drafts.
    assert _listed(logged_in(cast.flagged_applicant), cast.flagged.credit_code) == []
