"""In 并联审批 a special procedure belongs to the department that started it: only it ends it."""

from typing import Any

from zhengtong.eservices.models import Application
from zhengtong.eservices.tests.test_applications_cast import logged_in
from zhengtong.eservices.tests.test_licence_mapping import (
    RESTAURANT_FORM,
    MappingCast,
    cast,
    complete,
    provide,
    tasks_of,
)
from zhengtong.ledger.models import LedgerEntry

__all__ = ["cast"]

URL = "/api/services/applications"


def _in_parallel_review(cast: MappingCast) -> str:
    """A restaurant application accepted by the market and waiting on the parallel lanes."""
    citizen = logged_in(cast.base.citizen)
    made = citizen.post(
        f"{URL}/",
        {"item_code": cast.restaurant.code, "form_data": RESTAURANT_FORM},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content.decode()
    number: str = made.json()["number"]
    provide(citizen, cast.restaurant, number)
    assert citizen.post(f"{URL}/{number}/submit").status_code == 200
    clerk = logged_in(cast.base.clerk)
    (acceptance,) = tasks_of(clerk, number)
    complete(clerk, acceptance, "予以受理")
    assert tasks_of(logged_in(cast.environment_reviewer), number)
    assert tasks_of(logged_in(cast.fire_reviewer), number)
    return number


def _end(user: Any, number: str) -> Any:
    return logged_in(user).post(f"{URL}/{number}/special-procedures/end")


def test_only_the_department_that_started_a_procedure_ends_it(cast: MappingCast) -> None:
    number = _in_parallel_review(cast)
    procedure = cast.restaurant.special_procedures.get(name="现场核查")
    started = logged_in(cast.environment_reviewer).post(
        f"{URL}/{number}/special-procedures",
        {"procedure_id": procedure.pk, "note": "现场核查排污设施"},
        content_type="application/json",
    )
    assert started.status_code == 200, started.content.decode()
    assert LedgerEntry.objects.filter(action="eservices.start_special_procedure").count() == 1

    # The fire brigade works the same application but did not start the procedure.
    refused = _end(cast.fire_reviewer, number)
    assert refused.status_code == 403, refused.content.decode()
    assert refused.json()["code"] == "not_procedure_department"
    assert cast.environment.name in refused.json()["message"]
    application = Application.objects.get(number=number)
    assert application.suspensions.get().ended_at is None
    # Its work page says who ends it instead of offering to.
    (fire_task,) = tasks_of(logged_in(cast.fire_reviewer), number)
    assert fire_task["department_code"] == cast.fire.code
    page = logged_in(cast.fire_reviewer).get(f"/services/work/{fire_task['id']}/")
    text = page.content.decode()
    assert 'id="procedure-elsewhere"' in text and cast.environment.name in text
    assert 'value="end_procedure"' not in text

    ended = _end(cast.environment_reviewer, number)
    assert ended.status_code == 200, ended.content.decode()
    assert Application.objects.get(number=number).suspensions.get().ended_at is not None
