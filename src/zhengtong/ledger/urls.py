from django.urls import URLPattern, URLResolver, path

from zhengtong.ledger import views

app_name = "ledger"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.entries, name="entries"),
]
