from django.contrib import admin
from django.urls import include, path

from zhengtong.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("zhengtong.identity.urls")),
    path("audit/", include("zhengtong.ledger.urls")),
    path("", include("zhengtong.portal.urls")),
]
