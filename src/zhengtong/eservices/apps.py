from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
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
        # A flush (as between tests) empties the tables after migrating: the
        # process versions known stored are stored no longer.
        post_migrate.connect(
            _forget_stored_process_versions, dispatch_uid="eservices.forget_process_versions"
        )


def _forget_stored_process_versions(**kwargs: Any) -> None:
    from zhengtong.eservices.selectors import forget_stored_process_versions

    forget_stored_process_versions()
