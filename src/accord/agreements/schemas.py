"""Request and response bodies of the agreements API (see api.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict

from accord.core.validators import MultiLine, SingleLine

from .content import Details


class MemberIn(Schema):
    model_config = ConfigDict(extra="forbid")

    full_name: SingleLine = ""
    email: str = ""
    extra: dict[str, SingleLine] = {}


class ApplicationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    variants: list[str] | None = None
    signer_name: SingleLine | None = None
    signer_title: SingleLine | None = None
    signer_affiliation: SingleLine | None = None
    signer_email: str | None = None
    signer_address: MultiLine | None = None
    organisation_type: str | None = None
    purpose: MultiLine | None = None
    answers: dict[str, Any] | None = None
    attested_clauses: list[str] | None = None
    members: list[MemberIn] | None = None

    def details(self) -> Details:
        data = self.dict(exclude={"dataset"})
        if self.members is not None:
            data["members"] = [m.dict() for m in self.members]
        return Details(**data)


class ApplicationCreateIn(ApplicationIn):
    dataset: str


class AgreementOut(Schema):
    id: int
    display_name: str
    sha256: str
    size: int
    pages: int
    qr_status: str
    version_status: str  # match | unverified | not-read; "" for uploads before versions
    scan_status: str  # clean | not-scanned (no scanner configured, or uploaded before scans)
    scan_detail: str
    # digital | ink | none (the place to sign is empty) | unknown (not found: check by eye)
    signature_evidence: str
    # regions: [{kind, code, status: ink | empty | not-found, ...}], digital_signatures:
    # [{signer, issuer, signing_time, status: valid | untrusted, ...}], generated_text: bool
    signing: dict
    uploaded_at: datetime


class TransitionOut(Schema):
    from_state: str
    to_state: str
    actor: str | None
    comment: str
    at: datetime


class ApplicationOut(Schema):
    reference: str
    dataset: str
    license_version: int
    license_effective_date: date
    state: str
    origin: str
    variants: list[str]
    applicant_email: str
    signer_name: str
    signer_title: str
    signer_affiliation: str
    signer_email: str
    signer_address: str
    organisation_type: str
    purpose: str
    answers: dict[str, Any]
    attested_clauses: list[str]
    members: list[dict[str, Any]]
    signer_confirmed: bool
    submitted_at: datetime | None
    last_comment: str
    missing: list[str]
    agreement: AgreementOut | None
    licence: str | None
    history: list[TransitionOut]


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    comment: MultiLine = ""
