from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "zhengtong.identity"
    label = "identity"
    verbose_name = _("用户与权限")

    def ready(self) -> None:
        # Every app may define its own permission codes and API scopes in a
        # ``permissions`` module; importing them all here means an unknown
        # code is an error from the start rather than a silent "no".
        autodiscover_modules("permissions")
