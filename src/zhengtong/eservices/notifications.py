"""Telling applicants and staff what happened: in-app messages; SMS and e-mail behind an interface.

``notify`` is called by actions inside their transaction. The in-app message
is a row written in that transaction. A message for another channel (setting
``ESERVICES_NOTIFIERS``, dotted paths of ``Notifier`` classes) is written in
the same transaction as an ``OutgoingMessage`` and sent after commit by the
``deliver_messages`` task: a rolled-back action sends nothing, and a message
of an action that committed is neither lost when the gateway is down or the
worker dies nor a failure of the action itself. A failed send is tried again
later, waiting longer each time, until ``ESERVICES_NOTIFY_ATTEMPTS`` tries;
delivery is at least once. SMS and e-mail are interface classes that only
log: a deployment replaces them with its gateway's client.
"""

import datetime as dt
import functools
import logging
from typing import Protocol

from django.conf import settings
from django.db import router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from zhengtong.core.i18n import message_of
from zhengtong.core.leases import LeasedWork
from zhengtong.eservices.application_rows import insert_notification
from zhengtong.eservices.models import DeliveryState, OutgoingMessage
from zhengtong.identity.models import User

logger = logging.getLogger(__name__)


class Notifier(Protocol):
    """One channel that carries a message to a user."""

    def send(self, user: User, text: str, link: str) -> None: ...


class InAppNotifier:
    """Writes the message to the user's message box (站内消息)."""

    def send(self, user: User, text: str, link: str) -> None:
        insert_notification(
            user=user.pk,
            text=text[:500],
            message=message_of(text),
            link=link[:300],
            created_at=timezone.now(),
        )


class SmsNotifier:
    """Sends a text message; this one logs that it would (no gateway is configured)."""

    def send(self, user: User, text: str, link: str) -> None:
        logger.info("SMS to user %s not sent: no SMS gateway is configured", user.pk)


class EmailNotifier:
    """Sends an e-mail; this one logs that it would (no mail gateway is configured)."""

    def send(self, user: User, text: str, link: str) -> None:
        logger.info("E-mail to user %s not sent: no mail gateway is configured", user.pk)


IN_APP = "zhengtong.eservices.notifications.InAppNotifier"


def _channels() -> tuple[tuple[str, Notifier], ...]:
    return _channels_for(tuple(getattr(settings, "ESERVICES_NOTIFIERS", [IN_APP])))


@functools.lru_cache(maxsize=8)
def _channels_for(paths: tuple[str, ...]) -> tuple[tuple[str, Notifier], ...]:
    # Channels hold no state; made once per configuration instead of on every message.
    return tuple((path, _channel_at(path)) for path in paths)


@functools.lru_cache(maxsize=16)
def _channel_at(path: str) -> Notifier:
    channel: Notifier = import_string(path)()
    return channel


def notify(user: User, text: str, link: str = "") -> None:
    """Tell a user something through every configured channel; call inside the action."""
    now = timezone.now()
    outgoing = []
    for path, channel in _channels():
        if isinstance(channel, InAppNotifier):
            channel.send(user, text, link)
        else:
            outgoing.append(
                OutgoingMessage(
                    user=user,
                    channel=path,
                    text=text[:500],
                    link=link[:300],
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    if outgoing:
        OutgoingMessage.objects.bulk_create(outgoing)
        _deliver_after_commit()


def _deliver_after_commit() -> None:
    # robust: a queue that cannot take the task must not turn an action that
    # committed into an error; the periodic run sends the messages then.
    transaction.on_commit(
        _enqueue_delivery, using=router.db_for_write(OutgoingMessage), robust=True
    )


def _enqueue_delivery() -> None:
    from zhengtong.eservices.tasks import deliver_messages

    deliver_messages.enqueue()


# The first retry a minute after a failure, then twice as long each time, at
# most six hours apart.
RETRY_FIRST_S = 60
RETRY_LONGEST_S = 6 * 3600
# A copy of a message's text is personal data kept only as long as it serves:
# a sent one for a month (questions about what was sent), one given up for
# three (the operators' look into the gateway). The in-app message stays.
KEEP_SENT = dt.timedelta(days=30)
KEEP_FAILED = dt.timedelta(days=90)
# Taken by one worker at a time; one a killed worker was sending is due again
# once its lease has run out.
DELIVERY = LeasedWork(OutgoingMessage, DeliveryState.PENDING, DeliveryState.SENDING)


def do_deliver_messages(*, limit: int = 500) -> int:
    """Send the outgoing messages that are due; return how many were sent.

    A message is claimed with ``DELIVERY`` (one conditional UPDATE), so two
    workers never send it both; one taken by a worker that died is due again
    once its lease (``WORK_LEASE_S``) has run out. Sent messages are deleted after
    ``KEEP_SENT``, given-up ones after ``KEEP_FAILED``. Delivery is not a
    state change of any application, so it writes no ledger entry: the
    action that wrote the message has one.
    """

    started = timezone.now()
    OutgoingMessage.objects.filter(
        Q(state=DeliveryState.SENT, sent_at__lt=started - KEEP_SENT)
        | Q(state=DeliveryState.FAILED, created_at__lt=started - KEEP_FAILED)
    ).delete()
    waiting = DELIVERY.claimable(ready=Q(next_attempt_at__lte=started))
    sent = 0
    for pk in list(waiting.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]):
        if not DELIVERY.claim(pk, ready=Q(next_attempt_at__lte=timezone.now())):
            continue  # another worker has it, or it was sent meanwhile
        message = OutgoingMessage.objects.select_related("user").get(pk=pk)
        try:
            _channel_at(message.channel).send(message.user, message.text, message.link)
        except Exception as error:  # any failure of the gateway is tried again later
            _record_failure(message, error)
        else:
            OutgoingMessage.objects.filter(pk=pk).update(
                state=DeliveryState.SENT,
                sent_at=timezone.now(),
                attempts=F("attempts") + 1,
                last_error="",
            )
            sent += 1
    return sent


def _record_failure(message: OutgoingMessage, error: Exception) -> None:
    attempts = message.attempts + 1
    reason = f"{type(error).__name__}: {error}"[:300]
    if attempts >= settings.ESERVICES_NOTIFY_ATTEMPTS:
        logger.error(
            "Message %s to user %s by %s given up after %s attempts: %s",
            message.pk,
            message.user_id,
            message.channel,
            attempts,
            reason,
        )
        state, next_attempt_at = DeliveryState.FAILED, message.next_attempt_at
    else:
        logger.warning(
            "Message %s by %s not sent, will retry: %s", message.pk, message.channel, reason
        )
        wait = min(RETRY_FIRST_S * 2 ** (attempts - 1), RETRY_LONGEST_S)
        state, next_attempt_at = DeliveryState.PENDING, timezone.now() + dt.timedelta(seconds=wait)
    OutgoingMessage.objects.filter(pk=message.pk).update(
        state=state, attempts=attempts, last_error=reason, next_attempt_at=next_attempt_at
    )
