"""Every URL of Accord. Each app owns its urls module; every view declares its access rule
(accord.core.decorators) and tests/test_url_permissions.py proves none is left undeclared."""

from django.contrib import admin
from django.urls import include, path

from accord.api.main import api
from accord.core import views as core_views
from accord.downloads import views as download_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path(
        ".well-known/accord-signing-key", download_views.signing_key, name="well_known_signing_key"
    ),
    path("datasets/", include("accord.catalog.urls")),
    path("apply/", include("accord.agreements.urls")),
    path("access/", include("accord.access.urls")),
    path("downloads/", include("accord.downloads.urls")),
    path("audit/", include("accord.audit.urls")),
    path("publications/", include("accord.publications.urls")),
    path("staff/", include("accord.licences.urls_overview")),
    path("account/", include("accord.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
