"""The GovStack Registration profile's answers to ids and numbers that name nothing."""

from zhengtong.core.testing import TEST_ACTOR, make_id_number, make_person
from zhengtong.eservices.models import Application
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    PASSWORD,
    ApplicationsCast,
    cast,
)
from zhengtong.eservices.tests.test_applications_rules import _pension
from zhengtong.eservices.tests.test_govstack_registration import (
    URL,
    _json,
    _ok,
    _refused,
    complete,
    logged_in,
)
from zhengtong.identity.actions import do_create_citizen

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


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def test_a_citizen_names_themself_by_their_id_number_as_they_type_it(
    cast: ApplicationsCast,
) -> None:
    # A 身份证号 whose check character is X, as most phones type it: lower case.
    number = next(n for seq in range(1, 100) if (n := make_id_number(seq=seq)).endswith("X"))
    person = make_person("刘青", id_number=number)
    item = _pension(cast, (person, ""))
    citizen = do_create_citizen("liuqing", PASSWORD, person, actor=TEST_ACTOR)
    http = logged_in(citizen)
    url = f"{URL}/services/{item.code}/applications?draft=true"
    for typed in (number, number.lower(), _full_width(number.lower()), f" {number} "):
        _ok(_json(http, "post", url, {"applicantId": typed}))
    assert Application.objects.filter(applicant_id=citizen.pk).exists()
    # Another person's number is still someone else's name.
    other = make_person("王五").id_number
    _refused(_json(http, "post", url, {"applicantId": other}), 403, "not_own_applicant")


def test_a_citizen_lists_their_applications_by_their_id_number(cast: ApplicationsCast) -> None:
    number = next(n for seq in range(1, 100) if (n := make_id_number(seq=seq)).endswith("X"))
    person = make_person("刘青", id_number=number)
    item = _pension(cast, (person, ""))
    citizen = do_create_citizen("liuqing", PASSWORD, person, actor=TEST_ACTOR)
    http = logged_in(citizen)
    url = f"{URL}/services/{item.code}/applications?draft=true"
    file_id = _ok(_json(http, "post", url, {"applicantId": number}))["fileId"]

    # As POST takes it: typed as it comes, lower case, full width or with spaces.
    for typed in (number, number.lower(), _full_width(number.lower()), f" {number} "):
        listed = _ok(http.get(f"{URL}/applications", {"applicantId": typed}))
        assert [a["fileId"] for a in listed] == [file_id]
    # Another person's number lists nothing of theirs, nor of anyone else's.
    other = make_person("王五").id_number
    assert _ok(http.get(f"{URL}/applications", {"applicantId": other})) == []
    assert _ok(logged_in(cast.citizen).get(f"{URL}/applications", {"applicantId": number})) == []


def test_the_tasks_of_an_application_are_listed_by_its_number_as_typed(
    cast: ApplicationsCast,
) -> None:
    number = complete(logged_in(cast.applicant), cast, MANUAL_FORM)["fileId"]
    clerk = logged_in(cast.clerk)
    assert _ok(clerk.get(f"{URL}/applications/{_full_width(number)}"))["fileId"] == number

    for typed in (number, number.lower(), _full_width(number.lower()), f" {number} "):
        [task] = _ok(clerk.get(f"{URL}/tasks", {"fileId": typed}))
        assert task["fileId"] == number
