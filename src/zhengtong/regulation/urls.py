"""Pages of online monitoring (互联网+监管), mounted at /regulation/."""

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from zhengtong.regulation import credit_urls, enterprise_urls, inspection_urls, views

app_name = "regulation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(pattern_name="regulation:monitoring"), name="home"),
    path("monitoring/", views.monitoring, name="monitoring"),
    path("points/<str:mn>/", views.point_detail, name="point"),
    path("alarms/<id:pk>/acknowledge/", views.acknowledge_alarm, name="acknowledge_alarm"),
    path("alarms/<id:pk>/close/", views.close_alarm, name="close_alarm"),
    *credit_urls.urlpatterns,
    *inspection_urls.urlpatterns,
    *enterprise_urls.urlpatterns,
]
