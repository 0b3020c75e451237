"""Pages of the eservices app."""

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from zhengtong.eservices import applicant_views, views, workbench_views

app_name = "eservices"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(pattern_name="eservices:guides")),
    path("guides/", views.guides, name="guides"),
    path("guides/<str:code>/", views.guide, name="guide"),
    # -- applicants' pages (applicant_views.py) --
    path("apply/", applicant_views.apply, name="apply"),
    path("mine/", applicant_views.my_applications, name="my_applications"),
    path("mine/<str:number>/", applicant_views.application_detail, name="application"),
    path("mine/<str:number>/delete/", applicant_views.delete_draft, name="delete_draft"),
    path("notifications/read/", applicant_views.read_notifications, name="read_notifications"),
    # -- staff workbench (workbench_views.py) --
    path("work/", workbench_views.worklist, name="worklist"),
    path("work/rectifications/", workbench_views.rectifications, name="rectifications"),
    path("work/<id:task_id>/", workbench_views.work_item, name="work_item"),
    path("work/<id:task_id>/claim/", workbench_views.claim, name="claim_task"),
    path("work/<id:task_id>/release/", workbench_views.release, name="release_task"),
    path(
        "work/<id:task_id>/materials/<id:material_id>/",
        workbench_views.material_file,
        name="work_material",
    ),
    path(
        "work/<id:task_id>/materials/<id:material_id>/earlier/<id:version_id>/",
        workbench_views.earlier_material_file,
        name="work_material_earlier",
    ),
]
