from django.urls import path

from accord.downloads import views

app_name = "downloads"
urlpatterns = [
    path("variants/<slug:slug>/", views.variant_files, name="variant_files"),
    path("variants/<slug:slug>/manifest.json", views.variant_manifest, name="variant_manifest"),
    path(
        "variants/<slug:slug>/documents/<str:name>",
        views.variant_document,
        name="variant_document",
    ),
    path("files/<int:file_id>/download", views.file_download, name="file_download"),
    path("d/<str:secret>/", views.serve, name="serve"),
    # Mirrors /.well-known/accord-signing-key (mounted at the root by accord/urls.py).
    path("signing-key", views.signing_key, name="signing_key"),
]
