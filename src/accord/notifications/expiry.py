"""Emails about a licence's term: reminders before it expires, the expiry itself and a
renewal. The signer and each active member get their own message; replies go to the
custodian's contact."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse

from accord.notifications.email import notify_on_commit, send_templated


def _recipients(licence) -> list[tuple[str, str, bool]]:
    from accord.licences.models import LicenceMember

    people = [(licence.signer.email, licence.signer.full_name, True)]
    people += [
        (m.email, m.full_name, False)
        for m in licence.members.filter(status=LicenceMember.Status.ACTIVE).order_by("email")
    ]
    return people


def _context(licence) -> dict:
    return {
        "licence": licence,
        "dataset": licence.dataset,
        "custodian": licence.dataset.custodian,
        "licence_url": settings.SITE_URL
        + reverse("agreements:licence_detail", args=[licence.reference]),
        "renew_url": settings.SITE_URL
        + reverse("agreements:licence_renew", args=[licence.reference]),
    }


def licence_expiry_reminder(licence, *, days: int) -> None:
    """Queued in the scheduler's transaction (the outbox row commits with the reminder's key),
    so a reminder is either recorded and queued, or neither."""
    context = _context(licence)
    for email, name, is_signer in _recipients(licence):
        send_templated(
            to=[email],
            template="licences/expiry_reminder",
            context={**context, "name": name, "is_signer": is_signer, "days": days},
            reply_to=[licence.dataset.custodian.contact_email],
        )


def licence_expired(licence, *, renew_by: dt.datetime | None) -> None:
    context = _context(licence)
    for email, name, is_signer in _recipients(licence):
        send_templated(
            to=[email],
            template="licences/expired",
            context={**context, "name": name, "is_signer": is_signer, "renew_by": renew_by},
            reply_to=[licence.dataset.custodian.contact_email],
        )


def licence_renewed(licence) -> None:
    context = _context(licence)
    for email, name, is_signer in _recipients(licence):
        notify_on_commit(
            to=[email],
            template="licences/renewed",
            context={**context, "name": name, "is_signer": is_signer},
            reply_to=[licence.dataset.custodian.contact_email],
        )
