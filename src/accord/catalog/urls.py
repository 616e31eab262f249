from django.urls import path

from accord.catalog import views, views_files, views_staff, views_terms, views_translations

app_name = "catalog"
urlpatterns = [
    path("", views.dataset_list, name="dataset_list"),
    # Before "<slug>/": "manage" is a reserved slug (services_staff.RESERVED_SLUGS).
    path("manage/", views_staff.catalogue, name="staff_catalogue"),
    path("<slug:slug>/", views.dataset_detail, name="dataset_detail"),
    path("<slug:slug>/citations.bib", views.dataset_bibtex, name="dataset_bibtex"),
    path("<slug:slug>/manage/", views_staff.dataset_edit, name="staff_dataset_edit"),
    path("<slug:slug>/manage/variants/", views_translations.variants, name="staff_variants"),
    path(
        "<slug:slug>/manage/translations/",
        views_translations.terms_translations,
        name="staff_terms_translations",
    ),
    path("<slug:slug>/manage/subjects/", views_staff.subjects, name="staff_subjects"),
    path(
        "<slug:slug>/manage/subjects/withdraw",
        views_staff.subject_withdraw,
        name="staff_subject_withdraw",
    ),
    path(
        "<slug:slug>/manage/subjects/<str:code>/withdrawal/",
        views_files.withdrawal_detail,
        name="staff_withdrawal",
    ),
    path("<slug:slug>/manage/files/", views_files.dataset_files, name="staff_files"),
    path("<slug:slug>/manage/terms/", views_terms.terms, name="staff_terms"),
    path(
        "<slug:slug>/manage/terms/publish",
        views_terms.terms_publish_view,
        name="staff_terms_publish",
    ),
    path(
        "<slug:slug>/manage/publication/",
        views_staff.publication_rules,
        name="staff_publication_rules",
    ),
]
