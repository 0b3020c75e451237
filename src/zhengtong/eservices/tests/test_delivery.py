"""送达: the step after the decision hands the licence over; it cannot close the case otherwise."""

from zhengtong.eservices.models import Application, WorkTask
from zhengtong.eservices.tests.test_applications_cast import (
    ApplicationsCast,
    cast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_flow import URL, do_step, hygiene_reviewed

__all__ = ["cast"]


def _decided(cast: ApplicationsCast) -> str:
    """A 公共场所卫生许可 granted by the health commission, its licence still to hand over."""
    case = hygiene_reviewed(cast)
    do_step(logged_in(case.leader), case.number)
    return case.number


def test_a_licence_not_handed_over_does_not_close_the_case_as_granted(
    cast: ApplicationsCast,
) -> None:
    number = _decided(cast)
    window = logged_in(cast.outsider)  # the health commission's window (受理, 送达)
    task = WorkTask.objects.get(application__number=number, completed_at=None)
    assert task.step == "deliver"
    page = window.get(f"/services/work/{task.pk}/").content.decode()
    assert "已送达" in page and 'name="decision-passed" value="0"' not in page

    # Posted anyway, through the page or the API: refused, the task stays open.
    refused = window.post(
        f"/services/work/{task.pk}/",
        {
            "action": "decision",
            "decision-passed": "0",
            "decision-reasons": "电话无人接听",
            "decision-legal_basis": "《行政许可法》第四十四条",
        },
    )
    assert refused.status_code == 400
    api = window.post(
        f"{URL}/tasks/{task.pk}/complete",
        {"passed": False, "reasons": "电话无人接听", "legal_basis": "《行政许可法》第四十四条"},
        content_type="application/json",
    )
    assert api.status_code == 400 and api.json()["code"] == "not_delivered"
    application = Application.objects.get(number=number)
    assert application.state == "accepted" and application.licence is None
    assert WorkTask.objects.get(pk=task.pk).completed_at is None

    # Handed over, the case is granted.
    done = do_step(window, number)
    assert done["state"] == "approved" and done["licence_number"]
