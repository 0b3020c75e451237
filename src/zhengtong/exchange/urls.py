"""Pages of the data-sharing exchange, mounted at /exchange/."""

from django.urls import URLPattern, URLResolver, path

from zhengtong.exchange import quality_views, views

app_name = "exchange"
urlpatterns: list[URLPattern | URLResolver] = [
    # -- applications, grants, dataset uploads, 我的数据使用记录 (views.py) --
    path("resource/<str:slug>/apply/", views.apply, name="apply"),
    path("requests/", views.requests, name="requests"),
    path("applications/<id:pk>/", views.application, name="application"),
    path("applications/<id:pk>/<str:step>/", views.answer, name="answer"),
    path("grants/<id:pk>/revoke/", views.revoke, name="revoke"),
    path("grants/<id:pk>/terms/", views.change_terms, name="change_terms"),
    path("datasets/", views.datasets, name="datasets"),
    path("datasets/<str:slug>/", views.dataset, name="dataset"),
    path("my-data/", views.my_data_uses, name="my_data_uses"),
    path("my-data/<id:seq>/", views.my_data_use, name="my_data_use"),
    # -- data quality (quality_views.py) --
    path("quality/", quality_views.overview, name="quality_overview"),
    path("quality/resource/<str:slug>/", quality_views.panel, name="quality_panel"),
]
