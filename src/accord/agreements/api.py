"""API endpoints of agreements (mounted by accord.api.routers): every step of the applicant
flow, the signer's confirmation, custodian review and intake (licences and members are
accord.licences.api). Thin: each endpoint fetches through a selector (404 for "not yours") and
calls one service."""

from __future__ import annotations

from typing import Annotated

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from accord.access import policy
from accord.api.auth import require_recent_interactive_sign_in, token_or_session
from accord.api.pagination import PAGES_DOC, link_paginated
from accord.api.problems import ProblemOut
from accord.catalog.models import Dataset
from accord.core.permissions import Permission
from accord.core.validators import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, SingleLine
from accord.licences.models import Licence

from . import intake, selectors, services, signed_pdf
from .content import Details, missing_items
from .documents import agreement_download
from .models import Application, SignedAgreement
from .schemas import (
    AgreementOut,
    ApplicationCreateIn,
    ApplicationIn,
    ApplicationOut,
    CommentIn,
)

router = Router(tags=["agreements"], auth=token_or_session)
# An upload is one non-empty file and the declared fields: the server reads nothing else.
_FILE = {"type": "string", "format": "binary", "minLength": 1}
_FORM_FIELDS_ONLY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {"additionalProperties": False, "properties": {"file": _FILE}}
            }
        }
    }
}
review = Permission.AGREEMENTS_APPLICATION_REVIEW

# The intake's text fields are cleaned by the same rules as the web form (clean_details); the
# schema says so (declared here: a pattern on a Form parameter would make it required).
_INTAKE_FORM = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "additionalProperties": False,
                    "properties": {
                        "file": _FILE,
                        **{
                            name: {"type": "string", "pattern": SINGLE_LINE_PATTERN}
                            for name in (
                                "signer_name",
                                "signer_title",
                                "signer_affiliation",
                                "signer_email",
                            )
                        },
                        **{
                            name: {"type": "string", "pattern": MULTI_LINE_PATTERN}
                            for name in ("signer_address", "purpose")
                        },
                    },
                }
            }
        }
    }
}


def _agreement_out(a: SignedAgreement | None) -> dict | None:
    if a is None:
        return None
    return {
        "id": a.pk,
        "display_name": a.display_name,
        "sha256": a.sha256,
        "size": a.size,
        "pages": a.pages,
        "qr_status": a.qr_status,
        "version_status": a.version_status,
        "scan_status": a.scan_status,
        "scan_detail": a.scan_detail,
        "signature_evidence": a.signature_evidence,
        "signing": a.signing_findings,
        "uploaded_at": a.created,
    }


_COPIED = (
    "signer_name", "signer_title", "signer_affiliation", "signer_email", "signer_address",
    "organisation_type", "purpose", "answers", "attested_clauses", "members", "submitted_at",
    "last_comment",
)  # fmt: skip


def _out(a: Application) -> dict:
    """One application as the API shows it. Reads what selectors prefetched, so a list costs
    a constant number of queries (drafts add their completeness check)."""
    editable = a.state in (Application.State.DRAFT, Application.State.RETURNED)
    try:
        licence = a.licence.reference
    except Licence.DoesNotExist:
        licence = None
    if hasattr(a, "current_agreements"):
        agreement = a.current_agreements[0] if a.current_agreements else None
    else:
        agreement = a.current_agreement()
    return {
        "reference": a.reference,
        "dataset": a.dataset.slug,
        "license_version": a.license_version.version,
        "license_effective_date": a.license_version.effective_date,
        "state": a.state,
        "origin": a.origin,
        "variants": [v.slug for v in a.variants.all()],
        "applicant_email": a.applicant_email,
        **{k: getattr(a, k) for k in _COPIED},
        "signer_confirmed": a.signer_confirmed,
        "missing": missing_items(a, for_submission=True) if editable else [],
        "agreement": _agreement_out(agreement),
        "licence": licence,
        "history": [
            {
                "from_state": t.from_state,
                "to_state": t.to_state,
                "actor": t.actor.email if t.actor else None,
                "comment": t.comment,
                "at": t.created,
            }
            for t in a.transitions.all()
        ],
    }


def _mine(request, reference: str) -> Application:
    return selectors.application_for_user(request.user, reference, applicant_only=True)


@router.get(
    "/applications",
    response=list[ApplicationOut],
    summary="My applications",
    description="Newest first." + PAGES_DOC.format(size=100),
)
@link_paginated(to_out=_out)
def list_applications(request, response: HttpResponse):
    return selectors.with_completeness(selectors.applications_of(request.user))


@router.post(
    "/applications",
    response={201: ApplicationOut, frozenset({404, 409}): ProblemOut},
    summary="Start an application (a draft)",
)
def create_application(request, body: ApplicationCreateIn):
    dataset = get_object_or_404(Dataset, slug=body.dataset, is_published=True)
    application = services.application_create(
        actor=request.user, dataset=dataset, details=body.details()
    )
    return 201, _out(application)


@router.get(
    "/applications/{reference}",
    response={200: ApplicationOut, frozenset({404}): ProblemOut},
    summary="One application",
)
def get_application(request, reference: str):
    return _out(selectors.application_for_user(request.user, reference))


@router.patch(
    "/applications/{reference}",
    response={200: ApplicationOut, frozenset({404, 409}): ProblemOut},
    summary="Change a draft (partial)",
)
def update_application(request, reference: str, body: ApplicationIn):
    application = services.application_update(
        application=_mine(request, reference), actor=request.user, details=body.details()
    )
    return _out(application)


@router.get(
    "/applications/{reference}/agreement.pdf",
    summary="The pre-filled agreement to print and sign",
    openapi_extra={
        "responses": {
            200: {"description": "The PDF", "content": {"application/pdf": {}}},
            404: {"description": "No such application of yours"},
            409: {"description": "The application is not complete yet"},
        }
    },
)
def get_agreement_pdf(request, reference: str):
    from accord.core.errors import Conflict

    application = _mine(request, reference)
    missing = missing_items(application, for_submission=False)
    if missing:
        raise Conflict("Complete the application first: " + " ".join(missing), code="incomplete")
    return agreement_download(application)


@router.post(
    "/applications/{reference}/signed-agreement",
    response={201: AgreementOut, frozenset({403, 404, 409, 422, 503}): ProblemOut},
    openapi_extra=_FORM_FIELDS_ONLY,
    summary="Upload the signed scan (PDF; checked, never trusted)",
)
def upload_signed_agreement(request, reference: str, file: File[UploadedFile]):
    agreement = signed_pdf.application_upload_agreement(
        application=_mine(request, reference), actor=request.user, data=signed_pdf.read_upload(file)
    )
    return 201, _agreement_out(agreement)


@router.post(
    "/applications/{reference}/submit",
    response={200: ApplicationOut, frozenset({404, 409, 422}): ProblemOut},
    summary="Submit",
)
def submit_application(request, reference: str):
    return _out(
        services.application_submit(application=_mine(request, reference), actor=request.user)
    )


@router.post(
    "/applications/{reference}/withdraw",
    response={200: ApplicationOut, frozenset({404, 409}): ProblemOut},
    summary="Withdraw",
)
def withdraw_application(request, reference: str):
    return _out(
        services.application_withdraw(application=_mine(request, reference), actor=request.user)
    )


@router.post(
    "/applications/{reference}/signer-link",
    response={200: ApplicationOut, frozenset({404, 409}): ProblemOut},
    summary="Send the signer a new confirmation link",
)
def resend_signer_link(request, reference: str):
    return _out(
        services.signer_link_resend(application=_mine(request, reference), actor=request.user)
    )


@router.post(
    "/signer-confirmations/{token}",
    response={200: ApplicationOut, frozenset({403, 404, 409}): ProblemOut},
    summary="The signer confirms (token from the emailed link)",
)
def confirm_as_signer(request, token: str):
    return _out(services.signer_confirm(raw_token=token, actor=request.user))


@router.get(
    "/review/applications",
    response=list[ApplicationOut],
    tags=["review"],
    summary="Review queue (your custodians only)",
    description="Oldest submission first." + PAGES_DOC.format(size=100),
)
@link_paginated(to_out=_out)
def review_list(
    request,
    response: HttpResponse,
    dataset: str = "",
    state: str = "submitted",
    # Bounded: a huge value overflowed the date arithmetic (found by schemathesis).
    older_than_days: int | None = Query(None, ge=0, le=36500),
):
    qs = selectors.review_queue(
        request.user, dataset=dataset, state=state, older_than_days=older_than_days
    )
    return selectors.with_completeness(qs)


@router.get(
    "/review/applications/{reference}",
    response={200: ApplicationOut, frozenset({404}): ProblemOut},
    tags=["review"],
    summary="An application to review",
)
def review_get(request, reference: str):
    return _out(
        selectors.application_for_staff(
            request.user, reference, Permission.AGREEMENTS_APPLICATION_VIEW
        )
    )


def _review_action(request, reference: str, decision: services.Decision, comment: str = "") -> dict:
    application = selectors.application_for_staff(request.user, reference, review)
    require_recent_interactive_sign_in(request)
    return _out(
        services.application_decide(
            application=application, actor=request.user, decision=decision, comment=comment
        )
    )


@router.post(
    "/review/applications/{reference}/approve",
    response={200: ApplicationOut, frozenset({403, 404, 409}): ProblemOut},
    tags=["review"],
    summary="Approve: grants the licence (the signer must have confirmed)",
)
def review_approve(request, reference: str):
    return _review_action(request, reference, "approve")


@router.post(
    "/review/applications/{reference}/reject",
    response={200: ApplicationOut, frozenset({403, 404, 409}): ProblemOut},
    tags=["review"],
    summary="Reject (reason required)",
)
def review_reject(request, reference: str, body: CommentIn):
    return _review_action(request, reference, "reject", body.comment)


@router.post(
    "/review/applications/{reference}/return",
    response={200: ApplicationOut, frozenset({403, 404, 409}): ProblemOut},
    tags=["review"],
    summary="Return for changes (comment required)",
)
def review_return(request, reference: str, body: CommentIn):
    return _review_action(request, reference, "return", body.comment)


@router.post(
    "/review/intake",
    response={201: ApplicationOut, frozenset({403, 404, 409, 503}): ProblemOut},
    openapi_extra=_INTAKE_FORM,
    tags=["review"],
    summary="Create an application from an emailed agreement (.pdf, .eml or mbox)",
)
def review_intake(
    request,
    file: File[UploadedFile],
    dataset: Annotated[SingleLine, Form(..., min_length=1)],
    signer_name: Form[str] = "",
    signer_title: Form[str] = "",
    signer_affiliation: Form[str] = "",
    signer_email: Form[str] = "",
    signer_address: Form[str] = "",
    purpose: Form[str] = "",
):
    target = get_object_or_404(Dataset, slug=dataset)
    # Refuse before parsing: only intake staff of the dataset's custodian may make the
    # server read an uploaded PDF or mailbox (application_intake checks again).
    if not policy.can_intake(request.user, target):
        raise Http404
    extracted = intake.extract(signed_pdf.read_upload(file))
    details = Details(
        signer_name=signer_name,
        signer_title=signer_title,
        signer_affiliation=signer_affiliation,
        signer_email=signer_email,
        signer_address=signer_address,
        purpose=purpose,
    )
    application = intake.application_intake(
        actor=request.user, dataset=target, details=details, extracted=extracted
    )
    return 201, _out(application)
