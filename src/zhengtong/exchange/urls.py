"""Pages of the data-sharing exchange, mounted at /exchange/."""

from django.urls import URLPattern, URLResolver

app_name = "exchange"
urlpatterns: list[URLPattern | URLResolver] = [
    # -- applications, grants, dataset uploads, 我的数据使用记录 (views.py) --
    # -- data quality (quality_views.py) --
]
