"""Background work of the identity app."""

from django_tasks import task

from zhengtong.core.actors import Actor
from zhengtong.identity.actions import do_purge_login_failures


@task()
def purge_login_failures() -> int:
    """Delete failed log-ins that no longer count for throttling; return how many."""
    return do_purge_login_failures(actor=Actor.system("identity.purge_login_failures"))
