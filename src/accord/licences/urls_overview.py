"""The custodian staff overview and the licensee register export, under /staff/."""

from django.urls import path

from . import views_overview

app_name = "overview"

urlpatterns = [
    path("overview/", views_overview.overview, name="dashboard"),
    path("licences.csv", views_overview.register_csv, name="register_csv"),
]
