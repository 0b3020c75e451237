from django.urls import path

from zhengtong.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.log_in, name="login"),
    # Pages that are not the portal's (the API docs, the admin) make browsers ask here.
    path("favicon.ico", views.favicon),
    path("logout/", views.log_out, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.change_password, name="change_password"),
    path("citizen/", views.citizen, name="citizen"),
    path("enterprise/", views.enterprise, name="enterprise"),
    path("workbench/", views.workbench, name="workbench"),
    path("developer/", views.developer, name="developer"),
    path("developer/clients/", views.issue_client, name="issue_client"),
    path("developer/clients/<id:client_id>/rotate/", views.rotate_client, name="rotate_client"),
    path("developer/clients/<id:client_id>/revoke/", views.revoke_client, name="revoke_client"),
]
