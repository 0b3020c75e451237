from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "zhengtong.operations"
    label = "operations"
    verbose_name = _("运维")

    def ready(self) -> None:
        from zhengtong.operations import (
            checks,  # noqa: F401  (registers the checks)
            task_watch,  # noqa: F401  (connects the heartbeats)
        )
