"""API endpoints of licences (mounted by accord.api.routers): the signer's licences and their
members, invitations and joining, and the custodian staff's licence register (list, read,
suspend, reinstate, revoke). Thin: each endpoint fetches through a selector (404 for "not
yours") and calls one service.

The paths, tags and operation ids are the ones these endpoints had under accord.agreements.api:
the OpenAPI schema is the contract, and moving code does not change it."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import paginate

from accord.agreements import licence_agreement
from accord.agreements.schemas import MemberIn
from accord.agreements.signed_pdf import read_upload
from accord.api.auth import require_recent_interactive_sign_in, token_or_session
from accord.api.pagination import (
    PAGES_DOC,
    BoundedPageNumberPagination,
    OutputRows,
    link_paginated,
)
from accord.api.problems import ProblemOut
from accord.core.pages_uncounted import IdsFirst
from accord.core.permissions import Permission

from . import expiry, selectors, services, services_terms
from .models import Licence, LicenceMember
from .schemas import (
    AcceptIn,
    InvitationOut,
    LicenceOut,
    MemberOut,
    ReasonIn,
    RegisterFilters,
    StaffLicenceDetailOut,
    StaffLicenceOut,
)

router = Router(tags=["agreements"], auth=token_or_session)
staff_router = Router(tags=["licences (custodian staff)"], auth=token_or_session)
router.add_router("", staff_router)
VIEW = Permission.AGREEMENTS_LICENCE_VIEW
REVOKE = Permission.AGREEMENTS_LICENCE_REVOKE


def _op(name: str) -> str:
    return f"accord_agreements_api_{name}"


def _staff_op(name: str) -> str:
    return f"accord_agreements_api_licences_{name}"


# --- The signer and the members -------------------------------------------------------------


def _pending_terms(licence: Licence) -> dict | None:
    if hasattr(licence, "pending_terms_status"):  # annotated by selectors.with_lifecycle
        if licence.pending_terms_status is None:
            return None
        return {
            "license_version": licence.pending_terms_version,
            "effective_date": licence.pending_terms_effective,
            "status": licence.pending_terms_status,
        }
    change = selectors.open_terms_change(licence)
    if change is None:
        return None
    return {
        "license_version": change.license_version.version,
        "effective_date": change.license_version.effective_date,
        "status": change.status,
    }


def _lifecycle(licence: Licence) -> dict:
    """Which terms change awaits an answer, and whether (until when) the licence can be renewed."""
    return {
        "pending_terms": _pending_terms(licence),
        "renewal": getattr(licence, "renewal_state", None) or expiry.renewal_state(licence),
        "renewal_deadline": expiry.renewal_deadline(licence),
    }


def _licence_out(licence: Licence) -> dict:
    return {
        "reference": licence.reference,
        "dataset": licence.dataset.slug,
        "status": licence.status,
        "license_version": licence.license_version.version,
        "expires_at": licence.expires_at,
        **_lifecycle(licence),
        "variants": [v.slug for v in licence.variants.all()],
        "signer": licence.signer.email,
        "members": [
            {
                "id": m.pk,
                "full_name": m.full_name,
                "email": m.email,
                "extra": m.extra,
                "status": m.status,
                "accepted_at": m.accepted_at,
            }
            for m in licence.members.all()
        ],
    }


@router.get(
    "/licences",
    response=list[LicenceOut],
    summary="Licences I signed",
    description="Licences I signed, newest first." + PAGES_DOC.format(size=100),
    operation_id=_op("list_licences"),
)
@link_paginated(to_out=_licence_out)
def list_licences(request, response: HttpResponse):
    return selectors.licences_signed_by(request.user)


@router.get(
    "/licences/{reference}",
    response={200: LicenceOut, frozenset({404}): ProblemOut},
    summary="A licence I signed",
    operation_id=_op("get_licence"),
)
def get_licence(request, reference: str):
    return _licence_out(selectors.licence_for_signer(request.user, reference))


@router.post(
    "/licences/{reference}/members",
    response={201: MemberOut, frozenset({404, 409}): ProblemOut},
    summary="Invite a member to my group's licence",
    operation_id=_op("add_member"),
)
def add_member(request, reference: str, body: MemberIn):
    licence = selectors.licence_for_signer(request.user, reference)
    member = services.licence_member_add(
        licence=licence,
        actor=request.user,
        full_name=body.full_name,
        email=body.email,
        extra=body.extra,
    )
    return 201, member


@router.delete(
    "/licences/{reference}/members/{member_id}",
    response={200: MemberOut, frozenset({404, 409}): ProblemOut},
    summary="Remove a member (their access ends at once)",
    operation_id=_op("remove_member"),
)
def remove_member(request, reference: str, member_id: int):
    licence = selectors.licence_for_signer(request.user, reference)
    member = get_object_or_404(LicenceMember, pk=member_id, licence=licence)
    return services.licence_member_remove(licence=licence, member=member, actor=request.user)


@router.post(
    "/licences/{reference}/terms/accept",
    response={200: LicenceOut, frozenset({403, 404, 409}): ProblemOut},
    summary="Accept the new terms of a licence I signed (access continues under them)",
    operation_id=_op("accept_terms"),
)
def accept_terms(request, reference: str):
    licence = selectors.licence_for_signer(request.user, reference)
    services_terms.terms_change_accept(licence=licence, actor=request.user)
    return _licence_out(selectors.licence_for_signer(request.user, reference))


@router.post(
    "/licences/{reference}/terms/opt-out",
    response={200: LicenceOut, frozenset({403, 404, 409}): ProblemOut},
    summary="Opt out of the new terms: the licence is void at once and deletion is requested",
    operation_id=_op("opt_out_of_terms"),
)
def opt_out_of_terms(request, reference: str):
    licence = selectors.licence_for_signer(request.user, reference)
    services_terms.terms_change_opt_out(licence=licence, actor=request.user)
    return _licence_out(selectors.licence_for_signer(request.user, reference))


# A signed agreement upload is one non-empty PDF (and, for a renewal, the confirmation of the
# signer's details); the server reads nothing else (as accord.agreements.api's upload).
_FILE = {"type": "string", "format": "binary", "minLength": 1}


def _upload_body(properties: dict) -> dict:
    # Merged into what ninja generates (which lists the required fields already).
    return {
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "additionalProperties": False,
                        "properties": properties,
                    }
                }
            }
        }
    }


def _pdf_responses(conflict: str) -> dict:
    return {
        "responses": {
            200: {"description": "The PDF", "content": {"application/pdf": {}}},
            404: {"description": "No such licence of yours (you are not its signer)"},
            409: {"description": conflict},
        }
    }


@router.get(
    "/licences/{reference}/terms/agreement.pdf",
    summary="The pre-filled agreement for the pending new terms, to print and sign",
    description=(
        "For datasets that accept new terms only with a signed agreement: download it, have it "
        "signed, and upload the scan to `/licences/{reference}/terms/signed-agreement`."
    ),
    operation_id=_op("terms_agreement_pdf"),
    openapi_extra=_pdf_responses("No change of terms is waiting for an answer"),
)
def terms_agreement_pdf(request, reference: str):
    licence = selectors.licence_for_signer(request.user, reference)
    document = services_terms.terms_change_document(licence=licence, actor=request.user)
    return licence_agreement.agreement_download(document)


@router.post(
    "/licences/{reference}/terms/signed-agreement",
    response={200: LicenceOut, frozenset({403, 404, 409, 422, 503}): ProblemOut},
    summary="Accept the new terms by uploading their agreement, signed (PDF; checked, never "
    "trusted)",
    description=(
        "The scan goes through the checks an application's agreement goes through (malware "
        "scan, PDF checks, the QR code must name this licence and the new version, a "
        "signature must be present); a refused file is a 422 problem saying why, and nothing "
        "is stored or accepted."
    ),
    operation_id=_op("accept_terms_signed"),
    openapi_extra=_upload_body({"file": _FILE}),
)
def accept_terms_signed(request, reference: str, file: File[UploadedFile]):
    licence = selectors.licence_for_signer(request.user, reference)
    services_terms.terms_change_accept_signed(
        licence=licence, actor=request.user, data=read_upload(file)
    )
    return _licence_out(selectors.licence_for_signer(request.user, reference))


@router.get(
    "/licences/{reference}/renewal/agreement.pdf",
    summary="The pre-filled renewal agreement (current terms), to print and sign",
    description=(
        "For datasets that renew only with a newly signed agreement: download it, have it "
        "signed, and upload the scan to `/licences/{reference}/renewal/signed-agreement`."
    ),
    operation_id=_op("renewal_agreement_pdf"),
    openapi_extra=_pdf_responses("The licence cannot be renewed now (too early or too late)"),
)
def renewal_agreement_pdf(request, reference: str):
    licence = selectors.licence_for_signer(request.user, reference)
    document = expiry.licence_renewal_document(licence=licence, actor=request.user)
    return licence_agreement.agreement_download(document)


@router.post(
    "/licences/{reference}/renewal/signed-agreement",
    response={200: LicenceOut, frozenset({400, 403, 404, 409, 422, 503}): ProblemOut},
    summary="Renew by uploading the renewal agreement, signed (PDF; checked, never trusted)",
    description=(
        "`details_confirmed` must be true: the signer confirms that their name, address and "
        "organisation are still correct. The scan goes through the checks an application's "
        "agreement goes through; a refused file is a 422 problem saying why, and nothing is "
        "stored or renewed."
    ),
    operation_id=_op("renew_signed"),
    openapi_extra=_upload_body({"file": _FILE, "details_confirmed": {"type": "boolean"}}),
)
def renew_signed(request, reference: str, file: File[UploadedFile], details_confirmed: Form[bool]):
    licence = selectors.licence_for_signer(request.user, reference)
    expiry.licence_renew_signed(
        licence=licence,
        actor=request.user,
        details_confirmed=details_confirmed,
        data=read_upload(file),
    )
    return _licence_out(selectors.licence_for_signer(request.user, reference))


def _invitation_out(m: LicenceMember) -> dict:
    return {
        "id": m.pk,
        "licence": m.licence.reference,
        "dataset": m.licence.dataset.slug,
        "signer": m.licence.signer.email,
        "status": m.status,
    }


def _invitation_row_out(row: dict) -> dict:
    return {
        "id": row["id"],
        "licence": row["licence__reference"],
        "dataset": row["licence__dataset__slug"],
        "signer": row["licence__signer__email"],
        "status": row["status"],
    }


@router.get(
    "/memberships",
    response=list[InvitationOut],
    summary="My invitations and memberships",
    description="Newest first." + PAGES_DOC.format(size=100),
    operation_id=_op("list_memberships"),
)
@link_paginated(to_out=_invitation_row_out)
def list_memberships(request, response: HttpResponse):
    # Only the columns the list shows: a page of whole members, licences, datasets and
    # signers cost 0.1 ms a row in Python, more than the query.
    return selectors.memberships_of(request.user).values(
        "id", "status", "licence__reference", "licence__dataset__slug", "licence__signer__email"
    )


@router.post(
    "/memberships/{member_id}/accept",
    response={200: InvitationOut, frozenset({403, 404, 409}): ProblemOut},
    summary="Accept the licence terms and join (verified email of the invitation required)",
    operation_id=_op("accept_membership"),
)
def accept_membership(request, member_id: int, body: AcceptIn):
    member = selectors.membership_for(request.user, member_id)
    member = services.licence_member_accept(member=member, actor=request.user, extra=body.extra)
    return _invitation_out(member)


# --- Custodian staff: the licence register -------------------------------------------------


def _out(licence: Licence, active_members: int | None = None) -> dict:
    application = licence.application
    if active_members is None:
        active_members = licence.members.filter(status=LicenceMember.Status.ACTIVE).count()
    return {
        "reference": licence.reference,
        "dataset": licence.dataset.slug,
        "variants": [v.slug for v in licence.variants.all()],
        "signer_email": licence.signer.email,
        "signer_name": application.signer_name if application else licence.signer.full_name,
        "signer_affiliation": application.signer_affiliation if application else "",
        "license_version": licence.license_version.version,
        "status": licence.status,
        "granted_at": licence.granted_at,
        "expires_at": licence.expires_at,
        "ended_at": licence.ended_at,
        "end_reason": licence.end_reason,
        "active_members": active_members,
        **_lifecycle(licence),
    }


def _detail(licence: Licence) -> dict:
    members = list(selectors.licence_members_for_staff(licence))
    return {
        **_out(licence, sum(m.status == LicenceMember.Status.ACTIVE for m in members)),
        "members": [
            {
                "full_name": m.full_name,
                "email": m.email,
                "status": m.status,
                "invited_at": m.created,
                "accepted_at": m.accepted_at,
                "removed_at": m.removed_at,
            }
            for m in members
        ],
    }


@staff_router.get(
    "/review/licences",
    response=list[StaffLicenceOut],
    summary="Licence register: your custodians' licences (filter by dataset, status, q)",
    operation_id=_staff_op("register"),
)
# No `from __future__ import annotations` in this module: @paginate resolves the query
# model's annotations away from this module's names.
@paginate(BoundedPageNumberPagination, page_size=50)
def register(request, filters: Query[RegisterFilters]):
    qs = selectors.licence_register(
        request.user,
        dataset=filters.dataset[:100],
        status=filters.status,
        search=filters.q[:200],
    )
    return OutputRows(IdsFirst(qs), lambda lic: _out(lic, lic.active_member_count))


@staff_router.get(
    "/review/licences/{reference}",
    response={200: StaffLicenceDetailOut, frozenset({404}): ProblemOut},
    summary="A licence",
    operation_id=_staff_op("detail"),
)
def detail(request, reference: str):
    return _detail(selectors.licence_for_staff(request.user, reference, VIEW))


def _act(request, reference: str, action: str, reason: str) -> dict:
    licence = selectors.licence_for_staff(request.user, reference, REVOKE)
    require_recent_interactive_sign_in(request)
    licence = services.licence_staff_action(
        licence=licence, actor=request.user, action=action, reason=reason
    )
    return _detail(licence)


@staff_router.post(
    "/review/licences/{reference}/revoke",
    response={200: StaffLicenceDetailOut, frozenset({403, 404, 409}): ProblemOut},
    summary="Revoke (reason required): the signer and every member lose access at once",
    operation_id=_staff_op("revoke"),
)
def revoke(request, reference: str, body: ReasonIn):
    return _act(request, reference, "revoke", body.reason)


@staff_router.post(
    "/review/licences/{reference}/suspend",
    response={200: StaffLicenceDetailOut, frozenset({403, 404, 409}): ProblemOut},
    summary="Suspend (reason required): access stops until reinstated",
    operation_id=_staff_op("suspend"),
)
def suspend(request, reference: str, body: ReasonIn):
    return _act(request, reference, "suspend", body.reason)


@staff_router.post(
    "/review/licences/{reference}/reinstate",
    response={200: StaffLicenceDetailOut, frozenset({403, 404, 409}): ProblemOut},
    summary="Reinstate a suspended licence",
    operation_id=_staff_op("reinstate"),
)
def reinstate(request, reference: str, body: ReasonIn):
    return _act(request, reference, "reinstate", body.reason)
