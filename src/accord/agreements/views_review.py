"""Custodian staff pages: the review queue, an application's detail with server-rendered
page images of the signed scan, the decisions, and email intake. Every object is fetched
through a helper that 404s for other custodians' applications."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accord.access.policy import can_review
from accord.core import clock
from accord.core.decorators import sensitive, staff
from accord.core.errors import DomainError
from accord.core.pages import paginate, refusal
from accord.core.permissions import Permission

from . import intake, selectors, services, signed_pdf, states
from .content import (
    attestation_clauses,
    missing_items,
    policy_fields,
    policy_for,
    policy_member_fields,
)
from .forms import CommentForm, IntakeForm
from .models import Application
from .views import page_image_response

VIEW = Permission.AGREEMENTS_APPLICATION_VIEW
REVIEW = Permission.AGREEMENTS_APPLICATION_REVIEW
INTAKE = Permission.AGREEMENTS_APPLICATION_INTAKE


@staff(VIEW)
def review_queue(request):
    state = request.GET.get("state", Application.State.SUBMITTED)
    if state not in Application.State.values and state != "":
        state = Application.State.SUBMITTED
    age = request.GET.get("age", "")
    dataset = request.GET.get("dataset", "")
    applications = selectors.review_queue(
        request.user,
        dataset=dataset,
        state=state,
        older_than_days=selectors.age_filter_days(age),
    )
    summary = selectors.review_queue_summary(request.user)
    # "All states" would otherwise load every application the custodian ever received.
    page, query = paginate(request, applications, selectors.REVIEW_PAGE_SIZE)
    return render(
        request,
        "agreements/review_queue.html",
        {
            "applications": page,
            "page": page,
            "query": query,
            "datasets": selectors.reviewable_datasets(request.user),
            "states": [(v, lbl) for v, lbl in Application.State.choices if v != "draft"],
            "filters": {"state": state, "age": age, "dataset": dataset},
            # Filters hide rows only when one differs from the default "submitted, any age".
            "filtered": bool(dataset or age or state != Application.State.SUBMITTED),
            "summary": summary,
            "overdue_filter": selectors.OVERDUE,
            "overdue_since": clock.now() - timedelta(days=summary.overdue_days),
            "ages": [
                ("", "any age"),
                ("2", "over 2 days"),
                ("7", "over a week"),
                ("30", "over a month"),
                (
                    selectors.OVERDUE,
                    ngettext(
                        "overdue (over %(days)d day)",
                        "overdue (over %(days)d days)",
                        summary.overdue_days,
                    )
                    % {"days": summary.overdue_days},
                ),
            ],
            "can_intake": bool(_intake_datasets(request.user).exists()),
        },
    )


@staff(VIEW)
def review_detail(request, reference: str):
    application = selectors.application_for_staff(request.user, reference, VIEW)
    policy = policy_for(application.dataset)
    fields = policy_fields(policy)
    attested = set(application.attested_clauses)
    unconfirmed = intake.unconfirmed_items(application)
    return render(
        request,
        "agreements/review_detail.html",
        {
            "application": application,
            "agreement": application.current_agreement(),
            "older_agreements": application.signed_agreements.filter(is_current=False),
            "answers": [(f, application.answers.get(f.key)) for f in fields],
            "clauses": [
                (c, c.code in attested) for c in attestation_clauses(application.license_version)
            ],
            "member_fields": policy_member_fields(policy),
            "history": selectors.history(application),
            "can_review": can_review(request.user, application),
            "actions": states.allowed_actions(application.state, by="reviewer"),
            "comment_form": CommentForm(),
            "policy": policy,
            "unconfirmed": unconfirmed,
            # Said once everything is recorded: until then the list above is what is missing.
            "not_eligible": [] if unconfirmed else missing_items(application, for_submission=False),
        },
    )


def _agreement(application: Application, agreement_id: int):
    agreement = application.signed_agreements.filter(pk=agreement_id).first()
    if agreement is None:
        raise Http404
    return agreement


@staff(VIEW)
def review_page_image(request, reference: str, agreement_id: int, page: int):
    """A page of the signed scan as a PNG rendered on the server at upload time: reviewers
    never open the uploaded PDF itself in their browser."""
    application = selectors.application_for_staff(request.user, reference, VIEW)
    return page_image_response(_agreement(application, agreement_id), page)


def _decision(request, reference: str, decision: services.Decision):
    application = selectors.application_for_staff(request.user, reference, REVIEW)
    form = CommentForm(request.POST)
    if not form.is_valid():  # e.g. a direction override: the comment is emailed to applicants
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("agreements:review_detail", reference)
    try:
        application = services.application_decide(
            application=application,
            actor=request.user,
            decision=decision,
            comment=form.cleaned_data["comment"],
        )
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(
            request,
            _("%(reference)s is now %(state)s.")
            % {
                "reference": application.reference,
                "state": application.get_state_display().lower(),
            },
        )
    return redirect("agreements:review_detail", reference)


@require_POST
@sensitive
@staff(REVIEW)
def review_approve(request, reference: str):
    return _decision(request, reference, "approve")


@require_POST
@sensitive
@staff(REVIEW)
def review_reject(request, reference: str):
    return _decision(request, reference, "reject")


@require_POST
@sensitive
@staff(REVIEW)
def review_return(request, reference: str):
    return _decision(request, reference, "return")


@require_POST
@staff(REVIEW)
def review_intake_record(request, reference: str):
    """Record one item of an emailed application as the signed document shows it."""
    application = selectors.application_for_staff(request.user, reference, REVIEW)
    try:
        intake.intake_record(
            application=application,
            actor=request.user,
            key=request.POST.get("key", ""),
            value=request.POST.get("value", "")[:5000],
        )
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(request, _("Recorded from the signed document."))
    return redirect(f"{reverse('agreements:review_detail', args=[reference])}#to-record")


@require_POST
@staff(REVIEW)
def review_resend_signer_link(request, reference: str):
    application = selectors.application_for_staff(request.user, reference, REVIEW)
    try:
        services.signer_link_resend(application=application, actor=request.user)
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(
            request, f"A new confirmation link was sent to {application.signer_email}."
        )
    return redirect("agreements:review_detail", reference)


def _intake_datasets(user):
    return selectors.datasets_with(user, INTAKE)


@staff(INTAKE)
def review_intake(request):
    form = IntakeForm(
        request.POST or None, request.FILES or None, datasets=_intake_datasets(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            data = signed_pdf.read_upload(form.cleaned_data["file"])
            extracted = intake.extract(data)
            application = intake.application_intake(
                actor=request.user,
                dataset=form.cleaned_data["dataset"],
                details=form.to_details(),
                extracted=extracted,
            )
        except DomainError as exc:
            refusal(request, exc)
        else:
            messages.success(
                request,
                f"Application {application.reference} created and submitted; a confirmation "
                f"link was sent to {application.signer_email}.",
            )
            for note in extracted.notes:
                messages.warning(request, note)
            return redirect("agreements:review_detail", application.reference)
    return render(request, "agreements/review_intake.html", {"form": form})
