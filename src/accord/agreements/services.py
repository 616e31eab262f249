"""Writes for applications: drafts, the signed scan, submission, the signer's confirmation and
the reviewers' decisions. One transaction per action with its audit event inside; emails go
out after commit. Each locks the application row first, so a double click or two reviewers
at once end in one outcome (the second call finds the work done and returns it)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from accord.access import policy
from accord.accounts.models import User
from accord.accounts.selectors import has_verified_email
from accord.audit.services import audit_record
from accord.catalog.models import Dataset
from accord.core import clock
from accord.core.errors import Conflict, DomainError, NotAllowed, NotFound
from accord.core.permissions import Permission
from accord.licences.services import licence_grant
from accord.notifications import agreements as notify

from . import states
from .content import (
    Details,
    InvalidApplication,
    clean_details,
    content_fingerprint,
    missing_items,
    scan_is_stale,
)
from .models import Application, ApplicationTransition

SIGNER_LINK_DAYS = 14


def new_reference(prefix: str = "LA") -> str:
    """LA-<year>-<7 random digits>: digits only after the prefix, so the PDF layer can tell
    another application's QR code (same shape) from a letterhead's code; random, so a
    reference reveals nothing about how many applications there are."""
    year = clock.now().year
    while True:
        reference = f"{prefix}-{year}-{secrets.randbelow(10**7):07d}"
        if not Application.objects.filter(reference=reference).exists():
            return reference


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("dataset", "dataset__custodian", "license_version", "applicant")
        .get(pk=application.pk)
    )


def _audit(application: Application, action: str, actor: User, **details) -> None:
    audit_record(
        event_type=f"agreements:application:{action}",
        actor=actor,
        target=application,
        custodian_id=application.dataset.custodian_id,
        dataset_id=application.dataset_id,
        details={"reference": application.reference, **details},
    )


def _require_applicant(application: Application, actor: User) -> None:
    if application.applicant_id is None or application.applicant_id != actor.pk:
        raise NotFound("No such application.")


def require_reviewer(application: Application, actor: User, permission: Permission) -> None:
    if not policy.staff_may(actor, application.dataset.custodian_id, permission):
        raise NotFound("No such application.")


def _require_editable(application: Application) -> None:
    if not states.is_editable(application):
        raise Conflict(
            f"Application {application.reference} is "
            f"{application.get_state_display().lower()} and can no longer be changed.",
            code="not-editable",
        )


def _apply(application: Application, cleaned: dict) -> None:
    variants = cleaned.pop("variants", None)
    for name, value in cleaned.items():
        setattr(application, name, value)
    application.save()
    if variants is not None:
        application.variants.set(variants)


@transaction.atomic
def application_create(
    *, actor: User, dataset: Dataset, details: Details | None = None
) -> Application:
    if not dataset.is_published:
        raise NotFound("No such dataset.")
    license_version = dataset.current_license()
    if license_version is None:
        raise Conflict(
            f"{dataset} has no published terms yet, so applications are not open. "
            f"Contact {dataset.custodian.contact_email}.",
            code="no-terms",
        )
    application = Application(
        reference=new_reference(),
        dataset=dataset,
        license_version=license_version,
        applicant=actor,
        applicant_name=actor.full_name,
        applicant_email=actor.email,
    )
    cleaned = clean_details(application, details or Details())
    _apply(application, cleaned)
    _audit(application, "create", actor, license_version=license_version.version)
    return application


@transaction.atomic
def application_update(*, application: Application, actor: User, details: Details) -> Application:
    application = _lock(application)
    _require_applicant(application, actor)
    _require_editable(application)
    cleaned = clean_details(application, details)
    before = content_fingerprint(application)
    if "signer_email" in cleaned and cleaned["signer_email"] != application.signer_email:
        # A new signer: the link sent to the old address must stop working, and the old
        # signer keeps neither their confirmation nor their view of the application.
        application.signer_token_hash = ""
        application.signer_user = None
        application.signer_confirmed_at = None
        application.signer_confirmed_email = ""
    _apply(application, cleaned)
    changed = content_fingerprint(application) != before
    if changed:
        # What the signer confirmed, and the scan they signed, no longer match the content:
        # the confirmation is asked for again, and submission refuses the stale scan
        # (content.missing_items) until a newly generated agreement is signed and uploaded.
        forget_signer_confirmation(application, actor)
        application.save()
    agreement = application.current_agreement()
    _audit(
        application,
        "update",
        actor,
        fields=sorted(cleaned),
        content_changed=changed,
        scan_stale=bool(agreement and scan_is_stale(application, agreement)),
    )
    return application


def forget_signer_confirmation(application: Application, actor: User) -> None:
    """The signer vouched for the content they confirmed; once a student changes it (after a
    return for changes) the signer must confirm again on resubmission."""
    if application.signer_confirmed_at and application.signer_user_id != actor.pk:
        application.signer_confirmed_at = None
        application.signer_confirmed_email = ""


def _transition(
    application: Application, action: str, actor: User, comment: str = "", **details
) -> None:
    transition = states.transition_for(application, action)
    if transition.needs_comment and not comment.strip():
        what = {
            "reject": "a reason",
            "decline": "what is wrong with the uploaded pages",
        }.get(action, "a comment saying what to change")
        raise DomainError(
            f"Give {what}; the applicant and the signer will read it.", field="comment"
        )
    source = application.state
    application.state = transition.target
    application.last_comment = comment.strip() if transition.by == "reviewer" else ""
    application.save()
    ApplicationTransition.objects.create(
        application=application,
        from_state=source,
        to_state=transition.target,
        actor=actor,
        comment=comment.strip(),
    )
    _audit(
        application,
        action,
        actor,
        source=source,
        target=transition.target,
        comment=comment,
        **details,
    )
    notify.application_changed(application, action=action, comment=comment.strip())


def _issue_signer_link(application: Application) -> str:
    raw = secrets.token_urlsafe(32)
    application.signer_token_hash = hash_token(raw)
    application.signer_token_expires_at = clock.now() + timedelta(days=SIGNER_LINK_DAYS)
    application.save(update_fields=["signer_token_hash", "signer_token_expires_at", "updated"])
    return raw


def _mark_signer_confirmed(application: Application, user: User) -> None:
    application.signer_user = user
    application.signer_confirmed_at = clock.now()
    application.signer_confirmed_email = application.signer_email
    application.signer_token_hash = ""
    application.save()


@transaction.atomic
def application_submit(*, application: Application, actor: User) -> Application:
    application = _lock(application)
    _require_applicant(application, actor)
    if application.state == Application.State.SUBMITTED:
        return application  # a second click, or a second tab: already done
    states.transition_for(application, "submit")
    missing = missing_items(application, for_submission=True)
    if missing:
        raise InvalidApplication({f"missing.{n}": m for n, m in enumerate(missing)})
    application.submitted_at = clock.now()
    application.applicant_is_signer = application.signer_email.lower() == actor.email.lower()
    _transition(application, "submit", actor)
    if not application.signer_confirmed:
        if application.applicant_is_signer and has_verified_email(actor, actor.email):
            _mark_signer_confirmed(application, actor)
            _audit(application, "signer-confirm", actor, how="applicant is the signer")
        else:
            raw = _issue_signer_link(application)
            _audit(application, "signer-request", actor)
            notify.signer_confirmation_requested(application, raw_token=raw)
    return application


@transaction.atomic
def signer_link_resend(*, application: Application, actor: User) -> Application:
    application = _lock(application)
    # The applicant, a reviewer, or the named signer (who lost the email: it goes to the
    # signer's own address, so nobody else learns the link).
    is_signer = has_verified_email(actor, application.signer_email)
    if application.applicant_id != actor.pk and not is_signer:
        require_reviewer(application, actor, Permission.AGREEMENTS_APPLICATION_REVIEW)
    if application.signer_confirmed:
        raise Conflict("The signer has already confirmed this application.", code="confirmed")
    if application.state != Application.State.SUBMITTED:
        raise Conflict(
            "A confirmation link is sent once the application is submitted.", code="not-submitted"
        )
    raw = _issue_signer_link(application)
    _audit(application, "signer-request", actor)
    notify.signer_confirmation_requested(application, raw_token=raw)
    return application


def application_for_signer_token(raw_token: str) -> Application:
    """The application a signer's emailed link points to, or NotFound with what to do."""
    application = (
        Application.objects.select_related("dataset", "dataset__custodian", "license_version")
        .filter(signer_token_hash=hash_token(raw_token or ""))
        .exclude(signer_token_hash="")
        .first()
    )
    if application is None or (
        application.signer_token_expires_at and application.signer_token_expires_at < clock.now()
    ):
        raise NotFound(
            "This confirmation link is not valid any more (it was used, replaced by a newer "
            "one, or it expired). Ask the applicant to send a new link from the application page."
        )
    return application


WRONG_SIGNER = gettext_lazy(
    "This confirmation link is for someone else: the person named as the signer of the "
    "application, at the email address the link was sent to. Sign out, then sign in (or sign "
    "up) with that address, verify it, and open the link again. If the link was forwarded to "
    "you, ask the applicant to correct the signer's address and send a new link."
)


@transaction.atomic
def signer_confirm(*, raw_token: str, actor: User) -> Application:
    application = _lock(application_for_signer_token(raw_token))
    # Before anything about the application is said: whoever holds a forwarded link learns
    # neither the application nor whose address it was sent to.
    if not has_verified_email(actor, application.signer_email):
        raise NotAllowed(str(WRONG_SIGNER), code="wrong-signer")
    if states.is_editable(application) or application.state in states.FINAL:
        raise Conflict(
            f"Application {application.reference} is "
            f"{application.get_state_display().lower()}; there is nothing to confirm now.",
            code="not-submitted",
        )
    _mark_signer_confirmed(application, actor)
    _audit(application, "signer-confirm", actor, how="email link")
    notify.signer_confirmed(application)
    return application


@transaction.atomic
def signer_decline(*, raw_token: str, actor: User, note: str) -> Application:
    """The named signer says the pages uploaded under their name are not what they signed:
    the application goes back to the applicant with the signer's note, and the disputed scan
    stops being the current one, so it cannot be submitted again as it is."""
    application = _lock(application_for_signer_token(raw_token))
    if not has_verified_email(actor, application.signer_email):
        raise NotAllowed(str(WRONG_SIGNER), code="wrong-signer")
    agreement = application.current_agreement()
    application.signer_token_hash = ""  # the link has been answered
    _transition(
        application,
        "decline",
        actor,
        note[:5000],
        declined_sha256=agreement.sha256 if agreement else "",
    )
    if agreement is not None:
        agreement.is_current = False
        agreement.save(update_fields=["is_current", "updated"])
    return application


@transaction.atomic
def application_withdraw(*, application: Application, actor: User) -> Application:
    application = _lock(application)
    _require_applicant(application, actor)
    if application.state == Application.State.WITHDRAWN:
        return application
    _transition(application, "withdraw", actor)
    return application


Decision = Literal["approve", "reject", "return"]


@transaction.atomic
def application_decide(
    *, application: Application, actor: User, decision: Decision, comment: str = ""
) -> Application:
    """A reviewer approves, rejects or returns an application (the review page and the API
    both come here). The state table says which decisions the application's state allows;
    approval also grants the licence, in the same transaction."""
    application = _lock(application)
    require_reviewer(application, actor, Permission.AGREEMENTS_APPLICATION_REVIEW)
    if decision == "approve" and application.state == Application.State.APPROVED:
        return application  # the other reviewer's click won; one licence only
    approving = decision == "approve"
    if approving and policy.is_party(actor, application):
        # Four eyes: nobody grants a licence to themselves.
        raise NotAllowed(
            f"You made, sign or are a member of application {application.reference}, so you "
            "cannot approve it; ask another reviewer of the custodian to decide.",
            code="own-application",
        )
    transition = states.transition_for(application, decision)
    if transition.by != "reviewer":
        raise Conflict(
            gettext("%(action)s is not a reviewer's decision; approve, reject or return.")
            % {"action": decision},
            code="illegal-transition",
        )
    if approving:
        _require_approvable(application)
    application.decided_at = clock.now()
    application.decided_by = actor
    _transition(application, decision, actor, comment)
    if approving:
        licence_grant(application=application, actor=actor)
    return application


def _require_approvable(application: Application) -> None:
    if not application.signer_confirmed or application.signer_user_id is None:
        raise Conflict(
            f"The signer ({application.signer_email}) has not confirmed this application yet, "
            "so it cannot be approved. Resend the confirmation link or wait for the signer.",
            code="signer-not-confirmed",
        )
    if application.current_agreement() is None:
        raise Conflict("No signed agreement is attached; return the application for changes.")
    _require_eligible(application)


def _require_eligible(application: Application) -> None:
    """Whatever way it came in, an application is approved only once every item an emailed
    agreement left open is recorded from the document, and only if it meets the rules the web
    form holds every applicant to (``missing_items``, as on submission)."""
    from .intake import unconfirmed_items

    unconfirmed = unconfirmed_items(application)
    if unconfirmed:
        raise Conflict(
            gettext(
                "%(reference)s cannot be approved yet: %(count)d item(s) of the emailed agreement "
                "are not recorded from the signed document (%(items)s). Record each one on the "
                "review page as the document shows it; if the document does not show it, "
                "return the application for changes or reject it."
            )
            % {
                "reference": application.reference,
                "count": len(unconfirmed),
                "items": "; ".join(item.label for item in unconfirmed),
            },
            code="intake-unconfirmed",
        )
    missing = missing_items(application, for_submission=False)
    if missing:
        raise Conflict(
            gettext(
                "%(reference)s cannot be approved: it does not meet the requirements of "
                "%(dataset)s. On the web the applicant would be told: %(missing)s Return it for "
                "changes or reject it."
            )
            % {
                "reference": application.reference,
                "dataset": application.dataset,
                "missing": " ".join(missing),
            },
            code="not-eligible",
        )
