"""Only the API, so that the core API tests do not depend on the page apps."""

from django.urls import path

from zhengtong.api import api

urlpatterns = [path("api/", api.urls)]
