"""A GovStack apply request and its retry arriving at once are still one application.

Both find no application under the key and both start one; the database's
unique key lets one in, and the other answers with the application the first
started. SQLite serialises every write, so this runs on PostgreSQL only.
"""

import pytest

from zhengtong.core.tests.races import meet_before, require_postgresql, send_twice_at_once
from zhengtong.eservices import application_actions as actions
from zhengtong.eservices.models import Application
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    ApplicationsCast,
    make_cast,
)
from zhengtong.eservices.tests.test_govstack_registration import (
    URL,
    _json,
    _ledger,
    applicant_id,
    logged_in,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cast() -> ApplicationsCast:
    require_postgresql()
    return make_cast()


def test_a_request_and_its_retry_at_once_start_one_application(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each has looked for an application under the key and found none.
    meet_before(monkeypatch, actions, "do_save_draft")
    answers: list[tuple[int, str]] = []
    body = {
        "applicantId": applicant_id(cast.applicant),
        "formData": {"data": MANUAL_FORM, "eFormId": cast.food.code},
    }

    def send() -> None:
        http = logged_in(cast.applicant)
        http.raise_request_exception = False
        response = _json(
            http,
            "post",
            f"{URL}/services/{cast.food.code}/applications?draft=true",
            body,
            headers={"Idempotency-Key": "apply-20261207-0001"},
        )
        answers.append((response.status_code, response.json().get("fileId", "")))

    send_twice_at_once(send)

    application = Application.objects.get()
    assert answers == [(200, application.number), (200, application.number)]
    assert _ledger(application.number) == ["eservices.create_application"]
