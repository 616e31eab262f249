"""What Accord holds about one person, gathered for their own export (GDPR access), and the
facts erasure needs (what blocks it, who else is named beside them).

The rule for other people: the export names nobody but its owner. Others appear by role only
("another person", "custodian staff"), never by name, address, network address or browser;
free text the person can read in the portal (a purpose, a review comment, an email sent to
them) keeps its words, but the names and addresses of the other people Accord knows on the
same applications and licences are replaced by "[another person]".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.db.models import Q, QuerySet
from django.urls import reverse

from accord.access.models import Entitlement
from accord.accounts.models import ApiToken, Erasure, KnownDevice, User
from accord.agreements.models import Application, ApplicationTransition, SignedAgreement
from accord.audit.models import Event, EventPersonal
from accord.core import clock
from accord.downloads.models import DownloadLink
from accord.licences.models import DeletionAttestation, Licence, LicenceMember
from accord.notifications.models import OutgoingEmail

EXPORT_FORMAT = 1
ANOTHER = "[another person]"


def addresses_of(user: User) -> list[str]:
    """Every address the person uses or claimed, lower-cased: the account's own and each
    allauth address row."""
    found = {user.email.lower()} if user.email else set()
    found.update(
        e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    )
    return sorted(found)


def _address_q(field: str, emails: Iterable[str]) -> Q:
    rule = Q(pk__in=[])
    for email in emails:
        rule |= Q(**{f"{field}__iexact": email})
    return rule


def applications_about(user: User, emails: list[str]) -> QuerySet[Application]:
    """Applications the person made, signs, or is named on as signer (by address)."""
    return Application.objects.filter(
        Q(applicant=user) | Q(signer_user=user) | _address_q("signer_email", emails)
    ).distinct()


def applications_listing(emails: list[str]) -> list[Application]:
    """Applications whose group list names one of ``emails`` (the JSON list is read in
    Python: a member list is short, and databases disagree on searching JSON text)."""
    wanted = set(emails)
    found = []
    for application in Application.objects.exclude(members=[]).only("pk", "members"):
        if any(str(m.get("email", "")).lower() in wanted for m in application.members or []):
            found.append(application)
    return found


def memberships_of(user: User, emails: list[str]) -> QuerySet[LicenceMember]:
    return LicenceMember.objects.filter(Q(user=user) | _address_q("email", emails)).select_related(
        "licence", "licence__dataset"
    )


def licences_blocking_erasure(user: User) -> QuerySet[Licence]:
    """Licences in force the person signed: they must be closed or handed over before the
    person's data can be erased (the licence would have nobody answerable for it)."""
    now = clock.now()
    return Licence.objects.filter(signer=user, status=Licence.Status.ACTIVE).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def others_named_beside(user: User, emails: list[str]) -> list[str]:
    """Names and addresses of the other people on the person's applications and licences:
    what the export replaces in free text."""
    mine = {e.lower() for e in emails} | ({user.full_name.lower()} if user.full_name else set())
    values: set[str] = set()
    applications = [*applications_about(user, emails), *applications_listing(emails)]
    for a in applications:
        values.update([a.applicant_name, a.applicant_email, a.signer_name, a.signer_email])
        if a.applicant is not None and a.applicant_id != user.pk:
            values.update([a.applicant.full_name, a.applicant.email])
        for m in a.members or []:
            values.update([str(m.get("full_name", "")), str(m.get("email", ""))])
    licence_ids = set(memberships_of(user, emails).values_list("licence_id", flat=True))
    licence_ids |= set(Licence.objects.filter(signer=user).values_list("pk", flat=True))
    for member in LicenceMember.objects.filter(licence_id__in=licence_ids):
        values.update([member.full_name, member.email])
    for licence in Licence.objects.filter(pk__in=licence_ids).select_related("signer"):
        values.update([licence.signer.full_name, licence.signer.email])
    # Longest first, so "Ada Lovelace" goes before "Ada"; very short values would hit words.
    return sorted(
        {v for v in values if v and len(v.strip()) >= 3 and v.strip().lower() not in mine},
        key=len,
        reverse=True,
    )


def redactor(others: list[str]):
    if not others:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(v) for v in others), re.IGNORECASE)

    def redact(text: Any) -> Any:
        if isinstance(text, str):
            return pattern.sub(ANOTHER, text)
        if isinstance(text, dict):
            return {k: redact(v) for k, v in text.items()}
        if isinstance(text, list):
            return [redact(v) for v in text]
        return text

    return redact


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _who(user: User, other_id: int | None) -> str:
    if other_id is None:
        return "nobody"
    return "you" if other_id == user.pk else "another person"


def _application(user: User, a: Application, emails: list[str], redact) -> dict:
    is_applicant = a.applicant_id == user.pk
    is_signer = a.signer_user_id == user.pk or a.signer_email.lower() in emails
    out: dict[str, Any] = {
        "reference": a.reference,
        "dataset": a.dataset.name,
        "state": a.state,
        "your_roles": [r for r, yes in (("applicant", is_applicant), ("signer", is_signer)) if yes]
        or ["member"],
        "created": _when(a.created),
        "submitted_at": _when(a.submitted_at),
        "decided_at": _when(a.decided_at),
        "variants": sorted(v.slug for v in a.variants.all()),
        "license_version": a.license_version.version,
        "organisation_type": a.organisation_type,
        "page": reverse("agreements:application_detail", args=[a.reference]),
    }
    if is_applicant or is_signer:
        out["purpose"] = redact(a.purpose)
        out["answers"] = redact(a.answers)
        out["attested_clauses"] = list(a.attested_clauses)
        out["last_comment"] = redact(a.last_comment)
    if is_applicant:
        out["applicant"] = {"name": a.applicant_name, "email": a.applicant_email}
        out["intake"] = redact(a.intake)
    if is_signer:
        out["signer"] = {
            "name": a.signer_name,
            "title": a.signer_title,
            "affiliation": a.signer_affiliation,
            "email": a.signer_email,
            "address": a.signer_address,
            "confirmed_at": _when(a.signer_confirmed_at),
            "confirmed_email": a.signer_confirmed_email,
        }
    else:
        out["signer"] = ANOTHER if a.signer_email or a.signer_name else None
    members = a.members or []
    out["members"] = {
        "you": [
            {"full_name": m.get("full_name", ""), "email": m.get("email"), "extra": m.get("extra")}
            for m in members
            if str(m.get("email", "")).lower() in emails
        ],
        "others": sum(1 for m in members if str(m.get("email", "")).lower() not in emails),
    }
    out["history"] = [
        {
            "from": t.from_state,
            "to": t.to_state,
            "by": _who(user, t.actor_id) if t.actor_id != user.pk else "you",
            "comment": redact(t.comment),
            "at": _when(t.created),
        }
        for t in ApplicationTransition.objects.filter(application=a)
    ]
    if is_applicant or is_signer:
        out["signed_agreements"] = [
            {
                "display_name": redact(s.display_name),
                "sha256": s.sha256,
                "size": s.size,
                "pages": s.pages,
                "uploaded": _when(s.created),
                "uploaded_by": _who(user, s.uploaded_by_id),
                "current": s.is_current,
                "view_at": out["page"],
            }
            for s in SignedAgreement.objects.filter(application=a)
        ]
    return out


def _licence(user: User, licence: Licence) -> dict:
    return {
        "reference": licence.reference,
        "dataset": licence.dataset.name,
        "status": licence.status,
        "signer": _who(user, licence.signer_id),
        "license_version": licence.license_version.version,
        "granted_at": _when(licence.granted_at),
        "expires_at": _when(licence.expires_at),
        "ended_at": _when(licence.ended_at),
        "variants": sorted(v.slug for v in licence.variants.all()),
        "members": licence.members.count(),
    }


def _event(user: User, event: Event, redact) -> dict:
    rows = {row.role: row for row in event.personal.all()}
    actor = rows.get(EventPersonal.Role.ACTOR)
    target = rows.get(EventPersonal.Role.TARGET)
    out: dict[str, Any] = {
        "seq": event.seq,
        "type": event.event_type,
        "at": _when(event.created),
        "by": _who(user, event.actor_id) if event.actor_id else "nobody signed in",
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": redact(event.details),
        "hash": event.hash,
    }
    if event.actor_id == user.pk and actor is not None:
        out["you"] = (
            {"erased": True}
            if actor.erased
            else {
                "email": actor.email,
                "ip_address": actor.ip_address,
                "user_agent": actor.user_agent,
            }
        )
    if target is not None:
        out["target"] = (
            ("erased" if target.erased else target.label)
            if target.subject_id == user.pk
            else ANOTHER
        )
    else:
        out["target"] = redact(event.target_label)
    return out


def events_about(user: User) -> QuerySet[Event]:
    """Events the person did or that were about them (a person target naming them)."""
    about = EventPersonal.objects.filter(subject_id=user.pk).values("event_id")
    return (
        Event.objects.filter(Q(actor_id=user.pk) | Q(pk__in=about))
        .prefetch_related("personal")
        .order_by("seq")
    )


def emails_sent_to(emails: list[str]) -> list[OutgoingEmail]:
    wanted = set(emails)
    return [
        e
        for e in OutgoingEmail.objects.order_by("created").iterator()
        if any(str(r).lower() in wanted for r in e.recipients or [])
    ]


def _publications(user: User) -> list[dict]:
    """Papers the person registered (the publications app may be absent from an install)."""
    try:
        publication = apps.get_model("publications", "Publication")
    except LookupError:
        return []
    return [
        {
            "title": p.title,
            "venue": p.venue,
            "doi": p.doi,
            "dataset": p.dataset.name,
            "status": p.status,
            "registered": _when(p.created),
        }
        for p in publication.objects.filter(registered_by=user).select_related("dataset")
    ]


def personal_data_export(user: User) -> dict[str, Any]:
    """Everything Accord holds about ``user``, as one JSON-ready document (see the module's
    rule for other people). API token secrets and password hashes are never included: Accord
    keeps only their hashes, which are not the person's data but a lock on it."""
    emails = addresses_of(user)
    redact = redactor(others_named_beside(user, emails))
    applications = [
        _application(user, a, emails, redact)
        for a in Application.objects.filter(
            pk__in={
                *applications_about(user, emails).values_list("pk", flat=True),
                *(a.pk for a in applications_listing(emails)),
            }
        )
        .select_related("dataset", "license_version")
        .prefetch_related("variants")
        .order_by("created")
    ]
    memberships = list(memberships_of(user, emails).order_by("created"))
    licence_ids = {m.licence_id for m in memberships} | set(
        Licence.objects.filter(signer=user).values_list("pk", flat=True)
    )
    licences = (
        Licence.objects.filter(pk__in=licence_ids)
        .select_related("dataset", "license_version")
        .prefetch_related("variants")
        .order_by("granted_at")
    )
    return {
        "format": EXPORT_FORMAT,
        "generated_at": clock.now().isoformat(),
        "rule_for_other_people": (
            "Only you are named. Other people appear as 'another person' or by role; their "
            "names and addresses are replaced by '[another person]' in free text."
        ),
        "account": {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "language": user.language,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "is_active": user.is_active,
        },
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "two_factor": [
            {"type": a.type, "created": _when(a.created_at), "last_used": _when(a.last_used_at)}
            for a in Authenticator.objects.filter(user=user)
        ],
        "known_devices": [
            {
                "user_agent": d.user_agent,
                "first_seen": _when(d.first_seen),
                "last_seen": _when(d.last_seen),
            }
            for d in KnownDevice.objects.filter(user=user)
        ],
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "scope": t.scope,
                "created": _when(t.created),
                "expires_at": _when(t.expires_at),
                "last_used_at": _when(t.last_used_at),
                "revoked_at": _when(t.revoked_at),
            }
            for t in ApiToken.objects.filter(user=user).order_by("created")
        ],
        "applications": applications,
        "licences": [_licence(user, licence) for licence in licences],
        "memberships": [
            {
                "licence": m.licence.reference,
                "dataset": m.licence.dataset.name,
                "email": m.email,
                "full_name": m.full_name,
                "extra": m.extra,
                "status": m.status,
                "invited": _when(m.created),
                "accepted_at": _when(m.accepted_at),
                "removed_at": _when(m.removed_at),
            }
            for m in memberships
        ],
        "entitlements": [
            {
                "variant": e.variant.slug,
                "licence": e.licence.reference,
                "valid_from": _when(e.valid_from),
                "valid_until": _when(e.valid_until),
                "revoked_at": _when(e.revoked_at),
                "revoke_reason": redact(e.revoke_reason),
            }
            for e in Entitlement.objects.filter(user=user).select_related("variant", "licence")
        ],
        "downloads": [
            {
                "file": link.data_file.path,
                "variant": link.data_file.variant.slug,
                "sha256": link.data_file.sha256,
                "issued": _when(link.created),
                "channel": link.channel,
                "uses": link.uses + link.journal_uses,
                "bytes_served": link.bytes_served + link.journal_bytes,
            }
            for link in DownloadLink.objects.filter(user=user)
            .with_journal_totals()
            .select_related("data_file", "data_file__variant")
            .order_by("created")
        ],
        "deletion_attestations": [
            {
                "licence": d.licence.reference,
                "reason": d.reason,
                "due_at": _when(d.due_at),
                "attested_at": _when(d.attested_at),
                "statement": redact(d.statement),
                "files": d.files.count(),
            }
            for d in DeletionAttestation.objects.filter(user=user).select_related("licence")
        ],
        "publications": _publications(user),
        "emails_sent_to_you": [
            {
                "at": _when(e.created),
                "status": e.status,
                "subject": redact(e.subject),
                "to_you": [r for r in e.recipients if str(r).lower() in emails],
                "body": redact(str((e.message or {}).get("body", ""))),
            }
            for e in emails_sent_to(emails)
        ],
        "audit_events": [_event(user, e, redact) for e in events_about(user)],
        "erasures": [
            {"at": _when(r.created), "counts": r.counts} for r in Erasure.objects.filter(user=user)
        ],
    }
