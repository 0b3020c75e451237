"""Telling applicants and staff what happened: in-app messages; SMS and e-mail behind an interface.

``notify`` is called by actions inside their transaction. The in-app message
is a row written in that transaction; other channels (setting
``ESERVICES_NOTIFIERS``, dotted paths of ``Notifier`` classes) are sent after
commit, so a rolled-back action sends nothing. SMS and e-mail are interface
classes that only log: a deployment replaces them with its gateway's client.
"""

import functools
import logging
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from zhengtong.eservices.application_rows import insert_notification
from zhengtong.identity.models import User

logger = logging.getLogger(__name__)


class Notifier(Protocol):
    """One channel that carries a message to a user."""

    def send(self, user: User, text: str, link: str) -> None: ...


class InAppNotifier:
    """Writes the message to the user's message box (站内消息)."""

    def send(self, user: User, text: str, link: str) -> None:
        insert_notification(
            user=user.pk, text=text[:500], link=link[:300], created_at=timezone.now()
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


def _channels() -> tuple[Notifier, ...]:
    return _channels_for(tuple(getattr(settings, "ESERVICES_NOTIFIERS", [IN_APP])))


@functools.lru_cache(maxsize=8)
def _channels_for(paths: tuple[str, ...]) -> tuple[Notifier, ...]:
    # Channels hold no state; made once per configuration instead of on every message.
    return tuple(import_string(path)() for path in paths)


def notify(user: User, text: str, link: str = "") -> None:
    """Tell a user something through every configured channel; call inside the action."""
    for channel in _channels():
        if isinstance(channel, InAppNotifier):
            channel.send(user, text, link)
        else:
            transaction.on_commit(
                lambda channel=channel: channel.send(user, text, link)  # type: ignore[misc]
            )
