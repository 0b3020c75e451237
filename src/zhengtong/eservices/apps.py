from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EservicesConfig(AppConfig):
    name = "zhengtong.eservices"
    label = "eservices"
    verbose_name = _("一网通办")

    def ready(self) -> None:
        # Holders hear of a revoked licence in the message box where they
        # heard that it was issued.
        from zhengtong.eservices.licence_notices import tell_holders_of_revocation
        from zhengtong.licences.signals import licence_revoked

        licence_revoked.connect(
            tell_holders_of_revocation, dispatch_uid="eservices.tell_holders_of_revocation"
        )
