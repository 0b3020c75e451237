"""Telling holders that a licence of theirs was revoked (注销).

The licences app sends ``licence_revoked`` inside the revoking transaction;
the notice goes to the holder's message box (and the configured channels)
through the same ``notify`` as every other message of the one-stop service,
so the holder learns of it where they learn that the licence was issued.
"""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_noop

from zhengtong.core.i18n import stored_text
from zhengtong.eservices.notifications import notify
from zhengtong.identity.selectors import accounts_acting_for
from zhengtong.licences.models import Licence


def tell_holders_of_revocation(sender: type[Licence], *, licence: Licence, **kwargs: Any) -> None:
    """Notify every account of the holder: the person, or the enterprise's current agents."""
    text = stored_text(
        gettext_noop("您的电子证照 %(number)s（%(type)s）已被%(issuer)s注销。原因：%(reason)s"),
        number=licence.number,
        type=licence.signed_type_name,
        issuer=licence.issuer_name,
        reason=licence.revoke_reason,
    )
    link = reverse("licences:detail", args=[licence.number])
    for user in accounts_acting_for(licence.holder_id):
        notify(user, text, link)
