from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "zhengtong.catalog"
    label = "catalog"
    verbose_name = _("政务信息资源目录")
