"""API of the licence register for custodian staff (mounted under the agreements router):
list and read their custodian's licences, suspend, reinstate and revoke. Thin: each endpoint
fetches through a selector (404 for other custodians' licences) and calls one service."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from accord.api.auth import require_recent_interactive_sign_in, token_or_session
from accord.api.pagination import BoundedPageNumberPagination
from accord.core.errors import DomainError
from accord.core.permissions import Permission

from . import licences_staff, selectors
from .models import Licence, LicenceMember

router = Router(tags=["licences (custodian staff)"], auth=token_or_session)
VIEW = Permission.AGREEMENTS_LICENCE_VIEW
REVOKE = Permission.AGREEMENTS_LICENCE_REVOKE


class StaffMemberOut(Schema):
    full_name: str
    email: str
    status: str
    invited_at: datetime
    accepted_at: datetime | None
    removed_at: datetime | None


class StaffLicenceOut(Schema):
    reference: str
    dataset: str
    variants: list[str]
    signer_email: str
    signer_name: str
    signer_affiliation: str
    license_version: int
    status: str
    granted_at: datetime
    expires_at: datetime | None
    ended_at: datetime | None
    end_reason: str
    active_members: int


class StaffLicenceDetailOut(StaffLicenceOut):
    members: list[StaffMemberOut]


class ReasonIn(Schema):
    reason: str = ""


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


@router.get(
    "/review/licences",
    response=list[StaffLicenceOut],
    summary="Licence register: your custodians' licences (filter by dataset, status, q)",
)
@paginate(BoundedPageNumberPagination, page_size=50)
def register(request, dataset: str = "", status: str = "", q: str = ""):
    if status and status not in Licence.Status.values:
        raise DomainError(
            f"No licence status {status!r}; use one of {', '.join(Licence.Status.values)}.",
            field="status",
        )
    qs = selectors.licence_register(
        request.user, dataset=dataset[:100], status=status, search=q[:200]
    )
    return _Rows(qs)


class _Rows:
    """A lazy view of the register queryset that the paginator slices and counts; only the
    slice is turned into API dicts (so a page costs a constant number of queries)."""

    def __init__(self, qs):
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        return [_out(lic, lic.active_member_count) for lic in self.qs[item]]


@router.get("/review/licences/{reference}", response=StaffLicenceDetailOut, summary="A licence")
def detail(request, reference: str):
    return _detail(selectors.licence_for_staff(request.user, reference, VIEW))


def _act(request, reference: str, action: str, reason: str) -> dict:
    licence = selectors.licence_for_staff(request.user, reference, REVOKE)
    require_recent_interactive_sign_in(request)
    licence = licences_staff.licence_staff_action(
        licence=licence, actor=request.user, action=action, reason=reason
    )
    return _detail(licence)


@router.post(
    "/review/licences/{reference}/revoke",
    response=StaffLicenceDetailOut,
    summary="Revoke (reason required): the signer and every member lose access at once",
)
def revoke(request, reference: str, body: ReasonIn):
    return _act(request, reference, "revoke", body.reason)


@router.post(
    "/review/licences/{reference}/suspend",
    response=StaffLicenceDetailOut,
    summary="Suspend (reason required): access stops until reinstated",
)
def suspend(request, reference: str, body: ReasonIn):
    return _act(request, reference, "suspend", body.reason)


@router.post(
    "/review/licences/{reference}/reinstate",
    response=StaffLicenceDetailOut,
    summary="Reinstate a suspended licence",
)
def reinstate(request, reference: str, body: ReasonIn):
    return _act(request, reference, "reinstate", body.reason)
