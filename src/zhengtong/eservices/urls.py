"""Pages of the eservices app."""

from django.urls import URLPattern, URLResolver, path

from zhengtong.eservices import views

app_name = "eservices"
urlpatterns: list[URLPattern | URLResolver] = [
    path("guides/", views.guides, name="guides"),
    path("guides/<str:code>/", views.guide, name="guide"),
]
