"""The GovStack Registration profile's answers to ids and numbers that name nothing."""

from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    ApplicationsCast,
    cast,
)
from zhengtong.eservices.tests.test_govstack_registration import (
    URL,
    _json,
    _ok,
    _refused,
    complete,
    logged_in,
)

__all__ = ["cast"]

# Digits to str.isdigit() but not to int(): superscript two, and one with an ASCII digit.
NOT_NUMBERS = ("²", "1²")


def test_a_task_id_of_non_ascii_digits_is_not_found(cast: ApplicationsCast) -> None:
    number = complete(logged_in(cast.applicant), cast, MANUAL_FORM)["fileId"]
    clerk = logged_in(cast.clerk)
    for task_id in NOT_NUMBERS:
        _refused(clerk.get(f"{URL}/tasks/{task_id}"), 404, "not_found")
        response = _json(clerk, "post", f"{URL}/tasks/{task_id}/complete", {"data": {}})
        _refused(response, 404, "not_found")
    # Ids beyond a 64-bit key are not found either.
    _refused(clerk.get(f"{URL}/tasks/99999999999999999999999"), 404, "not_found")
    # The real task is still there.
    [task] = _ok(clerk.get(f"{URL}/tasks?fileId={number}"))
    assert _ok(clerk.get(f"{URL}/tasks/{task['taskId']}"))["fileId"] == number


def test_list_filters_of_non_ascii_digits_match_nothing(cast: ApplicationsCast) -> None:
    complete(logged_in(cast.applicant), cast, MANUAL_FORM)
    clerk = logged_in(cast.clerk)
    for value in NOT_NUMBERS:
        assert _ok(clerk.get(f"{URL}/tasks", {"mainTaskId": value})) == []
        assert _ok(clerk.get(f"{URL}/tasks", {"assigneeId": value})) == []
        assert _ok(clerk.get(f"{URL}/applications", {"applicantId": value})) == []
    assert _ok(clerk.get(f"{URL}/tasks", {"mainTaskId": "9" * 30})) == []
