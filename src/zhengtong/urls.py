from django.contrib import admin
from django.urls import include, path, re_path, register_converter

from zhengtong.api import api, api_path_not_found
from zhengtong.core.converters import IdConverter

# Before the apps' address lists, which use it, are read.
register_converter(IdConverter, "id")

# Under /api/ Django's own 400 and 500 answer in the API's error shape too.
handler400 = "zhengtong.api.bad_request"
handler500 = "zhengtong.api.server_error"

urlpatterns = [
    path("api/", api.urls),
    # Anything else under /api/ answers in the API's error shape, not as a page.
    re_path(r"^api/(?P<unknown_path>.*)$", api_path_not_found),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("zhengtong.identity.urls")),
    path("audit/", include("zhengtong.ledger.urls")),
    path("catalog/", include("zhengtong.catalog.urls")),
    path("exchange/", include("zhengtong.exchange.urls")),
    path("services/", include("zhengtong.eservices.urls")),
    path("licences/", include("zhengtong.licences.urls")),
    path("hotline/", include("zhengtong.hotline.urls")),
    path("regulation/", include("zhengtong.regulation.urls")),
    path("", include("zhengtong.portal.urls")),
]
