"""Pages of the 12345 hotline, mounted at /hotline/."""

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from zhengtong.hotline import citizen_views, staff_views, views

app_name = "hotline"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(pattern_name="hotline:submit"), name="home"),
    # -- citizens (citizen_views.py) --
    path("new/", citizen_views.submit, name="submit"),
    path("track/<str:code>/", citizen_views.track, name="track"),
    path("track/<str:code>/files/<id:pk>/", citizen_views.track_attachment, name="track_file"),
    path("mine/", citizen_views.mine, name="mine"),
    path("mine/<str:number>/", citizen_views.my_case, name="my_case"),
    # -- the 12345 centre and the departments (staff_views.py) --
    path("calls/new/", staff_views.call_new, name="call_new"),
    path("imports/", staff_views.import_new, name="import_new"),
    path("imports/<id:pk>/", staff_views.import_detail, name="import"),
    path("dispatch/", staff_views.dispatch, name="dispatch"),
    path("dispatch/<str:number>/", staff_views.dispatch_case, name="dispatch_case"),
    path("extensions/<id:pk>/", staff_views.decide_extension, name="decide_extension"),
    path("department/", staff_views.worklist, name="worklist"),
    path(
        "department/notifications/read/",
        staff_views.read_notifications,
        name="read_notifications",
    ),
    path("cases/<str:number>/", staff_views.case_detail, name="case"),
    path("cases/<str:number>/urge/", staff_views.urge_case, name="urge_case"),
    path("cases/<str:number>/reply-score/", staff_views.reply_preview, name="reply_preview"),
    path("cases/<str:number>/files/<id:pk>/", staff_views.case_attachment, name="case_file"),
    # -- routing administration and the leaders' view (views.py) --
    path("models/", views.models, name="models"),
    path("models/<id:number>/", views.model_report, name="model"),
    path("models/<id:number>/activate/", views.activate_model, name="activate_model"),
    path("overview/", views.overview, name="overview"),
    path("overview/alerts/<id:pk>/acknowledge/", views.acknowledge_alert, name="acknowledge_alert"),
]
