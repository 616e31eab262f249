"""What an application must contain for its dataset: the dataset's application rules, the clauses
to attest, and the checks on the signer, answers and members (format on every save,
completeness before the agreement PDF is generated or the application submitted)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from accord.accounts.email_rules import affiliated_email_error
from accord.catalog.models import Clause, Dataset, LicenseVersion
from accord.core.errors import DomainError

from .models import Application, ApplicationField, ApplicationRules

MAX_MEMBERS = 200
_LIMITS = {
    "signer_name": 200,
    "signer_title": 200,
    "signer_affiliation": 300,
    "signer_email": 254,
    "signer_address": 1000,
    "purpose": 5000,
}


class InvalidApplication(DomainError):
    """One or more fields are wrong; ``errors`` maps field name to a message."""

    status = 422
    code = "invalid-application"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(" ".join(f"{v}" for v in errors.values()))


@dataclass
class Details:
    """Fields an applicant may set on a draft. ``None`` leaves a field unchanged."""

    variants: list[str] | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    signer_affiliation: str | None = None
    signer_email: str | None = None
    signer_address: str | None = None
    organisation_type: str | None = None
    purpose: str | None = None
    answers: dict[str, Any] | None = None
    attested_clauses: list[str] | None = None
    members: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def policy_for(dataset: Dataset) -> ApplicationRules:
    """The dataset's application rules, or unsaved defaults (title required, members allowed)."""
    try:
        return dataset.application_rules
    except ApplicationRules.DoesNotExist:
        return ApplicationRules(dataset=dataset)


def policy_fields(policy: ApplicationRules) -> list[ApplicationField]:
    return list(policy.fields.all()) if policy.pk else []


def policy_member_fields(policy: ApplicationRules):
    return list(policy.member_fields.all()) if policy.pk else []


def attestation_clauses(license_version: LicenseVersion) -> list[Clause]:
    return license_version.attested_clauses()


def _email_error(value: str, *, affiliated: bool) -> str | None:
    try:
        validate_email(value)
    except DjangoValidationError:
        return f"{value!r} is not a valid email address."
    if affiliated:
        return affiliated_email_error(value)
    return None


def clean_details(application: Application, details: Details) -> dict[str, Any]:
    """Validate the provided fields' format against the dataset's policy and return the
    values to store. Raises InvalidApplication listing every problem at once."""
    dataset = application.dataset
    policy = policy_for(dataset)
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    for name, limit in _LIMITS.items():
        value = getattr(details, name)
        if value is None:
            continue
        value = str(value).strip()
        if len(value) > limit:
            errors[name] = (
                f"{name.replace('_', ' ').capitalize()} is longer than {limit} characters."
            )
        out[name] = value

    if out.get("signer_email"):
        out["signer_email"] = out["signer_email"].lower()
        message = _email_error(out["signer_email"], affiliated=dataset.requires_affiliated_email)
        if message:
            errors["signer_email"] = f"Signer's email: {message}"

    if details.organisation_type is not None:
        valid = {c.value for c in Application.OrganisationType}
        if details.organisation_type and details.organisation_type not in valid:
            errors["organisation_type"] = (
                f"Organisation type must be one of: {', '.join(sorted(valid))}."
            )
        out["organisation_type"] = details.organisation_type

    if details.variants is not None:
        known = {v.slug: v for v in dataset.variants.all()}
        unknown = [s for s in details.variants if s not in known]
        if unknown:
            errors["variants"] = (
                f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a variant of "
                f"{dataset}; choose from {', '.join(known) or 'none'}."
            )
        out["variants"] = [known[s] for s in details.variants if s in known]

    if details.answers is not None:
        out["answers"] = _clean_answers(policy, details.answers, errors)

    if details.attested_clauses is not None:
        codes = {c.code for c in attestation_clauses(application.license_version)}
        unknown = [c for c in details.attested_clauses if c not in codes]
        if unknown:
            errors["attested_clauses"] = (
                f"Clause {', '.join(map(str, unknown))} is not a clause to attest in these terms."
            )
        out["attested_clauses"] = sorted({c for c in details.attested_clauses if c in codes})

    if details.members is not None:
        out["members"] = clean_members(
            policy,
            details.members,
            errors,
            dataset=application.dataset,
            signer_email=out.get("signer_email") or application.signer_email or "",
        )

    if errors:
        raise InvalidApplication(errors)
    return out


def _clean_answers(policy, answers: dict, errors: dict[str, str]) -> dict[str, Any]:
    fields = {f.key: f for f in policy_fields(policy)}
    cleaned: dict[str, Any] = {}
    for key, value in answers.items():
        f = fields.get(key)
        if f is None:
            errors[f"answers.{key}"] = f"{key!r} is not a question of this application form."
            continue
        if f.kind == ApplicationField.Kind.CHECKBOX:
            cleaned[key] = value in (True, "true", "on", "1", 1, "yes")
            continue
        text = "" if value is None else str(value).strip()
        if len(text) > 5000:
            errors[f"answers.{key}"] = f"{f.label}: at most 5000 characters."
        elif text and f.kind == ApplicationField.Kind.EMAIL:
            message = _email_error(text, affiliated=False)
            if message:
                errors[f"answers.{key}"] = f"{f.label}: {message}"
        elif text and f.kind == ApplicationField.Kind.CHOICE and text not in f.choice_list():
            errors[f"answers.{key}"] = f"{f.label}: choose one of {', '.join(f.choice_list())}."
        cleaned[key] = text
    return cleaned


def clean_members(
    policy: ApplicationRules,
    members: list[dict[str, Any]],
    errors: dict[str, str],
    *,
    dataset: Dataset,
    signer_email: str,
) -> list[dict[str, Any]]:
    """The group members as the dataset's rules accept them (on the application form, and
    when a signer adds one to a licence later); each problem goes into ``errors``."""
    rows = [m for m in members if any(str(v).strip() for v in _flat(m))]
    if rows and not policy.members_allowed:
        errors["members"] = f"{dataset} licences are personal to the signer; remove the members."
        return []
    if len(rows) > MAX_MEMBERS:
        errors["members"] = f"At most {MAX_MEMBERS} members per application."
        return []
    fields = {f.key: f for f in policy_member_fields(policy)}
    signer_email = signer_email.lower()
    cleaned, seen = [], set()
    for number, raw in enumerate(rows, start=1):
        name = str(raw.get("full_name", "")).strip()[:200]
        email = str(raw.get("email", "")).strip().lower()
        extra_in = raw.get("extra") or {}
        where = f"Member {number}"
        if not name:
            errors[f"members.{number}.full_name"] = f"{where}: give the member's full name."
        message = _email_error(email, affiliated=False) if email else "an email is required."
        if message:
            errors[f"members.{number}.email"] = f"{where}: {message}"
        elif email in seen:
            errors[f"members.{number}.email"] = f"{where}: {email} is listed twice."
        elif email == signer_email:
            errors[f"members.{number}.email"] = (
                f"{where}: the signer is covered by the licence already; do not list them."
            )
        seen.add(email)
        unknown = [k for k in extra_in if k not in fields]
        if unknown:
            errors[f"members.{number}.extra"] = (
                f"{where}: {', '.join(unknown)} is not a member field of this dataset."
            )
        extra = {k: str(extra_in.get(k, "") or "").strip()[:200] for k in fields}
        cleaned.append({"full_name": name, "email": email, "extra": extra})
    return cleaned


def _flat(member: dict) -> list:
    values = [member.get("full_name", ""), member.get("email", "")]
    values += list((member.get("extra") or {}).values())
    return values


def missing_items(application: Application, *, for_submission: bool) -> list[str]:
    """What is still missing, as sentences the applicant can act on (empty when complete)."""
    return [message for _, message in missing_fields(application, for_submission=for_submission)]


def missing_fields(application: Application, *, for_submission: bool) -> list[tuple[str, str]]:
    """What is still missing as (form field, sentence) pairs, so the page can say each one
    next to its field: the application form's field names, ``members`` for the member table
    and ``file`` for the signed scan's upload."""
    policy = policy_for(application.dataset)
    missing: list[tuple[str, str]] = []
    if application.dataset.variants.exists() and not application.variants.exists():
        missing.append(("variants", "Choose at least one variant."))
    labels = {
        "signer_name": "the signer's name",
        "signer_affiliation": "the signer's affiliation",
        "signer_email": "the signer's work email",
        "signer_address": "the signer's postal address",
    }
    if policy.signer_title_required:
        labels["signer_title"] = "the signer's title or position"
    for name, label in labels.items():
        if not getattr(application, name).strip():
            missing.append((name, f"Fill in {label}."))
    if not application.organisation_type:
        missing.append(("organisation_type", "Choose the type of organisation."))
    if not application.purpose.strip():
        missing.append(("purpose", "Describe the research purpose."))
    for f in policy_fields(policy):
        value = application.answers.get(f.key)
        if f.required and not value:
            verb = "Tick" if f.kind == ApplicationField.Kind.CHECKBOX else "Answer"
            missing.append((f"answer_{f.key}", f"{verb} “{f.label}”."))
    attested = set(application.attested_clauses)
    for clause in attestation_clauses(application.license_version):
        if clause.code not in attested:
            missing.append(
                (f"attest_{clause.code}", f"Attest clause {clause.code} ({clause.title}).")
            )
    member_fields = [f for f in policy_member_fields(policy) if f.required]
    for number, member in enumerate(application.members, start=1):
        for f in member_fields:
            if not (member.get("extra") or {}).get(f.key):
                missing.append(("members", f"Give member {number}'s {f.label}."))
    if for_submission:
        agreement = _current_agreement(application)
        if agreement is None:
            missing.append(
                ("file", "Upload the signed agreement (the generated PDF, signed and scanned).")
            )
        elif scan_is_stale(application, agreement):
            missing.append(("file", STALE_SCAN_MESSAGE))
    return missing


STALE_SCAN_MESSAGE = (
    "You changed the application after uploading the signed agreement, so the signed scan "
    "no longer matches it. Download the new agreement, have it signed and upload it again."
)


def _current_agreement(application: Application):
    if hasattr(application, "current_agreements"):  # prefetched by the selectors
        return application.current_agreements[0] if application.current_agreements else None
    return application.current_agreement()


def content_fingerprint(application: Application) -> str:
    """SHA-256 of what the signer signs for: the signer's details, the purpose, the answers,
    the attestations, the members, the variants and the terms. A signed scan records the
    fingerprint at upload; any later change to these makes it stale."""
    content = {
        "license_version": application.license_version_id,
        **{name: getattr(application, name) for name in _LIMITS},
        "organisation_type": application.organisation_type,
        "answers": application.answers,
        "attested_clauses": sorted(application.attested_clauses),
        "members": application.members,
        "variants": sorted(v.slug for v in application.variants.all()) if application.pk else [],
    }
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


CONTENT_VERSION_LENGTH = 10


def content_version(application: Application) -> str:
    """The short content version printed on the agreement PDF and carried in its QR code: the
    first 10 hex characters of the fingerprint (40 bits; enough to tell one draft's versions
    apart, short enough to keep the QR code coarse and the footer readable)."""
    return content_fingerprint(application)[:CONTENT_VERSION_LENGTH]


def scan_is_stale(application: Application, agreement) -> bool:
    """Was the application's content changed after ``agreement`` was uploaded? Scans from
    before fingerprints were kept carry none and are taken as they are."""
    return bool(agreement.content_sha256) and (
        agreement.content_sha256 != content_fingerprint(application)
    )
