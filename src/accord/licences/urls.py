"""Licence pages. Included by accord.agreements.urls, under its namespace and paths
(``agreements:licence_detail`` at /apply/licences/<ref>/ ...): the addresses people
bookmarked and the emails already sent keep working."""

from django.urls import path

from . import views, views_close, views_closeout, views_renewal, views_terms

urlpatterns = [
    path("licences/<str:reference>/", views.licence_detail, name="licence_detail"),
    path(
        "licences/<str:reference>/members/<int:member_id>/remove",
        views.licence_member_remove,
        name="licence_member_remove",
    ),
    path(
        "licences/<str:reference>/members/<int:member_id>/resend",
        views.licence_member_resend,
        name="licence_member_resend",
    ),
    path(
        "licences/<str:reference>/renew",
        views_renewal.licence_renew_page,
        name="licence_renew",
    ),
    path("licences/<str:reference>/terms", views_terms.licence_terms, name="licence_terms"),
    path("licences/<str:reference>/close", views_close.licence_close, name="licence_close"),
    path("memberships/<int:member_id>/", views.member_accept, name="member_accept"),
    path(
        "attestations/<int:pk>/",
        views_closeout.deletion_attestation,
        name="deletion_attestation",
    ),
    path("review/licences/", views.licence_register, name="licence_register"),
    path(
        "review/licences/<str:licence>/",
        views.licence_staff_detail,
        name="licence_staff_detail",
    ),
    path("review/licences/<str:licence>/revoke", views.licence_revoke, name="licence_revoke"),
    path("review/licences/<str:licence>/suspend", views.licence_suspend, name="licence_suspend"),
    path(
        "review/licences/<str:licence>/reinstate",
        views.licence_reinstate,
        name="licence_reinstate",
    ),
]
