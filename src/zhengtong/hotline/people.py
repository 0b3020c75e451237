"""Who did something, as the hotline's pages name them.

Histories, registrations and model versions store the actor's label as it was
written: a person's name, a login name (``entered_by``), or the name of the
command or task that acted. Staff read a person's name and a translated label
for the platform's own work, never a login or a code name.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.core.errors import InvalidInput
from zhengtong.hotline.actions import checked_contact_phone
from zhengtong.hotline.states import Channel
from zhengtong.identity.models import User

# The labels of the platform's own actors, and of nobody signed in.
_SYSTEM_NAMES: dict[str, Promise] = {
    "anonymous": _("市民"),
    "hotline_train": _("命令行训练"),
    "hotline.train_classifier": _("后台训练"),
    "hotline.import_cases": _("批量导入"),
    "hotline.urge_overdue_cases": _("平台自动催办"),
    "load_demo": _("演示数据"),
    "demo": _("演示数据"),
}
_CITIZEN_BY_CHANNEL: dict[str, Promise] = {
    Channel.WEB: _("市民（网站）"),
    Channel.APP: _("市民（App）"),
}
# Other dotted task names ("hotline.routing") are the platform acting by itself.
_SYSTEM_ACTOR = re.compile(r"[a-z_]+(\.[a-z_]+)+")


def actor_name(label: str, *, channel: str = "") -> str:
    """Return how to name a stored actor label: the person, or what the platform did.

    ``channel`` names where a message came from, for a citizen who was not
    signed in (市民（网站）).
    """
    if label == "anonymous" and channel in _CITIZEN_BY_CHANNEL:
        return str(_CITIZEN_BY_CHANNEL[channel])
    known = _SYSTEM_NAMES.get(label)
    if known is not None:
        return str(known)
    if _SYSTEM_ACTOR.fullmatch(label):
        return str(_("平台自动"))
    return label


def entered_by_name(entered_by: str) -> str:
    """Return who registered a message: the staff member's name for their login name."""
    if not entered_by:
        return ""
    known = _SYSTEM_NAMES.get(entered_by)
    if known is not None:
        return str(known)
    user = User.objects.filter(username=entered_by).only("display_name").first()
    if user is not None and user.display_name:
        return user.display_name
    # A call-centre system registers under its own name, which is shown as it is.
    return entered_by


def account_phone(user: User | None) -> str:
    """Return the account's number as the callback dials it, or "" when none can be dialled.

    A citizen's or enterprise user's message names its sender's account, and
    the account's number is the contact when the message gives none, on the
    我要反映 page as through the API (the app), so that the centre can call
    them back either way. The number was checked loosely when the person
    was registered ("+86 138 1234 5678", a service number): one a callback
    cannot dial is not used, and the account itself is then the way back to
    the citizen, rather than the message refused for a number never typed.
    """
    person = getattr(user, "person", None) if user is not None else None
    phone = str(getattr(person, "phone", "") or "")
    try:
        return checked_contact_phone(phone, anonymous=False, has_account=True, channel=Channel.WEB)
    except InvalidInput:
        return ""


def account_name(user: User) -> str:
    """Return the name a message sent with this account gives as its contact."""
    person = getattr(user, "person", None)
    return str(getattr(person, "name", "") or user.display_name or user.username)
