"""Applicant and signer pages: start and edit an application, download the agreement to sign,
upload the signed scan, submit; the signer's confirmation. Licences and their members are
accord.licences.views."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.access import policy
from accord.catalog.models import Dataset
from accord.core.decorators import signed_in
from accord.core.errors import DomainError
from accord.core.pages import paginate, refusal
from accord.core.storage import protected_storage
from accord.licences import selectors as licence_selectors

from . import selectors, selectors_home, services, signed_pdf, states
from .content import (
    STALE_SCAN_MESSAGE,
    InvalidApplication,
    missing_fields,
    missing_items,
    policy_for,
    policy_member_fields,
    scan_is_stale,
)
from .documents import agreement_download
from .forms import ApplicationForm, UploadForm
from .retention import retention_days
from .timeline import next_step, timeline

MY_PAGE_SIZE = 50


@signed_in
def my_applications(request):
    """The person's applications, licences and memberships, each list with its own pages."""
    user = request.user
    applications, _ = paginate(request, selectors.applications_of(user), MY_PAGE_SIZE)
    licences, _ = paginate(
        request, licence_selectors.licences_signed_by(user), MY_PAGE_SIZE, param="licences_page"
    )
    memberships, _ = paginate(
        request, licence_selectors.memberships_of(user), MY_PAGE_SIZE, param="memberships_page"
    )
    statuses = dict(
        licence_selectors.memberships_of(user).values_list("licence_id", "status")
    )  # one query for every row's next step
    for application in applications:
        application.next_step = next_step(application, for_user=user, memberships=statuses)
    return render(
        request,
        "agreements/my_applications.html",
        {
            "applications": applications,
            "licences": licences,
            "memberships": memberships,
            "signer_requests": selectors_home.signer_requests_for(user),
            "attestations_owed": selectors_home.attestations_owed_by(user),
        },
    )


@signed_in
def application_start(request, slug: str):
    dataset = get_object_or_404(
        Dataset.objects.select_related("custodian"), slug=slug, is_published=True
    )
    form = ApplicationForm(request.POST or None, dataset=dataset)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                actor=request.user, dataset=dataset, details=form.to_details()
            )
        except InvalidApplication as exc:
            form.mark_missing(exc.errors.items())
        except DomainError as exc:
            refusal(request, exc)
        else:
            messages.success(request, f"Draft {application.reference} saved.")
            return redirect("agreements:application_detail", application.reference)
    return render(
        request,
        "agreements/application_form.html",
        {
            "form": form,
            "dataset": dataset,
            "license": dataset.current_license(),
            "retention_days": retention_days(dataset),
        },
    )


@signed_in
def application_detail(request, reference: str):
    application = selectors.application_for_user(request.user, reference)
    is_applicant = policy.is_applicant(request.user, application)
    editable = is_applicant and states.is_editable(application)
    form = None
    if editable:
        form = ApplicationForm(request.POST or None, application=application)
        if request.method == "POST" and form.is_valid():
            try:
                services.application_update(
                    application=application, actor=request.user, details=form.to_details()
                )
            except InvalidApplication as exc:
                form.mark_missing(exc.errors.items())
            except DomainError as exc:
                refusal(request, exc)
            else:
                if not request.POST.get("submit"):
                    messages.success(request, _("Draft saved."))
                    return redirect("agreements:application_detail", reference)
                submitted = _submit_or_mark(request, application, form)
                if submitted:
                    return submitted
        elif request.method == "GET" and request.GET.get("check") in ("pdf", "submit"):
            # Sent back from the agreement download or the submit action: say what is missing.
            for_submission = request.GET["check"] == "submit"
            form.mark_missing(missing_fields(application, for_submission=for_submission))
    missing = missing_items(application, for_submission=False) if editable else []
    agreement = application.current_agreement()
    return render(
        request,
        "agreements/application_detail.html",
        {
            "application": application,
            "retention_days": retention_days(application.dataset),
            "form": form,
            "editable": editable,
            "is_applicant": is_applicant,
            "missing": missing,
            "agreement": agreement,
            "scan_stale": STALE_SCAN_MESSAGE
            if editable and agreement and scan_is_stale(application, agreement)
            else "",
            "upload_form": UploadForm(),
            "timeline": timeline(application),
            "next_step": next_step(application, for_user=request.user) if is_applicant else "",
            "member_fields": policy_member_fields(policy_for(application.dataset)),
        },
    )


def _submit_or_mark(request, application, form):
    """Submit the application; when something is missing, mark each field on ``form`` and
    return None so the page is shown again with what was typed."""
    try:
        services.application_submit(application=application, actor=request.user)
    except InvalidApplication:
        application.refresh_from_db()
        form.mark_missing(missing_fields(application, for_submission=True))
        return None
    except DomainError as exc:
        refusal(request, exc)
        return redirect("agreements:application_detail", application.reference)
    messages.success(
        request,
        _("Application %(reference)s submitted.") % {"reference": application.reference},
    )
    return redirect("agreements:application_detail", application.reference)


def _check_page(reference: str, check: str):
    return redirect(
        reverse("agreements:application_detail", args=[reference]) + f"?check={check}#error-summary"
    )


@signed_in
def application_pdf(request, reference: str):
    application = selectors.application_for_user(request.user, reference, applicant_only=True)
    if missing_items(application, for_submission=False):
        return _check_page(reference, "pdf")
    return agreement_download(application)


@require_POST
@signed_in
def application_upload(request, reference: str):
    application = selectors.application_for_user(request.user, reference, applicant_only=True)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the PDF of the signed agreement to upload."))
        return redirect("agreements:application_detail", reference)
    try:
        data = signed_pdf.read_upload(upload)
        agreement = signed_pdf.application_upload_agreement(
            application=application, actor=request.user, data=data
        )
    except DomainError as exc:
        refusal(request, exc)
    else:
        text = f"Signed agreement uploaded ({agreement.pages} pages)."
        if agreement.needs_attention:
            text += (
                " We could not read the reference QR code on the scan; the reviewer will check "
                "the document by eye."
            )
        messages.success(request, text)
        if agreement.signature_evidence == "none":
            messages.warning(
                request,
                _(
                    "On this scan we found nothing written where the signer signs. If you "
                    "uploaded the agreement before it was signed, upload the signed scan "
                    "instead; otherwise the reviewer will look at the signature by eye."
                ),
            )
    return redirect("agreements:application_detail", reference)


def _applicant_action(request, reference: str, service, success: str):
    """A POST of the applicant's that calls one service on their application; ``success`` is
    formatted with the application (e.g. ``{application.reference}``)."""
    application = selectors.application_for_user(request.user, reference, applicant_only=True)
    try:
        service(application=application, actor=request.user)
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(request, success.format(application=application))
    return redirect("agreements:application_detail", reference)


@require_POST
@signed_in
def application_submit(request, reference: str):
    application = selectors.application_for_user(request.user, reference, applicant_only=True)
    if states.is_editable(application) and missing_items(application, for_submission=True):
        return _check_page(reference, "submit")
    return _applicant_action(
        request,
        reference,
        services.application_submit,
        "Application {application.reference} submitted.",
    )


@require_POST
@signed_in
def application_withdraw(request, reference: str):
    return _applicant_action(
        request,
        reference,
        services.application_withdraw,
        "Application {application.reference} withdrawn.",
    )


@require_POST
@signed_in
def signer_link_resend(request, reference: str):
    return _applicant_action(
        request,
        reference,
        services.signer_link_resend,
        "A new confirmation link was sent to {application.signer_email}.",
    )


@require_POST
@signed_in
def signer_link_to_me(request, reference: str):
    """The named signer asks for the confirmation link again (from their home page)."""
    application = selectors.application_for_named_signer(request.user, reference)
    try:
        services.signer_link_resend(application=application, actor=request.user)
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(
            request,
            _("A new confirmation link was sent to %(email)s.")
            % {"email": application.signer_email},
        )
    return redirect("agreements:my_applications")


def page_image_response(agreement, page: int) -> FileResponse:
    """A page of an uploaded agreement as the PNG rendered on the server at upload time:
    nobody's browser opens the uploaded PDF itself."""
    if not 1 <= page <= len(agreement.page_storage_names):
        raise Http404
    handle = protected_storage().open(agreement.page_storage_names[page - 1], "rb")
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@signed_in
def signer_page_image(request, reference: str, agreement_id: int, page: int):
    """What was uploaded under the signer's name, for the signer's eyes only."""
    application = selectors.application_for_named_signer(request.user, reference)
    agreement = get_object_or_404(application.signed_agreements, pk=agreement_id)
    return page_image_response(agreement, page)


@require_POST
@signed_in
def signer_decline(request, token: str):
    try:
        application = services.signer_decline(
            raw_token=token, actor=request.user, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        refusal(request, exc)
        return redirect("agreements:signer_confirm", token)
    messages.success(
        request,
        _(
            "Application %(reference)s is back with the applicant, with your note; the pages "
            "you declined no longer count as its signed agreement."
        )
        % {"reference": application.reference},
    )
    return redirect("agreements:my_applications")


@signed_in
def signer_confirm(request, token: str):
    try:
        application = services.application_for_signer_token(token)
    except DomainError as exc:
        return render(request, "agreements/signer_confirm.html", {"error": exc.message}, status=404)
    if not services.has_verified_email(request.user, application.signer_email):
        # A forwarded link, or the signer signed in with another account: show neither the
        # application nor the address the link went to.
        return render(request, "agreements/signer_confirm_other.html", status=403)
    if request.method == "POST":
        try:
            services.signer_confirm(raw_token=token, actor=request.user)
        except DomainError as exc:
            refusal(request, exc)
        else:
            messages.success(
                request,
                f"Thank you. You confirmed signing {application.reference}; the custodian "
                "will now review it.",
            )
            return redirect("agreements:application_detail", application.reference)
    return render(
        request,
        "agreements/signer_confirm.html",
        {
            "application": application,
            "member_fields": policy_member_fields(policy_for(application.dataset)),
            "agreement": application.current_agreement(),
            "token": token,
        },
    )
