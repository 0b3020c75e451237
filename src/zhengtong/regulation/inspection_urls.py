"""Pages of random inspections (双随机、一公开), included by regulation/urls.py."""

from django.urls import URLPattern, URLResolver, path

from zhengtong.regulation import inspection_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("inspections/", views.inspection_tasks, name="inspection_tasks"),
    path("inspections/<str:code>/", views.inspection_task, name="inspection_task"),
    path("inspections/<str:code>/draw/", views.draw_task, name="inspection_draw"),
    path("inspections/<str:code>/cancel/", views.cancel_task, name="inspection_cancel"),
    path(
        "inspections/<str:code>/supplementary/",
        views.announce_supplementary,
        name="inspection_supplementary",
    ),
    path(
        "inspections/<str:code>/supplementary/<int:number>/draw/",
        views.draw_supplementary,
        name="inspection_supplementary_draw",
    ),
    path(
        "inspections/<str:code>/supplementary/<int:number>/cancel/",
        views.cancel_supplementary,
        name="inspection_supplementary_cancel",
    ),
    path("inspection-results/<id:pk>/", views.record_result, name="inspection_result"),
    path("inspectors/", views.inspectors, name="inspectors"),
    path("inspectors/<str:code>/recusals/", views.add_recusal, name="inspector_recusals"),
    path(
        "inspectors/<str:code>/recusals/<id:pk>/remove/",
        views.remove_recusal,
        name="inspector_recusal_remove",
    ),
    path("inspectors/<str:code>/active/", views.set_inspector_active, name="inspector_active"),
    path("public/inspections/", views.public_inspections, name="public_inspections"),
    path("public/inspections/<str:code>/", views.public_inspection, name="public_inspection"),
    path(
        "public/inspections/<str:code>/announcement.json",
        views.public_announcement,
        name="public_inspection_announcement",
    ),
    path(
        "public/inspections/<str:code>/supplementary/<int:number>/announcement.json",
        views.public_supplementary_announcement,
        name="public_supplementary_announcement",
    ),
    path(
        "public/inspections/<str:code>/supplementary/<int:number>/transcript.json",
        views.public_supplementary_transcript,
        name="public_supplementary_transcript",
    ),
    path(
        "public/inspections/<str:code>/transcript.json",
        views.public_transcript,
        name="public_inspection_transcript",
    ),
]
