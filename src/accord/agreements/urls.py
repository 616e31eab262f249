from django.urls import include, path

from . import views, views_review

app_name = "agreements"
urlpatterns = [
    path("", views.my_applications, name="my_applications"),
    path("new/<slug:slug>/", views.application_start, name="application_start"),
    path("confirm/<str:token>/", views.signer_confirm, name="signer_confirm"),
    path("confirm/<str:token>/decline", views.signer_decline, name="signer_decline"),
    path(
        "signer/<str:reference>/pages/<int:agreement_id>/<int:page>.png",
        views.signer_page_image,
        name="signer_page_image",
    ),
    # The licence pages (accord.licences) keep their addresses and names under this namespace.
    path("", include("accord.licences.urls")),
    path("review/", views_review.review_queue, name="review_queue"),
    path("review/intake/", views_review.review_intake, name="review_intake"),
    path("review/<str:reference>/", views_review.review_detail, name="review_detail"),
    path(
        "review/<str:reference>/pages/<int:agreement_id>/<int:page>.png",
        views_review.review_page_image,
        name="review_page_image",
    ),
    path(
        "review/<str:reference>/intake-record",
        views_review.review_intake_record,
        name="review_intake_record",
    ),
    path("review/<str:reference>/approve", views_review.review_approve, name="review_approve"),
    path("review/<str:reference>/reject", views_review.review_reject, name="review_reject"),
    path("review/<str:reference>/return", views_review.review_return, name="review_return"),
    path(
        "review/<str:reference>/resend-signer-link",
        views_review.review_resend_signer_link,
        name="review_resend_signer_link",
    ),
    path("<str:reference>/", views.application_detail, name="application_detail"),
    path("<str:reference>/agreement.pdf", views.application_pdf, name="application_pdf"),
    path("<str:reference>/upload", views.application_upload, name="application_upload"),
    path("<str:reference>/submit", views.application_submit, name="application_submit"),
    path("<str:reference>/withdraw", views.application_withdraw, name="application_withdraw"),
    path(
        "<str:reference>/signer-link-to-me",
        views.signer_link_to_me,
        name="signer_link_to_me",
    ),
    path(
        "<str:reference>/resend-signer-link",
        views.signer_link_resend,
        name="signer_link_resend",
    ),
]
