from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicencesConfig(AppConfig):
    name = "zhengtong.licences"
    label = "licences"
    verbose_name = _("电子证照")
