"""Who may see which applications, tasks and rectifications.

An applicant sees their own applications; staff see those in the queues they
work in (the lane roles of the tasks' departments) and, for ratings, the
submitted ones of departments where they answer bad ratings (a draft is the
applicant's alone). Anyone else gets the same ``NotFound`` as for a number
that does not exist.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from zhengtong.core.errors import NotFound
from zhengtong.core.validators import normalise
from zhengtong.eservices.application_actions import may_handle_task
from zhengtong.eservices.application_selectors import (
    application_by_number,
    is_own_application,
    rectification_by_id,
    staff_may_see,
    task_by_id,
)
from zhengtong.eservices.models import Application, Rectification, WorkTask
from zhengtong.eservices.permissions import RESPOND_RATINGS
from zhengtong.identity.models import Audience, User
from zhengtong.identity.permissions import has_permission

Principal = AbstractBaseUser | AnonymousUser | None


def _user(principal: Principal) -> User:
    if not isinstance(principal, User) or principal.pk is None:
        raise NotFound()
    return principal


def may_see_application(user: User, application: Application) -> bool:
    if is_own_application(user, application):
        return True
    return user.audience == Audience.STAFF and staff_may_see(user, application)


def access_application_by_number(principal: Principal, number: str) -> Application:
    """Find an application the user may see, or answer NotFound for missing and unseen alike."""
    user = _user(principal)
    application = application_by_number(normalise(number))
    if application is None or not may_see_application(user, application):
        raise NotFound()
    return application


def access_own_application_by_number(principal: Principal, number: str) -> Application:
    """Find one of the user's own applications, or NotFound."""
    user = _user(principal)
    application = application_by_number(normalise(number))
    if application is None or not is_own_application(user, application):
        raise NotFound()
    return application


def access_task_by_id(principal: Principal, pk: int) -> WorkTask:
    """Find a task the user may handle (their lane role in its department), or NotFound."""
    user = _user(principal)
    task = task_by_id(pk)
    if task is None or not may_handle_task(user, task):
        raise NotFound()
    return task


def access_rectification_by_id(principal: Principal, pk: int) -> Rectification:
    """Find a rectification of a department where the user answers ratings, or NotFound."""
    user = _user(principal)
    row = rectification_by_id(pk)
    if row is None or not has_permission(user, RESPOND_RATINGS, department=row.department):
        raise NotFound()
    return row
