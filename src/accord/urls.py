"""Every URL of Accord. Each app owns its urls module; tests/test_url_permissions.py holds
the declared rule for every route (default deny)."""

from django.contrib import admin
from django.urls import include, path

from accord.api.main import api
from accord.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("datasets/", include("accord.catalog.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
