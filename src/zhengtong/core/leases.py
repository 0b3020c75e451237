"""Leases on background work, so that what a killed worker left is taken up again, once.

A queued task's row (an import, a training run) is claimed by the worker that
runs it: the row moves to its running state with a heartbeat, which the worker
renews as it reports progress. A worker that dies (killed, out of memory, the
machine restarted) stops renewing; once the lease (``WORK_LEASE_S``) has run
out, a periodic job puts the row back to waiting and queues its task again,
and the next worker claims it. Claiming is one conditional UPDATE, so two
workers handed the same row never both run it.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

# No condition beyond waiting (``Q()`` joins as nothing).
ANY = Q()


@dataclass(frozen=True)
class LeasedWork:
    """Rows of ``model`` (with ``state`` and ``heartbeat_at``) worked on by one worker at a time."""

    model: type[Model]
    waiting: str
    running: str

    def _lost(self, now: dt.datetime) -> Q:
        # A row without a heartbeat was left by a worker of before the leases.
        lease = dt.timedelta(seconds=settings.WORK_LEASE_S)
        return Q(heartbeat_at__lt=now - lease) | Q(heartbeat_at=None)

    def _free(self, now: dt.datetime, ready: Q) -> Q:
        # Waiting (and ``ready``, when more than waiting is asked), or running
        # with its lease out.
        return (Q(state=self.waiting) & ready) | (Q(state=self.running) & self._lost(now))

    def claimable(self, *, ready: Q = ANY) -> QuerySet[Model]:
        """Rows a worker may claim now: waiting and ``ready``, or running with the lease out."""
        return self.model._default_manager.filter(self._free(timezone.now(), ready))

    def claim(self, pk: int, *, ready: Q = ANY) -> bool:
        """Take the row for this worker: True if it was waiting (and ``ready``) or lost."""
        now = timezone.now()
        rows = self.model._default_manager.filter(Q(pk=pk) & self._free(now, ready))
        return rows.update(state=self.running, heartbeat_at=now) == 1

    def renew(self, pk: int, **progress: Any) -> None:
        """Tell the others this worker is alive, saving its ``progress`` columns with it."""
        self.model._default_manager.filter(pk=pk).update(heartbeat_at=timezone.now(), **progress)

    def interrupted(self) -> QuerySet[Model]:
        """Rows waiting or running whose heartbeat is older than the lease: their task may be lost.

        A waiting row's heartbeat is set when it is queued (and again by
        ``requeue``), so a task still in a busy queue is queued again at most
        once a lease; the claim makes the extra task a no-op.
        """
        states = Q(state__in=(self.waiting, self.running))
        return self.model._default_manager.filter(states & self._lost(timezone.now()))

    def requeue(self, pks: Sequence[int]) -> None:
        """Put rows whose lease ran out back to waiting, for the task queued for them anew."""
        self.model._default_manager.filter(pk__in=pks).update(
            state=self.waiting, heartbeat_at=timezone.now()
        )
