from django.urls import URLPattern, URLResolver, path

from zhengtong.catalog import views

app_name = "catalog"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.browse, name="browse"),
    path("negative-list/", views.negative, name="negative_list"),
    path("negative-list/<str:slug>/review/", views.negative_review, name="negative_review"),
    path("mine/", views.workbench, name="workbench"),
    path("new/", views.edit, name="create"),
    path("upload/", views.upload, name="upload"),
    path("export.xlsx", views.export, name="export"),
    path("resource/<str:slug>/", views.detail, name="detail"),
    path("resource/<str:slug>/edit/", views.edit, name="edit"),
    path("resource/<str:slug>/revision/", views.revision, name="revision"),
    path("resource/<str:slug>/revision/<str:step>/", views.revision_step, name="revision_step"),
    path("resource/<str:slug>/<str:step>/", views.step, name="step"),
]
