"""Who sent a message, as far as the centre knows: the one rule for "the same person".

Intake merges a person's repeat into their open case and links similar
messages of other people (并单); the hot issues count people, not messages.
Both ask who sent a message, and both ask it here.

A repeat is merged into, and shown the number of, the person's open case, so
the sender must be known, not merely claimed. A signed-in citizen is their
account. A number is the caller's only when the centre registered the message
(a call through the call-centre system or an agent, an import): it comes from
the line the person called on. A number typed on the public form proves
nothing, as anybody can type anybody's, so it neither joins nor is joined by a
case; such messages are linked to similar ones instead, which their senders
never see, and each counts as a voice of its own. An anonymous message has no
known sender.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from zhengtong.hotline.models import Case


@dataclass(frozen=True, slots=True)
class Sender:
    """A person known to have sent a message: their account, or a number the centre registered."""

    citizen_id: int | None = None
    phone: str = ""

    @property
    def key(self) -> str:
        """The sender as a key, for counting people."""
        if self.citizen_id is not None:
            return f"citizen:{self.citizen_id}"
        return f"phone:{self.phone}"

    def cases(self) -> Q:
        """The cases this person is known to have sent: those ``sender_of`` gives them for.

        The filter is ``known_sender`` read backwards, field by field, so the
        two must change together. An anonymous case is stored without its
        account and number (``actions.do_submit_case``), so neither part
        can match one.
        """
        if self.citizen_id is not None:
            return Q(citizen_id=self.citizen_id)
        return Q(contact_phone=self.phone, citizen_id=None) & ~Q(entered_by="")


def known_sender(
    citizen_id: int | None, phone: str, *, entered_by: str, anonymous: bool = False
) -> Sender | None:
    """Return who is known to have sent a message, or None when nobody is."""
    if anonymous:
        return None
    if citizen_id is not None:
        return Sender(citizen_id=citizen_id)
    if phone and entered_by:
        return Sender(phone=phone)
    return None


def sender_of(case: Case) -> Sender | None:
    """Return who is known to have sent the case's message, or None when nobody is."""
    return known_sender(
        case.citizen_id, case.contact_phone, entered_by=case.entered_by, anonymous=case.anonymous
    )
