"""API schemas of licences: the signer's view of a licence and its members, an invitation, and
the custodian staff's register."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from accord.core.validators import SingleLine

from .models import Licence


class MemberOut(Schema):
    id: int
    full_name: str
    email: str
    extra: dict[str, Any]
    status: str
    accepted_at: datetime | None


class PendingTermsOut(Schema):
    license_version: int
    effective_date: date
    status: str  # pending, or lapsed (the licence is suspended until accepted)


RenewalState = Literal["none", "not_yet", "open", "closed"]
RENEWAL_HELP = (
    "none: the licence does not expire; not_yet: renewal opens 30 days before expiry; open: "
    "the signer may renew now (until renewal_deadline); closed: too late, or the licence ended "
    "otherwise."
)


class LicenceOut(Schema):
    reference: str
    dataset: str
    status: str
    license_version: int
    pending_terms: PendingTermsOut | None = None
    expires_at: datetime | None = None
    renewal: RenewalState = Field("none", description=RENEWAL_HELP)
    renewal_deadline: datetime | None = None
    variants: list[str]
    signer: str
    members: list[MemberOut]


class InvitationOut(Schema):
    id: int
    licence: str
    dataset: str
    signer: str
    status: str


class AcceptIn(Schema):
    model_config = ConfigDict(extra="forbid")

    accept: Literal[True] = Field(description="true: I accept the licence terms.")
    extra: dict[str, SingleLine] = {}


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
    pending_terms: PendingTermsOut | None = None
    renewal: RenewalState = Field("none", description=RENEWAL_HELP)
    renewal_deadline: datetime | None = None


class StaffLicenceDetailOut(StaffLicenceOut):
    members: list[StaffMemberOut]


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = ""


class RegisterFilters(Schema):
    """The licence register's filters; an unknown status is refused (422) with the list."""

    dataset: str = ""
    status: Licence.Status | Literal[""] = ""
    q: str = ""
