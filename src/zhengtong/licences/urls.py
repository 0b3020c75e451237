"""Pages of the licences app, mounted at /licences/."""

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from zhengtong.licences import views

app_name = "licences"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(pattern_name="licences:mine")),
    path("mine/", views.mine, name="mine"),
    path("mine/<str:number>/", views.detail, name="detail"),
    path("mine/<str:number>/print/", views.printable, name="print"),
    path(
        "mine/<str:number>/shares/<int:share_id>/withdraw/",
        views.withdraw_share,
        name="withdraw_share",
    ),
    path("verify/<str:number>/", views.verify, name="verify"),
    path("shared/<str:token>/", views.share, name="share"),
    path("issued/", views.issued, name="issued"),
    path("issued/<str:number>/", views.issued_detail, name="issued_detail"),
]
