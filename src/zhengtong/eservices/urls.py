"""Pages of the eservices app."""

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from zhengtong.eservices import views

app_name = "eservices"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(pattern_name="eservices:guides")),
    path("guides/", views.guides, name="guides"),
    path("guides/<str:code>/", views.guide, name="guide"),
]
