"""Pages of enterprise credit, included by regulation/urls.py."""

from django.urls import URLPattern, URLResolver, path

from zhengtong.regulation import credit_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("credit/", credit_views.credit_list, name="credit_list"),
    path("credit/scorecard/", credit_views.credit_scorecard, name="credit_scorecard"),
    path("credit/dishonesty-list/", credit_views.dishonesty_list, name="dishonesty_list"),
    path("credit/<str:credit_code>/", credit_views.credit_detail, name="credit_detail"),
    path(
        "credit/<str:credit_code>/records/",
        credit_views.record_credit,
        name="credit_record",
    ),
    path(
        "credit/<str:credit_code>/list/",
        credit_views.list_enterprise,
        name="credit_list_enterprise",
    ),
    path(
        "credit/listings/<id:pk>/remove/",
        credit_views.remove_listing,
        name="credit_remove_listing",
    ),
]
