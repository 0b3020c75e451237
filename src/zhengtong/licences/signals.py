"""What the licences app announces to the apps built on it.

``licence_revoked`` is sent inside the revoking transaction, with
``licence`` (revoked, reason set): a receiver's writes (the holder's notices)
commit with the revocation or not at all. The licences app knows no one to
tell; the apps that hold the holders' message boxes do.
"""

from django.dispatch import Signal

licence_revoked = Signal()
