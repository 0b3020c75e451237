"""Background work of the ledger; the scheduler enqueues ``seal_ledger`` periodically."""

from django_tasks import task

from zhengtong.core.actors import Actor
from zhengtong.ledger.actions import do_seal_ledger


@task()
def seal_ledger() -> int:
    """Sign the current tree head; return its tree size."""
    return do_seal_ledger(actor=Actor.system("ledger.seal_ledger")).tree_size
