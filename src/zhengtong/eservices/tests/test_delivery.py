"""送达: the step after the decision hands the licence over; it cannot close the case otherwise."""

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices.actions import do_create_service_item, do_publish_service_item
from zhengtong.eservices.demo import HYGIENE
from zhengtong.eservices.models import Application, WorkTask
from zhengtong.eservices.tests.test_applications_cast import (
    PASSWORD,
    ApplicationsCast,
    cast,
    logged_in,
    pdf,
    promise_day,
)
from zhengtong.eservices.tests.test_applications_flow import URL, _ok, do_step
from zhengtong.identity.actions import do_create_staff

__all__ = ["cast"]


def _decided(cast: ApplicationsCast) -> str:
    """A 公共场所卫生许可 granted by the health commission, its licence still to hand over."""
    item = do_publish_service_item(
        do_create_service_item(cast.health, HYGIENE, actor=TEST_ACTOR), actor=TEST_ACTOR
    )
    reviewer = do_create_staff(
        "kongli", PASSWORD, "孔丽", cast.health, ["reviewer"], actor=TEST_ACTOR
    )
    leader = do_create_staff("fanghe", PASSWORD, "方禾", cast.health, ["leader"], actor=TEST_ACTOR)
    applicant = logged_in(cast.applicant)
    form = {"place_type": "宾馆", "premises": "五一大道100号", "area": 800, "phone": "13812345678"}
    number = _ok(
        applicant.post(
            f"{URL}/", {"item_code": item.code, "form_data": form}, content_type="application/json"
        ),
        201,
    )["number"]
    for each in item.materials.all():
        if each.requirement == "deferrable":
            _ok(
                applicant.post(
                    f"{URL}/{number}/materials/{each.pk}/promise",
                    {"promised_on": promise_day().isoformat()},
                    content_type="application/json",
                )
            )
        elif each.source == "upload" and each.position > 0:
            _ok(applicant.post(f"{URL}/{number}/materials/{each.pk}", {"file": pdf()}), 201)
    _ok(applicant.post(f"{URL}/{number}/submit"))
    do_step(logged_in(cast.outsider), number)
    do_step(logged_in(reviewer), number)
    do_step(logged_in(leader), number)
    return str(number)


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
