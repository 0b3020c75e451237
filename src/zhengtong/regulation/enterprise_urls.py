"""Pages of the enterprise's own view and of credit repair, included by regulation/urls.py."""

from django.urls import URLPattern, URLResolver, path

from zhengtong.regulation import enterprise_views, repair_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("my/", enterprise_views.my_credit, name="my_credit"),
    path("my/repair/<id:record_id>/", enterprise_views.my_repair_new, name="my_repair_new"),
    path(
        "my/repairs/<id:pk>/withdraw/",
        enterprise_views.my_repair_withdraw,
        name="my_repair_withdraw",
    ),
    path("repairs/", repair_views.repairs, name="repairs"),
    path("repairs/<id:pk>/decide/", repair_views.decide_repair, name="repair_decide"),
]
