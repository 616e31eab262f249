"""Emails about changes of terms: the notice to every holder when new terms are published,
reminders to the signer, the signer's acceptance, and a licence suspended or voided because
the new terms were refused or not accepted in time. Each holder gets their own message."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accord.notifications.email import notify_on_commit


def _context(change) -> dict:
    licence = change.licence
    return {
        "change": change,
        "licence": licence,
        "dataset": licence.dataset,
        "custodian": licence.dataset.custodian,
        "version": change.license_version,
        "terms_url": settings.SITE_URL
        + reverse("agreements:licence_terms", args=[licence.reference]),
    }


def _holders(licence) -> list[tuple[str, str, bool]]:
    from accord.licences.models import LicenceMember

    people = [(licence.signer.email, licence.signer.full_name, True)]
    people += [
        (m.email, m.full_name, False)
        for m in licence.members.filter(status=LicenceMember.Status.ACTIVE).order_by("email")
    ]
    return people


def _to_holders(change, template: str, **extra) -> None:
    context = {**_context(change), **extra}
    for email, name, is_signer in _holders(change.licence):
        notify_on_commit(
            to=[email],
            template=f"licences/{template}",
            context={**context, "name": name, "is_signer": is_signer},
            reply_to=[change.licence.dataset.custodian.contact_email],
        )


def terms_notice(change) -> None:
    _to_holders(change, "terms_notice")


def terms_reminder(change, *, days: int) -> None:
    licence = change.licence
    notify_on_commit(
        to=[licence.signer.email],
        template="licences/terms_reminder",
        context={**_context(change), "name": licence.signer.full_name, "days": days},
        reply_to=[licence.dataset.custodian.contact_email],
    )


def terms_accepted(change) -> None:
    _to_holders(change, "terms_accepted")


def terms_lapsed(change) -> None:
    _to_holders(change, "terms_lapsed")


def licence_voided(change, *, reason: str) -> None:
    _to_holders(change, "terms_void", reason=reason)
