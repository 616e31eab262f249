from django.urls import path

from accord.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.dataset_list, name="dataset_list"),
    path("<slug:slug>/", views.dataset_detail, name="dataset_detail"),
    path("<slug:slug>/citations.bib", views.dataset_bibtex, name="dataset_bibtex"),
]
