"""A person's own data rights: the export they ask for (audited), and the erasure of their
account's personal data.

Erasure removes or pseudonymises every personal field Accord holds about the person, in one
transaction, while licences, decisions and the audit chain stay verifiable:

- the account becomes "erased-user-<id>" (no usable password, inactive, its addresses,
  two-factor devices, known browsers, sessions and sign-in throttling records gone, its API
  tokens revoked and renamed);
- their applications lose the applicant's name and address, answers, purpose and intake
  details; where they are the signer, the signer's details; where a group list names them,
  their entry; licence memberships and invitations to their addresses become the pseudonym;
- emails to them (or naming them) in the outbox are emptied and never sent;
- the audit chain's personal fields beside it go through ``personal_data_erase`` (fields and
  salt dropped; the salted commitments in the hashed payloads stay, so verify passes);
- stored documents naming them (signed agreements of applications they made, sign or are
  listed on, and scans uploaded for licences they signed or were members of) are deleted
  from storage once the transaction commits; the ``Erasure`` record keeps each one's
  SHA-256, size and page count as a tombstone, so an official copy a custodian keeps offline
  can still be matched.

Staff see what was erased and when (``Erasure``) without the erased values.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from accord.access.models import Entitlement
from accord.access.services import entitlements_sync_for_licence
from accord.accounts import selectors_privacy as privacy
from accord.accounts.models import ApiToken, Erasure, KnownDevice, User
from accord.agreements.models import Application, ApplicationTransition, SignedAgreement
from accord.audit.models import Event
from accord.audit.services import audit_record, personal_data_erase
from accord.catalog.models import CustodianStaff
from accord.core.errors import Conflict, NotAllowed
from accord.core.storage import protected_storage
from accord.licences.models import DeletionAttestation, Licence, LicenceMember
from accord.notifications.models import OutgoingEmail

log = logging.getLogger(__name__)

ERASED_DOMAIN = "erased.invalid"


def pseudonym_for(user: User) -> str:
    return f"erased-user-{user.pk}"


class ErasureRefused(Conflict):
    code = "erasure-refused"


@transaction.atomic
def personal_data_export_request(*, user: User, channel: str = "web") -> dict[str, Any]:
    """The person's export (accord.accounts.selectors_privacy), its request audited."""
    audit_record(
        event_type="accounts:personal-data:export",
        actor=user,
        target=user,
        details={"channel": channel},
    )
    return privacy.personal_data_export(user)


def erasure_refusal(user: User) -> str | None:
    """Why ``user``'s data cannot be erased now, in words for them (None: it can)."""
    blocking = list(privacy.licences_blocking_erasure(user).values_list("reference", flat=True))
    if blocking:
        return gettext(
            "You sign licence %(refs)s, which is in force: the people in your group depend on "
            'it. Close it first ("Close this licence" on its page; everyone\'s access ends and '
            "copies must be deleted), or ask the data custodian to hand it over to another "
            "signer; then you can erase your data."
        ) % {"refs": ", ".join(blocking)}
    if user.is_superuser or CustodianStaff.objects.filter(user=user).exists():
        return gettext(
            "You are staff of a data custodian: ask its administrator to remove your role "
            "first; then you can erase your data."
        )
    return None


def _scrubber(values: list[str], replacement: str):
    values = sorted({v for v in values if v and len(v.strip()) >= 3}, key=len, reverse=True)
    if not values:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(v) for v in values), re.IGNORECASE)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(replacement, value)
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return scrub


def _strings(value: Any) -> list[str]:
    """The text values inside answers or member fields, long enough to be the person's own
    (a yes/no or a two-letter code would match unrelated text)."""
    if isinstance(value, str):
        return [value] if len(value.strip()) >= 6 else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _stored_prefix(storage_name: str) -> str:
    return storage_name.rsplit("/", 1)[0] + "/" if "/" in storage_name else ""


@transaction.atomic
def account_erase(*, user: User, actor: User) -> Erasure:
    """Erase ``user``'s personal data (see the module docstring). Only the person may ask
    (or a superuser acting on their written request, ``actor``). Refused with the reason
    (``ErasureRefused``) while they sign a licence in force or are custodian staff.
    Idempotent: erasing an erased account returns its first record."""
    if actor.pk != user.pk and not actor.is_superuser:
        raise NotAllowed(gettext("Only the person themselves may erase their personal data."))
    user = User.objects.select_for_update().get(pk=user.pk)
    done = Erasure.objects.filter(user=user).order_by("created").first()
    if done is not None:
        return done
    refusal = erasure_refusal(user)
    if refusal:
        raise ErasureRefused(refusal)

    pseudonym = pseudonym_for(user)
    fake_email = f"{pseudonym}@{ERASED_DOMAIN}"
    emails = privacy.addresses_of(user)
    names = [user.full_name]
    counts: dict[str, int] = {}

    # Applications: the person as applicant, signer, or listed member.
    about = list(privacy.applications_about(user, emails))
    listing = privacy.applications_listing(emails)
    for a in about:
        if a.applicant_id == user.pk or a.applicant_email.lower() in emails:
            names += [a.applicant_name, a.purpose, *_strings(a.answers)]
        if a.signer_user_id == user.pk or a.signer_email.lower() in emails:
            names += [a.signer_name, a.signer_affiliation, a.signer_address]
            names += a.signer_address.splitlines()
    for a in listing:
        for m in a.members or []:
            if str(m.get("email", "")).lower() in emails:
                names += [str(m.get("full_name", "")), *_strings(m.get("extra"))]
    memberships = list(privacy.memberships_of(user, emails))
    for m in memberships:
        names += [m.full_name, *_strings(m.extra)]
    scrub = _scrubber([*emails, *names], pseudonym)

    documents, storage_names = _documents_naming(user, about, listing, memberships)

    counts["applications"] = _erase_applications(
        user, about, listing, emails, pseudonym, fake_email, scrub
    )
    counts["application_comments"] = _scrub_rows(
        ApplicationTransition.objects.filter(
            Q(actor=user) | Q(application__in=[a.pk for a in about])
        ),
        "comment",
        scrub,
        blank_if=lambda t: t.actor_id == user.pk,
    )
    counts["licence_memberships"] = _erase_memberships(memberships, fake_email, pseudonym)
    counts["licence_texts"] = _scrub_rows(
        Licence.objects.filter(Q(signer=user) | Q(pk__in=[m.licence_id for m in memberships])),
        "end_reason",
        scrub,
    )
    counts["entitlement_texts"] = _scrub_rows(
        Entitlement.objects.filter(user=user), "revoke_reason", scrub
    )
    counts["attestation_statements"] = _scrub_rows(
        DeletionAttestation.objects.filter(user=user), "statement", scrub
    )
    counts["emails"] = _erase_outbox(emails, scrub)
    counts["api_tokens"] = ApiToken.objects.filter(user=user).update(
        name=gettext("erased"), revoked_at=timezone.now(), updated=timezone.now()
    )
    counts["known_devices"] = KnownDevice.objects.filter(user=user).delete()[0]
    counts["two_factor"] = Authenticator.objects.filter(user=user).delete()[0]
    counts["sessions"] = _end_sessions(user)
    counts["sign_in_throttling"] = _erase_throttling(emails)
    counts["admin_log"] = _scrub_rows(
        LogEntry.objects.filter(_contains_any("object_repr", [*emails, user.full_name])),
        "object_repr",
        scrub,
    )
    counts["email_addresses"] = EmailAddress.objects.filter(user=user).delete()[0]

    report = personal_data_erase(user_id=user.pk, actor=actor, emails=emails)
    counts["audit_personal_fields"] = report.rows + report.journal_rows

    user.email = fake_email
    user.full_name = pseudonym
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "full_name", "is_active", "password"])

    custodian_ids = set(
        Application.objects.filter(pk__in=[a.pk for a in [*about, *listing]]).values_list(
            "dataset__custodian_id", flat=True
        )
    ) | set(
        Licence.objects.filter(
            Q(signer=user) | Q(pk__in=[m.licence_id for m in memberships])
        ).values_list("dataset__custodian_id", flat=True)
    )
    erasure = Erasure.objects.create(
        user=user,
        pseudonym=pseudonym,
        requested_by=actor,
        counts=counts,
        documents=documents,
    )
    erasure.custodians.set(sorted(custodian_ids))
    themselves = actor.pk == user.pk
    scopes: list[int | None] = [*sorted(custodian_ids)] or [None]
    for custodian_id in scopes:
        audit_record(
            event_type="accounts:personal-data:erase",
            actor=None if themselves else actor,
            custodian_id=custodian_id,
            details={
                "user_id": user.pk,
                "erasure": erasure.pk,
                "counts": counts,
                "documents": [d["sha256"] for d in documents],
            },
            ip_address="" if themselves else None,
            user_agent="" if themselves else None,
        )
    transaction.on_commit(lambda: _delete_stored(storage_names), robust=True)
    return erasure


def _contains_any(field: str, values: list[str]) -> Q:
    rule = Q(pk__in=[])
    for v in values:
        if v and len(v) >= 3:
            rule |= Q(**{f"{field}__icontains": v})
    return rule


def _scrub_rows(qs, field: str, scrub, blank_if=None) -> int:
    changed = 0
    for row in qs:
        old = getattr(row, field)
        new = "" if blank_if is not None and blank_if(row) else scrub(old)
        if new != old:
            type(row).objects.filter(pk=row.pk).update(**{field: new})
            changed += 1
    return changed


def _erase_applications(user, about, listing, emails, pseudonym, fake_email, scrub) -> int:
    changed = 0
    for a in {x.pk: x for x in [*about, *listing]}.values():
        fields: dict[str, Any] = {}
        if a.applicant_id == user.pk or a.applicant_email.lower() in emails:
            fields.update(
                applicant_name=pseudonym,
                applicant_email=fake_email,
                answers={},
                purpose="",
                intake={},
            )
        if a.signer_user_id == user.pk or a.signer_email.lower() in emails:
            fields.update(
                signer_name=pseudonym,
                signer_title="",
                signer_affiliation="",
                signer_email=fake_email,
                signer_address="",
                signer_confirmed_email=fake_email if a.signer_confirmed_email else "",
            )
        members = []
        for m in a.members or []:
            if str(m.get("email", "")).lower() in emails:
                m = {"full_name": pseudonym, "email": fake_email, "extra": {}}
            members.append(m)
        if members != (a.members or []):
            fields["members"] = members
        fields["last_comment"] = scrub(a.last_comment)
        if fields.get("purpose") is None:
            fields["purpose"] = scrub(a.purpose)
            fields["answers"] = scrub(a.answers)
        Application.objects.filter(pk=a.pk).update(**fields)
        changed += 1
    return changed


def _erase_memberships(memberships: list[LicenceMember], fake_email: str, pseudonym: str) -> int:
    """The person's memberships and invitations take the pseudonym; an active one ends now
    (the account can no longer sign in) and the licence's entitlements follow."""
    now = timezone.now()
    touched = set()
    for m in memberships:
        fields: dict[str, Any] = {"email": fake_email, "full_name": pseudonym, "extra": {}}
        if m.status != LicenceMember.Status.REMOVED:
            fields.update(status=LicenceMember.Status.REMOVED, removed_at=now)
            touched.add(m.licence_id)
        LicenceMember.objects.filter(pk=m.pk).update(**fields)
    for licence in Licence.objects.filter(pk__in=touched):
        entitlements_sync_for_licence(licence=licence, reason="member's account erased")
    return len(memberships)


def _erase_outbox(emails: list[str], scrub) -> int:
    """Emails to the person, or naming them, are emptied (and never sent if still queued)."""
    wanted = set(emails)
    changed = 0
    for e in OutgoingEmail.objects.iterator():
        to_them = any(str(r).lower() in wanted for r in e.recipients or [])
        message = e.message or {}
        scrubbed = scrub(message)
        subject = scrub(e.subject)
        if not to_them and scrubbed == message and subject == e.subject:
            continue
        fields: dict[str, Any] = {
            "subject": gettext("(erased)") if to_them else subject,
            "recipients": [r for r in scrub(e.recipients or []) if str(r).lower() not in wanted],
            "message": {"erased": True} if to_them else scrubbed,
        }
        if to_them and e.status in (OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.FAILED):
            fields.update(status=OutgoingEmail.Status.GAVE_UP, last_error="personal data erased")
        OutgoingEmail.objects.filter(pk=e.pk).update(**fields)
        changed += 1
    return changed


def _end_sessions(user: User) -> int:
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.pk)
    return Session.objects.filter(pk__in=ended).delete()[0]


def _erase_throttling(emails: list[str]) -> int:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    removed = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        rule = Q(pk__in=[])
        for email in emails:
            rule |= Q(username__iexact=email)
        removed += model.objects.filter(rule).delete()[0]
    return removed


def _documents_naming(user, about, listing, memberships) -> tuple[list[dict], list[str]]:
    """Tombstones of the stored documents naming the person, and the storage names to delete.
    A file another (kept) record still points at is not deleted."""
    applications = {a.pk: a for a in [*about, *listing]}
    agreements = list(SignedAgreement.objects.filter(application__in=applications))
    tombstones = [
        {
            "kind": "application agreement",
            "reference": applications[s.application_id].reference,
            "sha256": s.sha256,
            "size": s.size,
            "pages": s.pages,
            "uploaded": s.created.isoformat(),
        }
        for s in agreements
    ]
    prefixes = {_stored_prefix(s.storage_name) for s in agreements if s.storage_name}
    licence_ids = {m.licence_id for m in memberships} | set(
        Licence.objects.filter(signer=user).values_list("pk", flat=True)
    )
    scans = Event.objects.filter(licence_id__in=licence_ids, details__has_key="agreement_file")
    for event in scans.order_by("seq"):
        d = event.details
        tombstones.append(
            {
                "kind": "licence agreement",
                "reference": d.get("licence", ""),
                "sha256": d.get("agreement_sha256", ""),
                "size": d.get("agreement_size"),
                "pages": d.get("agreement_pages"),
                "uploaded": event.created.isoformat(),
            }
        )
        prefixes.add(_stored_prefix(str(d["agreement_file"])))
    SignedAgreement.objects.filter(pk__in=[s.pk for s in agreements]).delete()
    kept = {
        _stored_prefix(name)
        for name in SignedAgreement.objects.values_list("storage_name", flat=True)
    }
    storage = protected_storage()
    names: list[str] = []
    for prefix in sorted(p for p in prefixes - kept if p):
        try:
            _dirs, files = storage.listdir(prefix)
        except FileNotFoundError:
            continue
        names += [prefix + f for f in files]
    return tombstones, names


def _delete_stored(names: list[str]) -> None:
    storage = protected_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            log.exception("erasure could not delete stored file %s", name)
