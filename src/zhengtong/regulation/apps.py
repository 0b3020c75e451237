from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegulationConfig(AppConfig):
    name = "zhengtong.regulation"
    label = "regulation"
    verbose_name = _("互联网+监管")
